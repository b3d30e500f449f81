import {
  type BaseEvents,
  type Clock,
  ClosedError,
  type Codec,
  type Endpoint,
  type ErrorHandler,
  InvalidArgumentError,
  type LatticeError,
  type NodeId,
  Observable,
  ProtocolDriver,
  type ProtocolDriverStats,
  systemClock,
  type Timers,
  type Unsubscribe,
} from '@lattice/core';
import { assertCrdt, assertSameType, type Crdt } from '../crdt.js';
import { CrdtEncodeError } from '../errors.js';
import { decodeSyncMessage, encodeSyncMessage, readSyncTopic } from './messages.js';
import { type SyncEffect, type SyncMessage, SyncProtocol } from './protocol.js';
import { SendGuardedEndpoint } from './send-guarded-endpoint.js';

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
  /**
   * Monotonic time the rounds are scheduled on; it must run with `timers`. Default: `timers`
   * itself when it is also a clock (a `ManualClock`, the simulator's scheduler), else `systemClock`.
   */
  clock?: Clock;
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

/** Events of a {@link CrdtSync}. */
export interface CrdtSyncEvents<C extends Crdt> extends BaseEvents {
  /** Remote changes were joined into the replica (handed the replica). */
  change: C;
}

/**
 * Counters of a {@link CrdtSync} (a snapshot): its driver's. `rejected` counts messages of this
 * topic that could not be decoded or were refused; `sendErrors` counts failed sends and messages
 * withheld because they could not be encoded.
 */
export type CrdtSyncStats = ProtocolDriverStats;

/**
 * Keeps a CRDT replica in sync with its peers over a `Transport` endpoint: pushes every local
 * delta at once, and every `intervalMs` runs an anti-entropy round (version-vector digests; each
 * side sends only what the other lacks), so lost, duplicated or reordered messages, partitions
 * and replicas that were offline all converge. {@link SyncProtocol} bound to the endpoint by
 * `ProtocolDriver`, with the sync message codec and a filter on the topic in the header.
 *
 * Malformed or foreign messages are reported as `error` events (counted in `stats().rejected`)
 * and never touch the replica.
 *
 * @example
 * ```ts
 * import { MemoryNetwork } from '@lattice/transport';
 * const network = new MemoryNetwork();
 * const a = new CrdtSync({ endpoint: await network.open('a'), replica: new ORSet<string>('a'), peers: ['b'] });
 * const b = new CrdtSync({ endpoint: await network.open('b'), replica: new ORSet<string>('b'), peers: ['a'] });
 * b.on('change', (set) => console.log([...set.value()]));
 * b.on('error', (error) => console.warn(error.code, error.message));
 * a.update((set) => set.add('hello'));
 * ```
 */
export class CrdtSync<C extends Crdt> extends Observable<CrdtSyncEvents<C>> {
  readonly #protocol: SyncProtocol<C>;
  readonly #driver: ProtocolDriver<SyncMessage<C>, never, SyncEffect>;
  readonly #topic: string;
  /** Counts changes of the replica, so an unencodable state is reported once per change, not once per round. */
  #changes = 0;
  #unencodableStateAt = -1;
  #unencodableDigestAt = -1;
  /**
   * Thrown by the codec for a message it will not send because its failure was already
   * reported; the driver's report of it is dropped (identity, so nothing else can match).
   */
  readonly #withheld = new CrdtEncodeError('A sync message that cannot be encoded was withheld (already reported)');

