import {
  assertFunction,
  assertNodeId,
  assertObject,
  assertOptionalClock,
  assertOptionalTimers,
  type Clock,
  ClosedError,
  DecodeError,
  type Endpoint,
  InvalidArgumentError,
  type LatticeError,
  type NodeId,
  systemClock,
  systemTimers,
  type TimerHandle,
  type Timers,
} from '@lattice/core';
import { checkKey, type RateLimitPolicy, type RateLimitResult } from '../limiter.js';
import { type GossipDecision, GossipCounterState, type GossipEntry, type GossipMessage } from './gossip-state.js';

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
  /** Receives malformed messages (`DecodeError`) and send failures; never thrown. */
  onError?: (error: LatticeError | Error) => void;
}

/** Counters of a {@link DistributedLimiter}. */
export interface DistributedLimiterStats {
  messagesSent: number;
  messagesReceived: number;
  decodeErrors: number;
  sendErrors: number;
  keys: number;
  livePeers: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

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
 * const { allowed } = await limiter.consume('api-key:123');
 * ```
 */
export class DistributedLimiter {
  readonly state: GossipCounterState;
  readonly policy: RateLimitPolicy;
  readonly #endpoint: Endpoint;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #syncIntervalMs: number;
  readonly #onError: ((error: LatticeError | Error) => void) | undefined;
  readonly #unsubscribe: () => void;
  #timer: TimerHandle | undefined;
  #closed = false;
  #lastHeartbeat: number;
  readonly #stats = { messagesSent: 0, messagesReceived: 0, decodeErrors: 0, sendErrors: 0 };

  constructor(options: DistributedLimiterOptions) {
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
    this.#endpoint = options.endpoint;
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#syncIntervalMs = options.syncIntervalMs ?? 50;
    if (!Number.isSafeInteger(this.#syncIntervalMs) || this.#syncIntervalMs < 1) throw new InvalidArgumentError(`syncIntervalMs must be a positive integer, got ${this.#syncIntervalMs}`);
    const size = new Set([...options.nodes, options.endpoint.id]).size;
    this.state = new GossipCounterState(
      {
        id: options.endpoint.id,
        nodes: options.nodes,
        limit: options.limit,
        windowMs: options.windowMs,
        maxUnsynced: options.maxUnsynced ?? Math.max(1, Math.floor(options.limit / (4 * size))),
        peerTimeoutMs: options.peerTimeoutMs ?? 4 * this.#syncIntervalMs,
        ...(options.maxKeys === undefined ? {} : { maxKeys: options.maxKeys }),
      },
      this.#clock.monotonic(),
    );
    this.policy = { name: options.name ?? 'distributed', quota: this.state.limit, windowMs: this.state.windowMs };
    this.#onError = options.onError;
    this.#lastHeartbeat = this.#clock.monotonic();
    this.#unsubscribe = this.#endpoint.onMessage((envelope) => this.#receive(envelope.from, envelope.payload));
    this.#schedule();
  }

  /** The over-admission bound per window while all nodes are connected: (N − 1) × maxUnsynced. */
  get accuracyBound(): number {
    return (this.state.clusterSize - 1) * this.state.maxUnsynced;
  }

  /** Message and key counters. */
  get stats(): DistributedLimiterStats {
    return { ...this.#stats, keys: this.state.keyCount, livePeers: this.state.livePeers(this.#clock.monotonic()).length };
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
    const decision = this.state.decide(key, cost, Math.floor(this.#clock.now()), this.#clock.monotonic(), commit);
    return decision;
  }

  /** Stops gossiping and detaches from the endpoint (which stays open: it belongs to the caller). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#unsubscribe();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
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

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = this.#timers.setTimeout(() => {
      this.#tick();
      this.#schedule();
    }, this.#syncIntervalMs);
  }

  #tick(): void {
    const monotonic = this.#clock.monotonic();
    const heartbeat = monotonic - this.#lastHeartbeat >= this.state.peerTimeoutMs / 4;
    if (heartbeat) this.#lastHeartbeat = monotonic;
    const maxBytes = this.#endpoint.maxMessageSize;
    for (const { to, message } of this.state.outgoing(Math.floor(this.#clock.now()), heartbeat)) {
      for (const payload of encodeChunks(message, maxBytes)) {
        this.#stats.messagesSent++;
        this.#endpoint.send(to, payload).catch((error: unknown) => {
          this.#stats.sendErrors++;
          this.#report(error instanceof Error ? error : new Error(String(error)));
        });
      }
    }
  }

  #receive(from: NodeId, payload: Uint8Array): void {
    let message: GossipMessage;
    try {
      message = decodeMessage(payload);
    } catch (error) {
      this.#stats.decodeErrors++;
      this.#report(error as DecodeError);
      return;
    }
    this.#stats.messagesReceived++;
    this.state.receive(from, message, Math.floor(this.#clock.now()), this.#clock.monotonic());
  }

  #report(error: LatticeError | Error): void {
    try {
      this.#onError?.(error);
    } catch {
      // The hook is the end of the reporting chain.
    }
  }
}

/** Splits a message into payloads of at most `maxBytes` (each a complete message). */
function encodeChunks(message: GossipMessage, maxBytes: number): Uint8Array[] {
  const whole = encoder.encode(JSON.stringify(message));
  if (whole.byteLength <= maxBytes || message.e.length <= 1) return [whole];
  const half = message.e.length >> 1;
  return [...encodeChunks({ v: 1, e: message.e.slice(0, half) }, maxBytes), ...encodeChunks({ v: 1, e: message.e.slice(half) }, maxBytes)];
}

function decodeMessage(payload: Uint8Array): GossipMessage {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(payload));
  } catch (cause) {
    throw new DecodeError(`Gossip message is not JSON (${payload.byteLength} bytes)`, { cause });
  }
  const message = value as { v?: unknown; e?: unknown };
  if (typeof message !== 'object' || message === null || message.v !== 1 || !Array.isArray(message.e)) {
    throw new DecodeError('Gossip message has an unknown shape or version');
  }
  for (const entry of message.e as unknown[]) {
    if (!isEntry(entry)) throw new DecodeError('Gossip message has a malformed entry');
  }
  return message as GossipMessage;
}

function isEntry(entry: unknown): entry is GossipEntry {
  if (!Array.isArray(entry) || entry.length !== 4) return false;
  const [key, window, counts, acked] = entry as unknown[];
  if (typeof key !== 'string' || !Number.isSafeInteger(window) || !Number.isSafeInteger(acked) || !Array.isArray(counts)) return false;
  return counts.every((pair: unknown) => Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && Number.isSafeInteger(pair[1]) && (pair[1] as number) >= 0);
}
