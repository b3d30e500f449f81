/**
 * Multi-raft on one transport endpoint per process (Dragonboat's shape): every Raft group a
 * process hosts, and every group-addressed protocol (2PC between a coordinator group and shard
 * groups), shares the process's endpoint. Each message travels in an envelope naming its channel
 * (`raft/<group>` or `group/<group>`) and its logical sender.
 */
import {
  ByteReader,
  ByteWriter,
  ClosedError,
  type Endpoint,
  type Envelope,
  type ErrorHandler,
  LatticeError,
  type LatticeErrorOptions,
  type MessageHandler,
  type NodeId,
} from '@lattice/core';

/** Thrown (as an error event of the process endpoint) when a peer sends bytes that are not a multi-raft envelope. */
export class MalformedEnvelopeError extends LatticeError {
  static readonly code = 'ERR_MALFORMED_ENVELOPE';
  override readonly name = 'MalformedEnvelopeError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(MalformedEnvelopeError.code, message, options);
  }
}

const ENVELOPE_VERSION = 1;

/** Encodes one envelope: the channel it is for, its logical sender, the inner payload. */
export function encodeEnvelope(channel: string, from: string, payload: Uint8Array): Uint8Array {
  const w = new ByteWriter(payload.byteLength + channel.length + from.length + 8);
  w.byte(ENVELOPE_VERSION);
  w.string(channel);
  w.string(from);
  w.bytes(payload);
  return w.finish();
}

/** Decodes an envelope; throws `MalformedEnvelopeError` for anything else. */
export function decodeEnvelope(bytes: Uint8Array): { channel: string; from: string; payload: Uint8Array } {
  try {
    const r = new ByteReader(bytes, 'multi-raft envelope');
    if (r.byte() !== ENVELOPE_VERSION) r.fail('unknown envelope version');
    const channel = r.string();
    const from = r.string();
    const payload = r.bytes();
    r.end();
    return { channel, from, payload };
  } catch (cause) {
    throw new MalformedEnvelopeError('Not a multi-raft envelope', { cause });
  }
}

/** Where each group's replicas live: group id → process ids. */
export type Placement = ReadonlyMap<string, readonly NodeId[]>;

/**
 * Splits one process endpoint into virtual endpoints: {@link GroupMux.raftEndpoint} for a Raft
 * group's replica on this process (its id is the process's, its peers are processes), and
 * {@link GroupMux.groupEndpoint} for a role a group plays as a whole (its id is the group's;
 * a message to another group goes to every replica of it, and only the replica that holds the
 * role — the leader — has that group's endpoint open to take it).
 */
export class GroupMux {
  readonly #process: Endpoint;
  readonly #placement: () => Placement;
  readonly #channels = new Map<string, VirtualEndpoint>();
  readonly #errors = new Set<ErrorHandler>();
  readonly #detach: () => void;

  constructor(process: Endpoint, placement: () => Placement) {
    this.#process = process;
    this.#placement = placement;
    this.#detach = process.onMessage((envelope) => this.#receive(envelope));
    process.onError((error) => {
      for (const handler of this.#errors) handler(error);
    });
  }

  /** The process's id. */
  get id(): NodeId {
    return this.#process.id;
  }

  /** Reports envelopes that do not decode (and the process endpoint's own errors). */
  onError(handler: ErrorHandler): () => void {
    this.#errors.add(handler);
    return () => this.#errors.delete(handler);
  }

  /** This process's replica of `group`, as an endpoint for a `RaftNode`. */
  raftEndpoint(group: string): Endpoint {
    const channel = `raft/${group}`;
    return this.#open(channel, this.#process.id, (to, payload) => this.#process.send(to, encodeEnvelope(channel, this.#process.id, payload)));
  }

  /**
   * `group`'s role, addressed by the group's id: sends to another group reach each of its
   * replicas (the one holding that group's role takes them). Close it when the role moves away.
   */
  groupEndpoint(group: string): Endpoint {
    return this.#open(`group/${group}`, group, async (to, payload) => {
      const replicas = this.#placement().get(to);
      if (replicas === undefined) return;
      const bytes = encodeEnvelope(`group/${to}`, group, payload);
      await Promise.all(replicas.map((replica) => this.#process.send(replica, bytes)));
    });
  }

  /** Closes every virtual endpoint (the process endpoint is the caller's). */
  close(): void {
    this.#detach();
    for (const endpoint of [...this.#channels.values()]) void endpoint.close();
  }

  #open(channel: string, id: string, send: (to: NodeId, payload: Uint8Array) => Promise<void>): Endpoint {
    const previous = this.#channels.get(channel);
    if (previous !== undefined && !previous.closed) void previous.close();
    const endpoint = new VirtualEndpoint(id, this.#process.maxMessageSize - 256, send, () => {
      if (this.#channels.get(channel) === endpoint) this.#channels.delete(channel);
    });
    this.#channels.set(channel, endpoint);
    return endpoint;
  }

  #receive(envelope: Envelope): void {
    let decoded: ReturnType<typeof decodeEnvelope>;
    try {
      decoded = decodeEnvelope(envelope.payload);
    } catch (error) {
      for (const handler of this.#errors) handler(error as LatticeError);
      return;
    }
    // A replica's Raft messages come from the sending process; a group's role messages from the sending group.
    const from = decoded.channel.startsWith('raft/') ? envelope.from : decoded.from;
    this.#channels.get(decoded.channel)?.deliver({ from, to: this.#channels.get(decoded.channel)!.id, payload: decoded.payload });
  }
}

class VirtualEndpoint implements Endpoint {
  readonly id: NodeId;
  readonly maxMessageSize: number;
  #closed = false;
  readonly #send: (to: NodeId, payload: Uint8Array) => Promise<void>;
  readonly #onClose: () => void;
  readonly #handlers = new Set<MessageHandler>();
  readonly #errorHandlers = new Set<ErrorHandler>();
  readonly #iterators = new Set<{ queue: Envelope[]; wake: (() => void) | undefined }>();

  constructor(id: NodeId, maxMessageSize: number, send: (to: NodeId, payload: Uint8Array) => Promise<void>, onClose: () => void) {
    this.id = id;
    this.maxMessageSize = maxMessageSize;
    this.#send = send;
    this.#onClose = onClose;
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(to: NodeId, payload: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new ClosedError(`The endpoint of ${this.id} is closed`));
    return this.#send(to, payload);
  }

  onMessage(handler: MessageHandler): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  onError(handler: ErrorHandler): () => void {
    this.#errorHandlers.add(handler);
    return () => this.#errorHandlers.delete(handler);
  }

  deliver(envelope: Envelope): void {
    if (this.#closed) return;
    for (const handler of this.#handlers) handler(envelope);
    for (const iterator of this.#iterators) {
      iterator.queue.push(envelope);
      iterator.wake?.();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers.clear();
    for (const iterator of this.#iterators) iterator.wake?.();
    this.#onClose();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Envelope> {
    const iterator: { queue: Envelope[]; wake: (() => void) | undefined } = { queue: [], wake: undefined };
    this.#iterators.add(iterator);
    try {
      while (!this.#closed) {
        const next = iterator.queue.shift();
        if (next !== undefined) yield next;
        else await new Promise<void>((resolve) => (iterator.wake = resolve));
        iterator.wake = undefined;
      }
    } finally {
      this.#iterators.delete(iterator);
    }
  }
}
