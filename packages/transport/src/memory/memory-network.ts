import {
  type AbortOptions,
  assertAbortOptions,
  assertBytes,
  assertInteger,
  assertNodeId,
  assertOptionalClock,
  assertOptionalObject,
  assertOptionalRandom,
  assertOptionalTimers,
  type Clock,
  ClosedError,
  DuplicateNodeError,
  type Endpoint,
  type Envelope,
  type ErrorHandler,
  Inbox,
  InvalidArgumentError,
  type MessageHandler,
  MessageTooLargeError,
  type NodeId,
  Observable,
  type OpenOptions,
  type Random,
  seededRandom,
  systemTimers,
  throwIfAborted,
  type Timers,
  type Transport,
  UnknownPeerError,
} from '@lattice/core';
import { assertLink, type FaultOptions, LinkState, mergeFaults, NO_FAULTS, type ResolvedFaults } from './faults.js';
import type { DropReason, MemoryNetworkEvents } from './network-events.js';

/** Options of {@link MemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Schedules deliveries. Default: the system timers. Pass a `ManualClock` or the simulator's timers for determinism. */
  timers?: Timers;
  /** Stamps the `at` of every event with `clock.monotonic()` (pass the clock behind `timers`). Default: none, `at` is undefined. */
  clock?: Clock;
  /** Source of every random fault decision. Default: `seededRandom(seed)`. */
  random?: Random;
  /** Seed of the default `random`. Default 1, so runs are reproducible unless told otherwise. */
  seed?: number;
  /** Largest payload accepted, in bytes. Default 4 MiB. */
  maxMessageSize?: number;
  /** Initial faults; all off by default. */
  faults?: FaultOptions;
}

/** Counters a {@link MemoryNetwork} keeps (a snapshot from {@link MemoryNetwork.stats}). */
export interface NetworkStats {
  /** Messages accepted by `send`. */
  sent: number;
  /** Copies handed to a handler or iterator of an open endpoint (duplicates count again). */
  delivered: number;
  /** Copies lost: by the drop rate, a partition, a cut, an isolation, a receiver that was closed or had no listener. */
  dropped: number;
  /** Extra copies created by the duplicate rate. */
  duplicated: number;
}

const DEFAULT_MAX_MESSAGE_SIZE = 4 * 1024 * 1024;

/** A zero-latency message waiting for its batch's timer turn. */
interface InFlight {
  readonly id: number;
  readonly target: MemoryEndpoint;
  readonly from: NodeId;
  readonly payload: Uint8Array;
  readonly copy: number;
}

/**
 * An in-process network implementing `Transport`, with fault injection for tests.
 *
 * Delivery is always asynchronous: each message is scheduled on the injected `Timers` after
 * its latency (0 by default), so under a `ManualClock` nothing arrives until time advances,
 * and a given seed replays the same drops, duplicates and delays. Without faults, messages on
 * one link arrive in the order sent; with `reorderRate` or a latency range they may not.
 *
 * Faults, each switchable at run time: {@link MemoryNetwork.configure} (drop, duplicate,
 * reorder, latency), {@link MemoryNetwork.partition} (named groups),
 * {@link MemoryNetwork.cut} (one way), {@link MemoryNetwork.isolate}, {@link MemoryNetwork.heal}.
 * A link that goes down also drops the messages in flight on it.
 *
 * Unknown peers: a node id never opened on this network is unknown (`send` rejects with
 * `UnknownPeerError`); a node that was opened and then closed is known but down, and messages
 * to it are silently dropped, as with a crashed machine.
 *
 * Observable like everything in Lattice: {@link MemoryNetwork.stats} is a snapshot of the
 * counters, and `on('send' | 'duplicate' | 'drop' | 'deliver', listener)` reports each message
 * with its id, ends, size, time and, for drops, the reason ({@link MemoryNetworkEvents}), so a
 * simulator or test can follow every message without wrapping payloads in a header of its own.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const network = new MemoryNetwork({ timers: clock, seed: 7, faults: { dropRate: 0.1, latency: { min: 1, max: 20 } } });
 * const a = await network.open('a');
 * const b = await network.open('b');
 * b.onMessage((m) => console.log(new TextDecoder().decode(m.payload)));
 * await a.send('b', new TextEncoder().encode('hi'));
 * network.partition({ left: ['a'], right: ['b'] });
 * clock.advance(20); // the message in flight is lost to the partition
 * network.heal();
 * ```
 */