  constructor(options: CrdtSyncOptions<C>) {
    super();
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
    const clock = options.clock ?? (isClock(options.timers) ? options.timers : systemClock);
    if (!isClock(clock)) throw new InvalidArgumentError('CrdtSync options.clock must be a Clock (now and monotonic)');
    if (options.topic !== undefined && typeof options.topic !== 'string') throw new InvalidArgumentError(`CrdtSync options.topic must be a string, got ${typeof options.topic}`);
    if (options.peers !== undefined && (typeof options.peers !== 'object' || options.peers === null || typeof options.peers[Symbol.iterator] !== 'function')) {
      throw new InvalidArgumentError('CrdtSync options.peers must be an iterable of node ids');
    }
    this.#topic = options.topic ?? 'crdt';
    this.#protocol = new SyncProtocol({
      replica: options.replica,
      origin: options.origin ?? (options.replica as { node?: NodeId }).node ?? options.endpoint.id,
      ...(options.peers === undefined ? {} : { peers: options.peers }),
      ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
      ...(options.maxLogEntries === undefined ? {} : { maxLogEntries: options.maxLogEntries }),
      ...(options.maxDeltasPerMessage === undefined ? {} : { maxDeltasPerMessage: options.maxDeltasPerMessage }),
    });
    const codec: Codec<SyncMessage<C>> = {
      encode: (message) => this.#encode(message),
      decode: (bytes) => decodeSyncMessage(bytes, this.#protocol.replica).message,
    };
    this.#driver = new ProtocolDriver({
      core: this.#protocol,
      endpoint: new SendGuardedEndpoint(options.endpoint),
      codec,
      accepts: (payload) => this.#accepts(payload),
      apply: () => this.#changed(),
      clock,
      ...(options.timers === undefined ? {} : { timers: options.timers }),
    });
    this.#driver.on('error', (error) => {
      if (error.cause !== this.#withheld) this.emit('error', error);
    });
  }

  /** The replica (mutate it through {@link CrdtSync.update}, or call {@link CrdtSync.commit} after). */
  get replica(): C {
    return this.#protocol.replica;
  }

  /** The protocol core (version vector, peers, log size). */
  get protocol(): SyncProtocol<C> {
    return this.#protocol;
  }

  /** True once closed (or stopped because the replica's own code failed on a peer's message). */
  get closed(): boolean {
    return this.#driver.stopped;
  }

  /** A snapshot of the counters. */
  stats(): CrdtSyncStats {
    return this.#driver.stats();
  }

  /** @deprecated Read `stats().rejected`: messages that could not be decoded or were refused. */
  get rejected(): number {
    return this.#driver.stats().rejected;
  }

  /** Applies a mutator to the replica and replicates its delta; returns the delta. */
  update(mutate: (replica: C) => C): C {
    if (this.closed) throw new ClosedError('CrdtSync is closed');
    if (typeof mutate !== 'function') throw new InvalidArgumentError('CrdtSync.update needs a function that applies a mutator and returns its delta');
    const delta = mutate(this.#protocol.replica);
    this.commit(delta);
    return delta;
  }

  /** Replicates a delta a mutator already applied to the replica. */
  commit(delta: C): void {
    if (this.closed) throw new ClosedError('CrdtSync is closed');
    assertSameType(this.#protocol.replica, delta);
    this.#changes++;
    this.#driver.run((core) => (core as SyncProtocol<C>).commit(delta));
  }

  /** Runs an anti-entropy round now (a digest to every peer). */
  syncNow(): void {
    if (this.closed) return;
    this.#driver.run((core) => (core as SyncProtocol<C>).round());
  }

  addPeer(peer: NodeId): void {
    if (this.closed) throw new ClosedError('CrdtSync is closed');
    this.#protocol.addPeer(peer);
  }

  removePeer(peer: NodeId): void {
    this.#protocol.removePeer(peer);
  }

  /** Calls `listener` after remote changes were joined into the replica; returns a remover. Same as `on('change', listener)`. */
  onChange(listener: (replica: C) => void): Unsubscribe {
    if (typeof listener !== 'function') throw new InvalidArgumentError('CrdtSync.onChange needs a function');
    return this.on('change', listener);
  }

  /** Calls `listener` with typed errors (undecodable messages, failed sends); returns a remover. Same as `on('error', listener)`. */
  onError(listener: ErrorHandler): Unsubscribe {
    if (typeof listener !== 'function') throw new InvalidArgumentError('CrdtSync.onError needs a function');
    return this.on('error', listener);
  }

  /** Stops the rounds and detaches from the endpoint (the endpoint stays open). Idempotent. */
  async close(): Promise<void> {
    await this.#driver.stop();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Other topics on this endpoint may replicate other CRDT types: their bodies are not ours to decode. */
  #accepts(payload: Uint8Array): boolean {
    try {
      return readSyncTopic(payload) === this.#topic;
    } catch {
      // A header that cannot be read is decoded anyway, so it is rejected with its typed error.
      return true;
    }
  }

  #changed(): void {
    this.#changes++;
    this.emit('change', this.#protocol.replica);
  }

  /**
   * Encodes a message, or reports why it cannot be and withholds it. Each failure is reported
   * once: a delta that cannot be encoded is dropped from the log (peers lacking it get the full
   * state instead), and an unencodable state or digest is not retried until the replica changes,
   * so anti-entropy rounds never repeat the same failure.
   */
  #encode(message: SyncMessage<C>): Uint8Array {
    if (message.type === 'state' && this.#unencodableStateAt === this.#changes) throw this.#withheld;
    if (message.type === 'digest' && this.#unencodableDigestAt === this.#changes) throw this.#withheld;
    try {
      return encodeSyncMessage(this.#topic, message);
    } catch (error) {
      if (message.type !== 'deltas') {
        if (message.type === 'state') this.#unencodableStateAt = this.#changes;
        else this.#unencodableDigestAt = this.#changes;
        this.#report(new CrdtEncodeError(`Could not encode a sync ${message.type} message; not retried until the replica changes`, { cause: error }));
        throw this.#withheld;
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
    if (sendable.length === 0) throw this.#withheld;
    try {
      return encodeSyncMessage(this.#topic, { type: 'deltas', entries: sendable });
    } catch (cause) {
      this.#report(new CrdtEncodeError('Could not encode a sync deltas message', { cause }));
      throw this.#withheld;
    }
  }

  #report(error: LatticeError): void {
    this.emit('error', error);
  }
}

function isClock(value: unknown): value is Clock {
  return typeof value === 'object' && value !== null && typeof (value as Partial<Clock>).now === 'function' && typeof (value as Partial<Clock>).monotonic === 'function';
}

