import {
  type AbortOptions,
  type Endpoint,
  type Envelope,
  type ErrorHandler,
  Inbox,
  type LatticeError,
  type MessageHandler,
  type NodeId,
} from '@lattice/core';

/** What a {@link SimEndpoint} tells the simulator. */
export interface EndpointHost {
  /** Reports a node's handler error. */
  nodeError(node: NodeId, error: LatticeError): void;
  /**
   * Counts node activity (keeps the run loop settling while node code is busy); `synchronous`
   * when the node declared that its code finishes inside the event (it runs a protocol core).
   */
  touch(synchronous: boolean): void;
  /** How late `node` handles a message arriving now, ms (0: at once; a CPU-starved process is later). */
  processingDelay(node: NodeId): number;
  /** Runs `run` after `delayMs` of virtual time. */
  defer(delayMs: number, run: () => void): void;
}

/** The process an endpoint belongs to: `alive` until it crashes; `synchronous` once it runs a protocol core. */
export interface EndpointLife {
  readonly alive: boolean;
  readonly synchronous: boolean;
}

/** A promise that never settles: what a call from a dead process waits for. */
const NEVER: Promise<never> = new Promise<never>(() => undefined);

/**
 * The `Endpoint` a simulated node sees: the network's own endpoint, passed through unchanged
 * (the network reports every message with its id, so nothing is added to payloads), except
 * that it goes silent when its incarnation dies: a crashed process sends nothing, its pending
 * sends never settle and its handlers and iterators hear nothing more, like code that stopped
 * running.
 */
export class SimEndpoint implements Endpoint {
  readonly id: NodeId;
  readonly maxMessageSize: number;
  readonly #real: Endpoint;
  readonly #host: EndpointHost;
  readonly #life: EndpointLife;
  readonly #inbox = new Inbox();
  #closed = false;

  constructor(real: Endpoint, host: EndpointHost, life: EndpointLife) {
    this.id = real.id;
    this.maxMessageSize = real.maxMessageSize;
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
    const life = this.#life;
    if (!life.alive) return NEVER;
    this.#host.touch(life.synchronous);
    return this.#real.send(to, payload, options);
  }

  #receive(message: Envelope): void {
    const life = this.#life;
    if (!life.alive || this.#closed) return;
    const delay = this.#host.processingDelay(this.id);
    if (delay > 0) {
      this.#host.defer(delay, () => this.#handle(message));
      return;
    }
    this.#handle(message);
  }

  #handle(message: Envelope): void {
    const life = this.#life;
    if (!life.alive || this.#closed) return;
    this.#host.touch(life.synchronous);
    this.#inbox.deliver(message);
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