export class MemoryNetwork extends Observable<MemoryNetworkEvents> implements Transport {
  readonly maxMessageSize: number;
  readonly #timers: Timers;
  readonly #clock: Clock | undefined;
  readonly #random: Random;
  readonly #endpoints = new Map<NodeId, MemoryEndpoint>();
  readonly #known = new Set<NodeId>();
  readonly #links = new LinkState();
  #faults: ResolvedFaults;
  #closed = false;
  #due: InFlight[] = [];
  #lastId = 0;
  readonly #stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };

  constructor(options: MemoryNetworkOptions = {}) {
    super();
    assertOptionalObject(options, 'MemoryNetwork options');
    assertOptionalTimers(options.timers);
    assertOptionalClock(options.clock, 'clock');
    assertOptionalRandom(options.random);
    if (options.seed !== undefined) assertInteger(options.seed, 'seed', Number.MIN_SAFE_INTEGER);
    if (options.maxMessageSize !== undefined) assertInteger(options.maxMessageSize, 'maxMessageSize', 1);
    this.#timers = options.timers ?? systemTimers;
    this.#clock = options.clock;
    this.#random = options.random ?? seededRandom(options.seed ?? 1);
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.#faults = mergeFaults(NO_FAULTS, options.faults === undefined ? {} : options.faults);
  }

