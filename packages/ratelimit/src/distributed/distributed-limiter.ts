import {
  assertFunction,
  assertNodeId,
  assertObject,
  assertOptionalClock,
  assertOptionalTimers,
  type BaseEvents,
  type Clock,
  ClosedError,
  type Endpoint,
  InvalidArgumentError,
  type LatticeError,
  type NodeId,
  Observable,
  ProtocolDriver,
  systemClock,
  systemTimers,
  type Timers,
} from '@lattice/core';
import { checkKey, type RateLimitPolicy, type RateLimitResult } from '../limiter.js';
import { type GossipDecision, GossipCounterState, type GossipMessage } from './gossip-state.js';

/** Options of {@link DistributedLimiter}. */
export interface DistributedLimiterOptions {
  /** This node's endpoint on the cluster's `Transport` (the caller opens and closes it). */
  endpoint: Endpoint;
  /** Every node of the cluster (this one included or not). */
  nodes: readonly NodeId[];
  /** Units the whole cluster admits per window, per key. */
  limit: number;
  /** Window length in ms (aligned on multiples of it since the epoch, by each node's wall clock). */
  windowMs: number;
  /** How often counters are gossiped, in ms. Default 50. */
  syncIntervalMs?: number;
  /**
   * Most units a node admits that its live peers have not acknowledged; the over-admission bound
   * is (N − 1) × maxUnsynced per window. Default max(1, ⌊limit / (4N)⌋).
   */
  maxUnsynced?: number;
  /** A peer not heard from for this long is considered down. Default 4 × syncIntervalMs. */
  peerTimeoutMs?: number;
  /** Most keys tracked. Default 100,000. */
  maxKeys?: number;
  /** Name in `policy`. Default `'distributed'`. */
  name?: string;
  clock?: Clock;
  timers?: Timers;
  /**
   * Shorthand for `limiter.on('error', onError)` from construction on: receives malformed
   * messages (`DecodeError`), send failures and listener failures; never thrown.
   */
  onError?: (error: LatticeError) => void;
}

/** Events of a {@link DistributedLimiter}. */
export interface DistributedLimiterEvents extends BaseEvents {}

/** Counters of a {@link DistributedLimiter} (a snapshot, from `stats()`). */
export interface DistributedLimiterStats {
  /** Gossip payloads handed to the transport. */
  messagesSent: number;
  /** Gossip messages received and merged. */
  messagesReceived: number;
  /** Received payloads refused: undecodable or malformed (each also an `error` event). */
  decodeErrors: number;
  /** Sends that could not be encoded or that the transport failed (each also an `error` event). */
  sendErrors: number;
  /** Keys tracked now. */
  keys: number;
  /** Peers heard from within `peerTimeoutMs`. */
  livePeers: number;
}

/**
 * A rate limiter shared by N nodes without a central store: each node decides locally (no round
 * trip), counts its own admissions per key and window in a grow-only counter, and gossips the
 * counters to every peer over a Lattice `Transport`; each node sums the counters it knows.
 *
 * Accuracy: while every node can reach every other, a window admits at most
 * `limit + (N − 1) × maxUnsynced` per key, whatever the message delays or losses (a node stops
 * admitting once `maxUnsynced` of its units are unacknowledged). A node that cannot hear a peer
 * for `peerTimeoutMs` keeps working, but limits the group it can still reach to
 * ⌊limit × reachable / N⌋ per window — an isolated node gets ⌊limit / N⌋ — so windows spent
 * wholly in a partition stay within the limit (plus the same unsynced bound inside each group).
 *
 * @example
 * ```ts
 * const endpoint = await transport.open('node-a');
 * const limiter = new DistributedLimiter({ endpoint, nodes: ['node-a', 'node-b', 'node-c'], limit: 1000, windowMs: 60_000 });
 * limiter.on('error', (error) => console.warn(error.code, error.message));
 * const { allowed } = await limiter.consume('api-key:123');
 * console.log(limiter.stats().messagesSent);
 * ```
 */
export class DistributedLimiter extends Observable<DistributedLimiterEvents> {
  /** The gossip core (read its state; the limiter's driver feeds it). */
  readonly state: GossipCounterState;
  readonly policy: RateLimitPolicy;
  readonly #clock: Clock;
  readonly #driver: ProtocolDriver<GossipMessage>;
  readonly #detachClock: () => void;
  #closed = false;

