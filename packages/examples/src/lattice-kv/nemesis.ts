/**
 * Fault injection for tests of a real cluster: an endpoint wrapper that drops the traffic to and
 * from chosen peers, as a network partition would. A node only has one when it is started with
 * `--nemesis` (tests do that); otherwise `LATTICE.NEMESIS` is an unknown command.
 */
import type { AbortOptions, Endpoint, Envelope, ErrorHandler, MessageHandler, NodeId } from '@lattice/core';

/** What the `LATTICE.NEMESIS` command controls on a node. */
export interface Nemesis {
  /** Drops every message to and from `peers` (replacing the previous set). */
  isolate(peers: readonly NodeId[]): void;
  /** Delivers everything again. */
  heal(): void;
  /** The peers cut off now. */
  readonly isolated: readonly NodeId[];
}

/** An {@link Endpoint} that silently drops the messages to and from the peers it is told to cut off. */
export class PartitionableEndpoint implements Endpoint, Nemesis {
  readonly #inner: Endpoint;
  #cut = new Set<NodeId>();

  constructor(inner: Endpoint) {
    this.#inner = inner;
  }

  get id(): NodeId {
    return this.#inner.id;
  }

  get maxMessageSize(): number {
    return this.#inner.maxMessageSize;
  }

  get closed(): boolean {
    return this.#inner.closed;
  }

  get isolated(): readonly NodeId[] {
    return [...this.#cut].sort();
  }

  isolate(peers: readonly NodeId[]): void {
    this.#cut = new Set(peers.filter((peer) => peer !== this.#inner.id));
  }

  heal(): void {
    this.#cut = new Set();
  }

  // A cut message is accepted and lost, as the Transport contract says of an unreachable peer.
  send(to: NodeId, payload: Uint8Array, options?: AbortOptions): Promise<void> {
    if (this.#cut.has(to)) return Promise.resolve();
    return this.#inner.send(to, payload, options);
  }

  onMessage(handler: MessageHandler): () => void {
    return this.#inner.onMessage((envelope) => {
      if (!this.#cut.has(envelope.from)) handler(envelope);
    });
  }

  onError(handler: ErrorHandler): () => void {
    return this.#inner.onError(handler);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Envelope> {
    for await (const envelope of this.#inner) if (!this.#cut.has(envelope.from)) yield envelope;
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