  /** A snapshot of the counters. */
  stats(): NetworkStats {
    return { ...this.#stats };
  }

  /** The fault settings in force. */
  get faults(): ResolvedFaults {
    return { ...this.#faults, latency: { ...this.#faults.latency } };
  }

  /** Ids of the endpoints open now. */
  nodes(): NodeId[] {
    return [...this.#endpoints.keys()];
  }

  async open(id: NodeId, options?: OpenOptions): Promise<Endpoint> {
    assertAbortOptions(options);
    throwIfAborted(options?.signal);
    return this.openSync(id);
  }

  /**
   * {@link MemoryNetwork.open} without the promise: the endpoint is open when this returns.
   * For hosts that run on virtual time and must not wait a microtask turn (the simulator
   * restarting a node inside one event).
   */
  openSync(id: NodeId): Endpoint {
    assertNodeId(id);
    if (this.#closed) throw new ClosedError('MemoryNetwork is closed');
    if (this.#endpoints.has(id)) throw new DuplicateNodeError(id);
    const endpoint = new MemoryEndpoint(id, this.maxMessageSize, this, () => this.#endpoints.delete(id));
    this.#endpoints.set(id, endpoint);
    this.#known.add(id);
    return endpoint;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#endpoints.values()].map((endpoint) => endpoint.close()));
  }

  /** Changes fault settings from now on (fields not given keep their value). */
  configure(faults: FaultOptions): void {
    if (faults === undefined) throw new InvalidArgumentError('configure needs the fault settings to change, e.g. { dropRate: 0.1 }');
    this.#faults = mergeFaults(this.#faults, faults);
  }

  /** Splits nodes into named groups that cannot reach each other; replaces any earlier partition. */
  partition(groups: Record<string, readonly NodeId[]>): void {
    this.#links.partition(groups);
  }

  /** Cuts the link from `from` to `to` (one way). */
  cut(from: NodeId, to: NodeId): void {
    this.#links.cut(from, to);
  }

  /** Restores a link cut with {@link MemoryNetwork.cut}. */
  restore(from: NodeId, to: NodeId): void {
    this.#links.restore(from, to);
  }

  /** Cuts every link to and from `id`. */
  isolate(id: NodeId): void {
    this.#links.isolate(id);
  }

  /** Removes every partition, cut and isolation (latency and rates are kept; use `configure`). */
  heal(): void {
    this.#links.heal();
  }

  /** True when a message from `from` to `to` would pass the partitions and cuts now. */
  reachable(from: NodeId, to: NodeId): boolean {
    assertLink(from, to);
    return this.#links.allows(from, to);
  }

  /** @internal Called by endpoints: applies faults and schedules delivery. */
  route(from: NodeId, to: NodeId, payload: Uint8Array): void {
    if (!this.#known.has(to)) throw new UnknownPeerError(to);
    this.#stats.sent++;
    const id = ++this.#lastId;
    if (this.listenerCount('send') > 0) this.emit('send', { id, from, to, size: payload.byteLength, at: this.#now() });
    const target = this.#endpoints.get(to);
    const faults = this.#faults;
    const reason: DropReason | undefined = target === undefined ? 'closed' : (this.#links.blocker(from, to) ?? (this.#chance(faults.dropRate) ? 'random' : undefined));
    if (target === undefined || reason !== undefined) {
      this.#drop(id, from, to, payload, reason ?? 'closed', 'send');
      return;
    }
    const copies = this.#chance(faults.duplicateRate) ? 2 : 1;
    if (copies > 1) {
      this.#stats.duplicated++;
      if (this.listenerCount('duplicate') > 0) this.emit('duplicate', { id, from, to, size: payload.byteLength, at: this.#now() });
    }
    for (let copy = 0; copy < copies; copy++) {
      const delay = this.#delay(faults);
      if (delay > 0) {
        this.#timers.setTimeout(() => this.#deliver(id, target, from, payload, copy), delay);
        continue;
      }
      // Zero-latency messages share one timer turn, in send order: one timer per batch, not per message.
      this.#due.push({ id, target, from, payload, copy });
      if (this.#due.length === 1) this.#timers.setTimeout(() => this.#deliverDue(), 0);
    }
  }

  #deliverDue(): void {
    const due = this.#due;
    this.#due = [];
    for (const { id, target, from, payload, copy } of due) this.#deliver(id, target, from, payload, copy);
  }

  #deliver(id: number, target: MemoryEndpoint, from: NodeId, payload: Uint8Array, copy: number): void {
    const reason: DropReason | undefined = target.closed ? 'closed' : (this.#links.blocker(from, target.id) ?? (target.listening ? undefined : 'no-listener'));
    if (reason !== undefined) {
      this.#drop(id, from, target.id, payload, reason, 'deliver');
      return;
    }
    this.#stats.delivered++;
    // Reported before the handlers run, so what they send is reported after the delivery that caused it.
    if (this.listenerCount('deliver') > 0) this.emit('deliver', { id, from, to: target.id, size: payload.byteLength, at: this.#now(), copy });
    // Each delivery gets its own copy: receivers own their bytes, even duplicates.
    target.receive({ from, to: target.id, payload: payload.slice() });
  }

  #drop(id: number, from: NodeId, to: NodeId, payload: Uint8Array, reason: DropReason, stage: 'send' | 'deliver'): void {
    this.#stats.dropped++;
    if (this.listenerCount('drop') > 0) this.emit('drop', { id, from, to, size: payload.byteLength, at: this.#now(), reason, stage });
  }

  #now(): number | undefined {
    return this.#clock?.monotonic();
  }

  #chance(probability: number): boolean {
    return probability > 0 && this.#random.next() < probability;
  }

  #delay(faults: ResolvedFaults): number {
    const { min, max } = faults.latency;
    let delay = max > min ? min + this.#random.next() * (max - min) : min;
    if (this.#chance(faults.reorderRate)) delay += this.#random.next() * Math.max(10, 2 * max);
    return delay;
  }
}

class MemoryEndpoint implements Endpoint {
  readonly id: NodeId;
  readonly maxMessageSize: number;
  readonly #network: MemoryNetwork;
  readonly #inbox = new Inbox();
  readonly #onClose: () => void;

  constructor(id: NodeId, maxMessageSize: number, network: MemoryNetwork, onClose: () => void) {
    this.id = id;
    this.maxMessageSize = maxMessageSize;
    this.#network = network;
    this.#onClose = onClose;
  }

  get closed(): boolean {
    return this.#inbox.closed;
  }

  /** True when a handler or iterator would take a message now. */
  get listening(): boolean {
    return this.#inbox.listening;
  }

  async send(to: NodeId, payload: Uint8Array, options?: AbortOptions): Promise<void> {
    assertNodeId(to, 'destination node id');
    assertBytes(payload, 'payload');
    assertAbortOptions(options);
    throwIfAborted(options?.signal);
    if (this.closed) throw new ClosedError(`Endpoint "${this.id}" is closed`);
    if (payload.byteLength > this.maxMessageSize) throw new MessageTooLargeError(payload.byteLength, this.maxMessageSize);
    this.#network.route(this.id, to, payload);
  }

  receive(message: Envelope): void {
    this.#inbox.deliver(message);
  }

  onMessage(handler: MessageHandler): () => void {
    return this.#inbox.onMessage(handler);
  }

  onError(handler: ErrorHandler): () => void {
    return this.#inbox.onError(handler);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.#inbox.close();
    this.#onClose();
  }

  [Symbol.asyncIterator](): AsyncIterator<Envelope> {
    return this.#inbox[Symbol.asyncIterator]();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
