import {
  type AbortOptions,
  type Endpoint,
  type Envelope,
  type ErrorHandler,
  Inbox,
  type LatticeError,
  type MessageHandler,
  MessageTooLargeError,
  type NodeId,
} from '@lattice/core';

/**
 * Bytes the simulator puts in front of every payload (stripped on receipt): the message id
 * (4 bytes) and the sender's node index (2 bytes).
 */
export const FRAME_HEADER_BYTES = 6;

/** Most nodes a simulation can have (the sender index is 16 bits). */
export const MAX_NODES = 0xffff;

/** What a {@link SimEndpoint} needs from the simulator. */
export interface EndpointHost {
  /** Assigns the id of the next message. */
  nextMessageId(): number;
  /** Hands a framed message to the network; returns the send promise and records what happened. */
  transmit(from: number, to: NodeId, id: number, framed: Uint8Array, bytes: number, real: Endpoint, options: AbortOptions | undefined): Promise<void>;
  /** Records a delivery (and whether it is a duplicate); nodes are given by index. */
  received(to: number, from: number, id: number): void;
  /** Reports a node's handler error. */
  nodeError(node: NodeId, error: LatticeError): void;
  /** Counts API activity (keeps the run loop settling while node code is busy). */
  touch(): void;
}

/** Frames up to this size are copied rather than viewed on delivery (V8 keeps typed arrays of up to 64 bytes on its heap). */
const SMALL_PAYLOAD = 64 + FRAME_HEADER_BYTES;

/** A promise that never settles: what a call from a dead process waits for. */
const NEVER: Promise<never> = new Promise<never>(() => undefined);

/**
 * The `Endpoint` a simulated node sees: it frames each payload with a message id (so the
 * simulator can follow every message through drops and duplicates for its logs and vector
 * clocks), and goes silent when its incarnation dies: a crashed process sends nothing and its
 * pending sends never settle, like code that stopped running.
 */
export class SimEndpoint implements Endpoint {
  readonly id: NodeId;
  readonly maxMessageSize: number;
  /** This node's index in the simulation (its position in the node list). */
  readonly #index: number;
  readonly #real: Endpoint;
  readonly #host: EndpointHost;
  readonly #life: { readonly alive: boolean };
  readonly #inbox = new Inbox();
  #closed = false;

  constructor(real: Endpoint, index: number, host: EndpointHost, life: { readonly alive: boolean }) {
    this.id = real.id;
    this.#index = index;
    this.maxMessageSize = real.maxMessageSize - FRAME_HEADER_BYTES;
    this.#real = real;
    this.#host = host;
    this.#life = life;
    real.onMessage((message) => this.#receive(message));
    this.#inbox.onError((error) => host.nodeError(this.id, error));
  }

  get closed(): boolean {
    return this.#closed || this.#real.closed || !this.#life.alive;
  }

  send(to: NodeId, payload: Uint8Array, options?: AbortOptions): Promise<void> {
    if (!this.#life.alive) return NEVER;
    this.#host.touch();
    if (this.#closed) return this.#real.send(to, payload, options);
    if (payload.byteLength > this.maxMessageSize) return Promise.reject(new MessageTooLargeError(payload.byteLength, this.maxMessageSize));
    const id = this.#host.nextMessageId();
    const framed = new Uint8Array(payload.byteLength + FRAME_HEADER_BYTES);
    framed[0] = id >>> 24;
    framed[1] = (id >>> 16) & 0xff;
    framed[2] = (id >>> 8) & 0xff;
    framed[3] = id & 0xff;
    framed[4] = this.#index >>> 8;
    framed[5] = this.#index & 0xff;
    framed.set(payload, FRAME_HEADER_BYTES);
    return this.#host.transmit(this.#index, to, id, framed, payload.byteLength, this.#real, options);
  }

  #receive(message: Envelope): void {
    if (!this.#life.alive || this.#closed) return;
    const bytes = message.payload;
    const id = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    this.#host.received(this.#index, (bytes[4]! << 8) | bytes[5]!, id);
    // Small typed arrays live on the JS heap, and a view of one (subarray) first moves its bytes
    // to a separate ArrayBuffer, which costs several times more than copying them: copy small
    // payloads, view large ones.
    const payload = bytes.byteLength <= SMALL_PAYLOAD ? bytes.slice(FRAME_HEADER_BYTES) : bytes.subarray(FRAME_HEADER_BYTES);
    this.#inbox.deliver({ from: message.from, to: message.to, payload });
  }

  onMessage(handler: MessageHandler): () => void {
    return this.#inbox.onMessage(handler);
  }

  onError(handler: ErrorHandler): () => void {
    return this.#inbox.onError(handler);
  }

  /** Closes the endpoint (a graceful shutdown by the node itself; a crash is the simulator's business). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#inbox.close();
    if (this.#life.alive) await this.#real.close();
  }

  /** Called by the simulator when the incarnation dies: stops delivery to handlers and iterators. */
  kill(): void {
    this.#inbox.close();
    void this.#real.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<Envelope> {
    return this.#inbox[Symbol.asyncIterator]();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
