import {
  ClosedError,
  type Endpoint,
  type ErrorHandler,
  HandlerError,
  InvalidArgumentError,
  isLatticeError,
  type LatticeError,
  type NodeId,
  systemTimers,
  type TimerHandle,
  type Timers,
} from '@lattice/core';
import { assertCrdt, assertSameType, type Crdt } from '../crdt.js';
import { CrdtEncodeError } from '../errors.js';
import { decodeSyncMessage, encodeSyncMessage, readSyncTopic } from './messages.js';
import { type Outgoing, type SyncMessage, SyncProtocol } from './protocol.js';

/** Options of {@link CrdtSync}. */
export interface CrdtSyncOptions<C extends Crdt> {
  /** The endpoint to talk to peers through (any `Transport`'s). */
  endpoint: Endpoint;
  /** The replica to keep in sync (its node id is the default origin). */
  replica: C;
  /** Peers to sync with; more are learnt from the messages that arrive. */
  peers?: Iterable<NodeId>;
  /** Timers of the anti-entropy rounds. Default `systemTimers`. */
  timers?: Timers;
  /** Milliseconds between anti-entropy rounds (a digest to every peer). Default 1,000. */
  intervalMs?: number;
  /** Separates several replicated objects sharing one endpoint. Default `"crdt"`. */
  topic?: string;
  /** Origin id of local deltas; must be fresh if the replica restarted without its state. Default: the replica's node, else the endpoint's id. */
  origin?: NodeId;
  /** Bound of the delta log (see {@link SyncProtocol}). Default 4,096. */
  maxLogEntries?: number;
  /** Most deltas per message. Default 256. */
  maxDeltasPerMessage?: number;
}

/**
 * Keeps a CRDT replica in sync with its peers over a `Transport` endpoint: pushes every local
 * delta at once, and every `intervalMs` runs an anti-entropy round (version-vector digests; each
 * side sends only what the other lacks), so lost, duplicated or reordered messages, partitions
 * and replicas that were offline all converge. A thin driver around {@link SyncProtocol}.
 *
 * Malformed or foreign messages are reported to `onError` handlers and never touch the replica.
 *
 * @example
 * ```ts
 * import { MemoryNetwork } from '@lattice/transport';
 * const network = new MemoryNetwork();
 * const a = new CrdtSync({ endpoint: await network.open('a'), replica: new ORSet<string>('a'), peers: ['b'] });
 * const b = new CrdtSync({ endpoint: await network.open('b'), replica: new ORSet<string>('b'), peers: ['a'] });
 * b.onChange((set) => console.log([...set.value()]));
 * a.update((set) => set.add('hello'));
 * ```
 */
export class CrdtSync<C extends Crdt> {
  readonly #protocol: SyncProtocol<C>;
  readonly #endpoint: Endpoint;
  readonly #timers: Timers;
  readonly #intervalMs: number;
  readonly #topic: string;
  readonly #changeListeners = new Set<(replica: C) => void>();
  readonly #errorListeners = new Set<ErrorHandler>();
  readonly #removeHandler: () => void;
  #timer: TimerHandle | undefined;
  #closed = false;
  /** Counts changes of the replica, so an unencodable state is reported once per change, not once per round. */
  #changes = 0;
  #unencodableStateAt = -1;
  #unencodableDigestAt = -1;
  /** Messages that could not be decoded (reported through `onError`). */
  rejected = 0;