  constructor(options: DistributedLimiterOptions) {
    super();
    assertObject(options, 'DistributedLimiter options');
    const { endpoint } = options;
    if (typeof endpoint?.send !== 'function' || typeof endpoint.onMessage !== 'function') {
      throw new InvalidArgumentError('options.endpoint must be an Endpoint (an open transport endpoint)');
    }
    assertNodeId(endpoint.id, 'options.endpoint.id');
    if (!Array.isArray(options.nodes)) throw new InvalidArgumentError('options.nodes must be an array of node ids');
    for (const node of options.nodes) assertNodeId(node, 'a node of options.nodes');
    assertOptionalClock(options.clock, 'options.clock');
    assertOptionalTimers(options.timers, 'options.timers');
    if (options.onError !== undefined) assertFunction(options.onError, 'options.onError');
    if (options.name !== undefined && typeof options.name !== 'string') throw new InvalidArgumentError('options.name must be a string');
    const clock = options.clock ?? systemClock;
    const timers: Timers = options.timers ?? systemTimers;
    const syncIntervalMs = options.syncIntervalMs ?? 50;
    if (!Number.isSafeInteger(syncIntervalMs) || syncIntervalMs < 1) throw new InvalidArgumentError(`syncIntervalMs must be a positive integer, got ${syncIntervalMs}`);
    const size = new Set([...options.nodes, endpoint.id]).size;
    this.#clock = clock;
    this.state = new GossipCounterState(
      {
        id: endpoint.id,
        nodes: options.nodes,
        limit: options.limit,
        windowMs: options.windowMs,
        maxUnsynced: options.maxUnsynced ?? Math.max(1, Math.floor(options.limit / (4 * size))),
        peerTimeoutMs: options.peerTimeoutMs ?? 4 * syncIntervalMs,
        syncIntervalMs,
        maxMessageBytes: endpoint.maxMessageSize,
        ...(options.maxKeys === undefined ? {} : { maxKeys: options.maxKeys }),
      },
      clock.monotonic(),
    );
    this.policy = { name: options.name ?? 'distributed', quota: this.state.limit, windowMs: this.state.windowMs };
    if (options.onError !== undefined) this.on('error', options.onError);
    this.#observe();
    // The driver steps messages at the time the core last observed; attached before the
    // driver's handler, this one runs first and brings that time up to date for each message.
    this.#detachClock = endpoint.onMessage(() => this.#observe());
    // Likewise, every timer of the driver (a gossip round) first hands the core the wall time.
    const observingTimers: Timers = {
      setTimeout: (callback, delayMs) =>
        timers.setTimeout(() => {
          if (!this.#closed) this.#observe();
          callback();
        }, delayMs),
      clearTimeout: (handle) => timers.clearTimeout(handle),
    };
    this.#driver = new ProtocolDriver({ core: this.state, endpoint, codec: this.state.codec, clock, timers: observingTimers });
    this.#driver.on('error', (error) => this.emit('error', error));
    this.#driver.on('stopped', () => this.#detach());
  }

  /** The over-admission bound per window while all nodes are connected: (N − 1) × maxUnsynced. */
  get accuracyBound(): number {
    return (this.state.clusterSize - 1) * this.state.maxUnsynced;
  }

  /**
   * Replaces the cluster's nodes (this one included or not): a member joined or failed. The
   * limit is then shared by the new N; see {@link GossipCounterState.setNodes}. To follow a
   * SWIM membership, use {@link followMembership}.
   */
  setNodes(nodes: readonly NodeId[]): void {
    if (this.#closed) throw new ClosedError('DistributedLimiter is closed');
    this.state.setNodes(nodes, this.#clock.monotonic());
  }

  /** A snapshot of the message and key counters. */
  stats(): DistributedLimiterStats {
    const driver = this.#driver.stats();
    return {
      messagesSent: driver.messagesSent,
      messagesReceived: driver.messagesReceived - driver.rejected,
      decodeErrors: driver.rejected,
      sendErrors: driver.sendErrors,
      keys: this.state.keyCount,
      livePeers: this.state.livePeers(this.#clock.monotonic()).length,
    };
  }

  /** Decides locally (no network round trip) and consumes `cost` units of `key` if admitted. */
  consume(key: string, cost = 1): Promise<RateLimitResult> {
    return this.#decide(key, cost, true);
  }

  /** What `consume` would decide now, without consuming. */
  peek(key: string, cost = 1): Promise<RateLimitResult> {
    return this.#decide(key, cost, false);
  }

  /** Like `consume`, synchronously, with the reason for a refusal. */
  decide(key: string, cost = 1, commit = true): GossipDecision {
    if (this.#closed) throw new ClosedError('DistributedLimiter is closed');
    checkKey(key);
    const wall = this.#clock.now();
    const monotonic = this.#clock.monotonic();
    // Observed before `run`, which ticks the core first: a round due now then takes this wall time.
    this.state.observe(wall, monotonic);
    return this.#driver.run(() => this.state.decide(key, cost, Math.floor(wall), monotonic, commit));
  }

  /** Stops gossiping and detaches from the endpoint (which stays open: it belongs to the caller). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#detach();
    await this.#driver.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #detach(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#detachClock();
  }

  #observe(): void {
    this.state.observe(this.#clock.now(), this.#clock.monotonic());
  }

  #decide(key: string, cost: number, commit: boolean): Promise<RateLimitResult> {
    try {
      const now = Math.floor(this.#clock.now());
      const d = this.decide(key, cost, commit);
      return Promise.resolve({
        allowed: d.allowed,
        remaining: d.remaining,
        resetAt: d.resetAt,
        resetAfter: Math.max(0, d.resetAt - now),
        retryAfter: d.retryAfter,
        delay: 0,
        limit: this.state.limit,
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