  constructor(options: CrdtSyncOptions<C>) {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('CrdtSync needs options with an endpoint and a replica');
    const endpoint = options.endpoint as Partial<Endpoint> | null | undefined;
    if (typeof endpoint !== 'object' || endpoint === null || typeof endpoint.onMessage !== 'function' || typeof endpoint.send !== 'function') {
      throw new InvalidArgumentError('CrdtSync options.endpoint must be an Endpoint (from a Transport’s open())');
    }
    assertCrdt(options.replica, 'CrdtSync options.replica');
    const timers = options.timers as Partial<Timers> | null | undefined;
    if (timers !== undefined && (typeof timers !== 'object' || timers === null || typeof timers.setTimeout !== 'function' || typeof timers.clearTimeout !== 'function')) {
      throw new InvalidArgumentError('CrdtSync options.timers must be Timers (setTimeout and clearTimeout)');
    }
    if (options.topic !== undefined && typeof options.topic !== 'string') throw new InvalidArgumentError(`CrdtSync options.topic must be a string, got ${typeof options.topic}`);
    if (options.peers !== undefined && (typeof options.peers !== 'object' || options.peers === null || typeof options.peers[Symbol.iterator] !== 'function')) {
      throw new InvalidArgumentError('CrdtSync options.peers must be an iterable of node ids');
    }
    this.#endpoint = options.endpoint;
    this.#timers = options.timers ?? systemTimers;
    this.#intervalMs = options.intervalMs ?? 1000;
    if (typeof this.#intervalMs !== 'number' || !(this.#intervalMs > 0) || !Number.isFinite(this.#intervalMs)) {
      throw new InvalidArgumentError(`intervalMs must be a finite number > 0, got ${String(this.#intervalMs)}`);
    }
    this.#topic = options.topic ?? 'crdt';
    this.#protocol = new SyncProtocol({
      replica: options.replica,
      origin: options.origin ?? (options.replica as { node?: NodeId }).node ?? options.endpoint.id,
      ...(options.peers === undefined ? {} : { peers: options.peers }),
      ...(options.maxLogEntries === undefined ? {} : { maxLogEntries: options.maxLogEntries }),
      ...(options.maxDeltasPerMessage === undefined ? {} : { maxDeltasPerMessage: options.maxDeltasPerMessage }),
    });
    this.#removeHandler = this.#endpoint.onMessage((envelope) => this.#receive(envelope.from, envelope.payload));
    this.#schedule(0);
  }

  /** The replica (mutate it through {@link CrdtSync.update}, or call {@link CrdtSync.commit} after). */
  get replica(): C {
    return this.#protocol.replica;
  }

  /** The protocol core (version vector, peers, log size). */
  get protocol(): SyncProtocol<C> {
    return this.#protocol;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Applies a mutator to the replica and replicates its delta; returns the delta. */
  update(mutate: (replica: C) => C): C {
    if (this.#closed) throw new ClosedError('CrdtSync is closed');
    if (typeof mutate !== 'function') throw new InvalidArgumentError('CrdtSync.update needs a function that applies a mutator and returns its delta');
    const delta = mutate(this.#protocol.replica);
    this.commit(delta);
    return delta;
  }

  /** Replicates a delta a mutator already applied to the replica. */
  commit(delta: C): void {
    if (this.#closed) throw new ClosedError('CrdtSync is closed');
    assertSameType(this.#protocol.replica, delta);
    this.#changes++;
    this.#send(this.#protocol.commit(delta));
  }

  /** Runs an anti-entropy round now (a digest to every peer). */
  syncNow(): void {
    if (this.#closed) return;
    this.#send(this.#protocol.tick());
  }

  addPeer(peer: NodeId): void {
    if (this.#closed) throw new ClosedError('CrdtSync is closed');
    this.#protocol.addPeer(peer);
  }

  removePeer(peer: NodeId): void {
    this.#protocol.removePeer(peer);
  }

  /** Called after remote changes were joined into the replica; returns a remover. */
  onChange(listener: (replica: C) => void): () => void {
    if (typeof listener !== 'function') throw new InvalidArgumentError('CrdtSync.onChange needs a function');
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /** Called with typed errors (undecodable messages, failed sends); returns a remover. */
  onError(listener: ErrorHandler): () => void {
    if (typeof listener !== 'function') throw new InvalidArgumentError('CrdtSync.onError needs a function');
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /** Stops the rounds and detaches from the endpoint (the endpoint stays open). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#removeHandler();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #schedule(delayMs: number): void {
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed) return;
      this.syncNow();
      this.#schedule(this.#intervalMs);
    }, delayMs);
  }

  #receive(from: NodeId, payload: Uint8Array): void {
    if (this.#closed) return;
    let decoded: ReturnType<typeof decodeSyncMessage<C>>;
    try {
      // Other topics on this endpoint may replicate other CRDT types: their bodies are not ours to decode.
      if (readSyncTopic(payload) !== this.#topic) return;
      decoded = decodeSyncMessage(payload, this.#protocol.replica);
    } catch (error) {
      this.#reject(error);
      return;
    }
    let result: ReturnType<SyncProtocol<C>['handle']>;
    try {
      result = this.#protocol.handle(from, decoded.message);
    } catch (error) {
      this.#reject(error);
      return;
    }
    this.#send(result.outgoing);
    if (result.changed) {
      this.#changes++;
      for (const listener of this.#changeListeners) {
        try {
          listener(this.#protocol.replica);
        } catch (cause) {
          this.#report(new HandlerError('A CrdtSync change listener threw', { cause }));
        }
      }
    }
  }

  #reject(error: unknown): void {
    this.rejected++;
    this.#report(isLatticeError(error) ? error : new HandlerError('Undecodable sync message', { cause: error }));
  }

  #send(outgoing: Outgoing<C>[]): void {
    for (const { to, message } of outgoing) {
      const payload = this.#encode(message);
      if (payload === undefined) continue;
      const failed = (error: unknown) => this.#report(isLatticeError(error) ? error : new HandlerError(`Sending to "${to}" failed`, { cause: error }));
      try {
        this.#endpoint.send(to, payload).catch(failed);
      } catch (error) {
        // An endpoint that throws instead of rejecting must not stop the other sends (or a receive).
        failed(error);
      }
    }
  }

  /**
   * Encodes a message, or reports why it cannot be and returns undefined. Each failure is reported
   * once: a delta that cannot be encoded is dropped from the log (peers lacking it get the full
   * state instead), and an unencodable state or digest is not retried until the replica changes,
   * so anti-entropy rounds never repeat the same failure.
   */
  #encode(message: SyncMessage<C>): Uint8Array | undefined {
    if (message.type === 'state' && this.#unencodableStateAt === this.#changes) return undefined;
    if (message.type === 'digest' && this.#unencodableDigestAt === this.#changes) return undefined;
    try {
      return encodeSyncMessage(this.#topic, message);
    } catch (error) {
      if (message.type === 'state') this.#unencodableStateAt = this.#changes;
      if (message.type === 'digest') this.#unencodableDigestAt = this.#changes;
      if (message.type !== 'deltas') {
        this.#report(new CrdtEncodeError(`Could not encode a sync ${message.type} message; not retried until the replica changes`, { cause: error }));
        return undefined;
      }
    }
    const sendable = message.entries.filter(({ origin, seq, delta }) => {
      try {
        encodeSyncMessage(this.#topic, { type: 'deltas', entries: [{ origin, seq, delta }] });
        return true;
      } catch (cause) {
        this.#protocol.forget(origin, seq);
        this.#report(new CrdtEncodeError(`Could not encode delta ${seq} of "${origin}"; dropped from the log (peers lacking it get the full state)`, { cause }));
        return false;
      }
    });
    if (sendable.length === 0) return undefined;
    try {
      return encodeSyncMessage(this.#topic, { type: 'deltas', entries: sendable });
    } catch (cause) {
      this.#report(new CrdtEncodeError('Could not encode a sync deltas message', { cause }));
      return undefined;
    }
  }

  #report(error: LatticeError): void {
    for (const listener of this.#errorListeners) {
      try {
        listener(error);
      } catch {
        // An error listener that throws has nowhere further to report to.
      }
    }
  }
}
