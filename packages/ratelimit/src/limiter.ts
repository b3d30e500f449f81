import { assertObject, assertOptionalClock, assertOptionalTimers, type Clock, InvalidArgumentError, sleep, systemClock, systemTimers, type Timers } from '@lattice/core';
import { AlgorithmId, type LimitSpec, RESULT_STRIDE, StoreAction } from './algorithms.js';
import { CostExceedsLimitError, InvalidCostError } from './errors.js';
import { MemoryStore } from './memory-store.js';
import { checkStore, hasFusedPath, isMappingStore, isSyncStore, type MappingStore, type Store, type SyncStore } from './store.js';
import { KeyedWaitQueue, type WaitOptions } from './wait-queue.js';

/** The outcome of a decision. */
export interface RateLimitResult {
  /** True when the request is admitted (and was consumed, for `consume`). */
  readonly allowed: boolean;
  /** Units still available after this decision (0 when refused). */
  readonly remaining: number;
  /** When the key is back to its full limit, epoch ms (in the store's clock: Redis `TIME` for Redis). */
  readonly resetAt: number;
  /** Milliseconds from the decision until `resetAt`. */
  readonly resetAfter: number;
  /** Milliseconds to wait before the same request can be admitted; 0 when allowed. */
  readonly retryAfter: number;
  /** Milliseconds the admitted request must wait for its turn: non-zero only for `LeakyBucketQueue`. */
  readonly delay: number;
  /** The limit that applies (capacity, burst or requests per window). */
  readonly limit: number;
}

/** How a limiter describes its quota, for the `RateLimit-Policy` header. */
export interface RateLimitPolicy {
  /** Policy name (the limiter's name). */
  readonly name: string;
  /** Units per window. */
  readonly quota: number;
  /** Window in ms: the window size, or the time to refill a bucket from empty. */
  readonly windowMs: number;
}

/** Options every limiter takes. */
export interface LimiterOptions {
  /** Where state lives. Default: a new `MemoryStore` with `clock`. */
  store?: Store;
  /** Namespace of this limiter's keys in the store; distinct per limiter sharing a store. Default: the algorithm's name. */
  name?: string;
  /** Clock of the default memory store and of wait deadlines. Default `systemClock`. */
  clock?: Clock;
  /** Timers of `waitFor`. Default `systemTimers`. */
  timers?: Timers;
  /** Most waiters `waitFor` queues per key before rejecting with `QueueFullError`. Default 1000. */
  maxQueue?: number;
}

/** @internal */
export function positiveInt(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError(`${what} must be a positive integer, got ${String(value)}`);
  return value;
}

/**
 * @internal Checks the options every limiter takes (not the algorithm's own numbers), so a
 * mistake is refused at construction instead of failing at the first decision.
 */
export function checkLimiterOptions(options: unknown, what: string): asserts options is LimiterOptions {
  assertObject(options, `${what} options`);
  const { store, name, clock, timers } = options as LimiterOptions;
  if (store !== undefined) checkStore(store, 'options.store');
  if (name !== undefined && (typeof name !== 'string' || name === '')) throw new InvalidArgumentError(`options.name must be a non-empty string, got ${String(name)}`);
  assertOptionalClock(clock, 'options.clock');
  assertOptionalTimers(timers, 'options.timers');
}

/** @internal */
export function checkKey(key: string): void {
  if (typeof key !== 'string') throw new InvalidArgumentError(`key must be a string, got ${typeof key}`);
}

/** @internal */
export function checkCost(cost: number, limit: number): void {
  if (!Number.isSafeInteger(cost) || cost < 1) throw new InvalidCostError(cost);
  if (cost > limit) throw new CostExceedsLimitError(cost, limit);
}

/** @internal */
export function toResult(out: readonly number[], o: number, limit: number): RateLimitResult {
  const now = out[out.length - 1]!;
  return {
    allowed: out[o] === 1,
    remaining: out[o + 1]!,
    resetAt: out[o + 2]!,
    resetAfter: Math.max(0, out[o + 2]! - now),
    retryAfter: out[o + 3]!,
    delay: out[o + 4]!,
    limit,
  };
}

/** @internal Runs a store call, sync or async, and maps its result. */
export function settle<T>(run: () => number[] | Promise<number[]>, map: (out: number[]) => T): Promise<T> {
  let out: number[] | Promise<number[]>;
  try {
    out = run();
  } catch (error) {
    return Promise.reject(error);
  }
  return Array.isArray(out) ? Promise.resolve(map(out)) : out.then(map);
}

/**
 * A rate limiter: one algorithm, one store, any number of keys. The concrete classes
 * ({@link TokenBucket}, {@link LeakyBucket}, {@link LeakyBucketQueue}, {@link FixedWindow},
 * {@link SlidingWindowLog}, {@link SlidingWindowCounter}, {@link Gcra}) only choose the algorithm.
 *
 * Costs are positive integers no larger than the limit (`InvalidCostError`,
 * `CostExceedsLimitError` otherwise). A refused `consume` consumes nothing.
 */
export abstract class RateLimiter {
  /** The limit as the store sees it. */
  readonly spec: LimitSpec;
  /** The store holding this limiter's state. */
  readonly store: Store;
  /** The largest cost one request may have (capacity, burst or window limit). */
  readonly limit: number;
  /** The quota, for `RateLimit-Policy`. */
  abstract readonly policy: RateLimitPolicy;
  readonly #specs: readonly LimitSpec[];
  readonly #timers: Timers;
  readonly #queue: KeyedWaitQueue;
  readonly #sync: SyncStore | undefined;
  /** The store when it resolves with mapped decisions (Redis): one promise per decision, not two. */
  readonly #mapping: MappingStore | undefined;
  /** The store when it offers the fused single-limit path (`SyncStore.decideOne`): consume and peek try it first. */
  readonly #fused: (SyncStore & Required<Pick<SyncStore, 'decideOne'>>) | undefined;
  readonly #scratch: number[] = new Array<number>(RESULT_STRIDE + 1).fill(0);

  protected constructor(spec: LimitSpec, options: LimiterOptions) {
    // Abstract in TypeScript, but JavaScript can still call it: say what to create instead.
    if (typeof spec !== 'object' || spec === null || typeof spec.name !== 'string') {
      throw new InvalidArgumentError(
        'RateLimiter is the base class of the limiters: create a TokenBucket, LeakyBucket, LeakyBucketQueue, Gcra, FixedWindow, SlidingWindowLog, SlidingWindowCounter or ConcurrencyLimiter',
      );
    }
    assertObject(options, 'limiter options');
    this.spec = Object.freeze({ ...spec });
    this.#specs = Object.freeze([this.spec]);
    this.limit = spec.p1;
    const clock = options.clock ?? systemClock;
    this.store = options.store ?? new MemoryStore({ clock });
    this.#sync = isSyncStore(this.store) ? this.store : undefined;
    this.#mapping = isMappingStore(this.store) ? this.store : undefined;
    this.#fused = hasFusedPath(this.store) ? this.store : undefined;
    this.#timers = options.timers ?? systemTimers;
    this.#queue = new KeyedWaitQueue(this.#timers, clock, positiveInt(options.maxQueue ?? 1000, 'maxQueue'));
  }

  /** The limiter's name: its namespace in the store. */
  get name(): string {
    return this.spec.name;
  }

  /**
   * Admits a request of `cost` units for `key` if the limit allows, consuming them; a refusal
   * consumes nothing.
   *
   * @example
   * ```ts
   * const limiter = new TokenBucket({ capacity: 10, refillRate: 1 }); // 1 token/s, bursts of 10
   * const result = await limiter.consume('user:42');
   * if (!result.allowed) console.log(`retry in ${result.retryAfter} ms`);
   * ```
   */
  consume(key: string, cost = 1): Promise<RateLimitResult> {
    if (this.#sync !== undefined) {
      try {
        return Promise.resolve(this.#decideSync(this.#sync, StoreAction.Consume, key, cost));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.#call(StoreAction.Consume, key, cost, true);
  }

  /**
   * `consume` without a promise, for a store with the synchronous capability (`MemoryStore`, or
   * any {@link SyncStore}); throws `InvalidArgumentError` on any other store.
   *
   * @example
   * ```ts
   * const limiter = new FixedWindow({ limit: 100, windowMs: 60_000 }); // default MemoryStore
   * if (!limiter.consumeSync(ip).allowed) return tooManyRequests();
   * ```
   */
  consumeSync(key: string, cost = 1): RateLimitResult {
    if (this.#sync === undefined) throw new InvalidArgumentError(`consumeSync needs a synchronous store such as MemoryStore; this limiter uses a ${this.store.kind} store`);
    return this.#decideSync(this.#sync, StoreAction.Consume, key, cost);
  }

  /** What `consume(key, cost)` would decide now, without consuming; `remaining` is the current one. */
  peek(key: string, cost = 1): Promise<RateLimitResult> {
    if (this.#sync !== undefined) {
      try {
        return Promise.resolve(this.#decideSync(this.#sync, StoreAction.Peek, key, cost));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.#call(StoreAction.Peek, key, cost, true);
  }

  #decideSync(store: SyncStore, action: StoreAction, key: string, cost: number): RateLimitResult {
    if (typeof key !== 'string') checkKey(key);
    if (!Number.isSafeInteger(cost) || cost < 1 || cost > this.limit) checkCost(cost, this.limit);
    if (this.#fused !== undefined) {
      const fast = this.#fused.decideOne(this.spec, action === StoreAction.Consume, key, cost, this.limit);
      if (fast !== undefined) return fast;
    }
    const out = this.#scratch;
    store.applySync(action, key, this.#specs, cost, 0, out);
    return toResult(out, 0, this.limit);
  }

  /** Forgets `key` (its consumption and any block). */
  async reset(key: string): Promise<void> {
    checkKey(key);
    await this.store.apply(StoreAction.Reset, key, this.#specs, 0, 0);
  }

  /** Consumes `points` unconditionally (may go past the limit): punish a bad request after the fact. */
  penalty(key: string, points = 1): Promise<RateLimitResult> {
    return this.#call(StoreAction.Penalty, key, points, false);
  }

  /** Gives `points` back (never above the full limit): refund a request that turned out cheap. */
  reward(key: string, points = 1): Promise<RateLimitResult> {
    return this.#call(StoreAction.Reward, key, points, false);
  }

  /** Refuses every request for `key` for `durationMs` (extending, never shortening, a block in force). */
  block(key: string, durationMs: number): Promise<RateLimitResult> {
    if (!Number.isFinite(durationMs) || durationMs <= 0) return Promise.reject(new InvalidArgumentError(`durationMs must be a positive number, got ${durationMs}`));
    return this.#call(StoreAction.Block, key, Math.ceil(durationMs), false);
  }

  /**
   * Waits until `cost` units are admitted for `key`, then resolves with the decision. Waiters of
   * one key are served first come, first served (by this process); at most `maxQueue` wait per
   * key (`QueueFullError`). Abort with `signal` (`AbortError`); `timeoutMs` rejects with a
   * `TimeoutError` as soon as the wait is known to exceed it. For a `LeakyBucketQueue`, it also
   * waits out the request's `delay`.
   *
   * @example
   * ```ts
   * const limiter = new Gcra({ limit: 10, intervalMs: 1000 });
   * await limiter.waitFor('outbound-api', 1, { signal: AbortSignal.timeout(5000) });
   * await callTheApi();
   * ```
   */
  async waitFor(key: string, cost = 1, options: WaitOptions = {}): Promise<RateLimitResult> {
    checkKey(key);
    checkCost(cost, this.limit);
    const result = await this.#queue.wait(
      key,
      async () => {
        const r = await this.consume(key, cost);
        return r.allowed ? { done: true, value: r } : { done: false, retryAfter: r.retryAfter };
      },
      options,
      (_r) => void this.reward(key, cost).catch(() => undefined),
    );
    if (result.delay > 0) await sleep(this.#timers, result.delay, options);
    return result;
  }

  #call(action: StoreAction, key: string, amount: number, isCost: boolean): Promise<RateLimitResult> {
    try {
      checkKey(key);
      if (isCost) checkCost(amount, this.limit);
      else if (action !== StoreAction.Block && (!Number.isSafeInteger(amount) || amount < 1)) throw new InvalidCostError(amount);
    } catch (error) {
      return Promise.reject(error);
    }
    let out: number[] | Promise<number[]>;
    try {
      if (this.#mapping !== undefined) return this.#mapping.applyMapped(action, key, this.#specs, amount, 0, this.#toResult);
      out = this.store.apply(action, key, this.#specs, amount, 0);
    } catch (error) {
      return Promise.reject(error);
    }
    return Array.isArray(out) ? Promise.resolve(toResult(out, 0, this.limit)) : out.then(this.#toResult);
  }

  /** Maps a store decision to a result; one function per limiter, not one closure per call. */
  readonly #toResult = (out: number[]): RateLimitResult => toResult(out, 0, this.limit);
}

/** Rate given as `tokens` per `intervalMs`. */
interface RateOptions {
  /** Interval the rate is given per, in ms. Default 1000. */
  intervalMs?: number;
}

function checkScaled(a: number, b: number): void {
  if (a * b > 2 ** 50) throw new InvalidArgumentError(`capacity × intervalMs must stay below 2^50 for exact integer arithmetic, got ${a * b}`);
}

/** Validated capacity, rate per interval and the policy window: what every bucket takes. */
function bucketParams(capacity: number, rate: number, rateName: string, intervalMs: number | undefined): { p1: number; p2: number; p3: number; windowMs: number } {
  const p1 = positiveInt(capacity, 'capacity');
  const p2 = positiveInt(rate, rateName);
  const p3 = positiveInt(intervalMs ?? 1000, 'intervalMs');
  checkScaled(p1, p3);
  return { p1, p2, p3, windowMs: Math.ceil((p1 * p3) / p2) };
}

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions extends LimiterOptions, RateOptions {
  /** Most tokens the bucket holds (the burst); a new key starts full. */
  capacity: number;
  /** Tokens added per `intervalMs`. */
  refillRate: number;
}

/**
 * Token bucket: holds up to `capacity` tokens, refilled continuously at `refillRate` per
 * `intervalMs`; a request takes `cost` tokens. Bursts up to `capacity`, then the refill rate.
 *
 * @example
 * ```ts
 * const limiter = new TokenBucket({ capacity: 20, refillRate: 5 }); // 5/s, bursts of 20
 * const { allowed, remaining } = await limiter.consume('user:1', 2);
 * ```
 */
export class TokenBucket extends RateLimiter {
  readonly policy: RateLimitPolicy;
  constructor(options: TokenBucketOptions) {
    checkLimiterOptions(options, 'TokenBucket');
    const { p1, p2, p3, windowMs } = bucketParams(options.capacity, options.refillRate, 'refillRate', options.intervalMs);
    super({ name: options.name ?? 'token-bucket', algorithm: AlgorithmId.TokenBucket, p1, p2, p3 }, options);
    this.policy = { name: this.name, quota: p1, windowMs };
  }
}

/** Options of {@link LeakyBucket}. */
export interface LeakyBucketOptions extends LimiterOptions, RateOptions {
  /** Most units the bucket holds; a request adds `cost` units. */
  capacity: number;
  /** Units leaking out per `intervalMs`. */
  leakRate: number;
}

/**
 * Leaky bucket as a meter: each request pours `cost` units into a bucket of `capacity` that leaks
 * at `leakRate` per `intervalMs`; a request that would overflow is refused. (Same decisions as a
 * token bucket of that capacity and rate, seen from the other side.)
 *
 * @example
 * ```ts
 * const limiter = new LeakyBucket({ capacity: 10, leakRate: 2 });
 * await limiter.consume('tenant:7');
 * ```
 */
export class LeakyBucket extends RateLimiter {
  readonly policy: RateLimitPolicy;
  constructor(options: LeakyBucketOptions) {
    checkLimiterOptions(options, 'LeakyBucket');
    const { p1, p2, p3, windowMs } = bucketParams(options.capacity, options.leakRate, 'leakRate', options.intervalMs);
    super({ name: options.name ?? 'leaky-bucket', algorithm: AlgorithmId.LeakyBucket, p1, p2, p3 }, options);
    this.policy = { name: this.name, quota: p1, windowMs };
  }
}

/** Options of {@link LeakyBucketQueue}. */
export interface LeakyBucketQueueOptions extends LimiterOptions, RateOptions {
  /** Most units queued (including the one being served); beyond it requests are refused. */
  capacity: number;
  /** Units served per `intervalMs`: the output rate. */
  drainRate: number;
}

/**
 * Leaky bucket as a FIFO queue that shapes traffic: admitted requests leave at a constant rate
 * (`drainRate` per `intervalMs`). `consume` admits a request into the queue and tells it, in
 * `delay`, how long to wait for its turn; `waitFor` waits that long for you. Up to `capacity`
 * units queue; beyond that, requests are refused.
 *
 * @example
 * ```ts
 * const shaper = new LeakyBucketQueue({ capacity: 50, drainRate: 10 }); // smooth 10/s output
 * await shaper.waitFor('smtp'); // resolves when it is this request's turn
 * ```
 */
export class LeakyBucketQueue extends RateLimiter {
  readonly policy: RateLimitPolicy;
  constructor(options: LeakyBucketQueueOptions) {
    checkLimiterOptions(options, 'LeakyBucketQueue');
    const { p1, p2, p3, windowMs } = bucketParams(options.capacity, options.drainRate, 'drainRate', options.intervalMs);
    super({ name: options.name ?? 'leaky-bucket-queue', algorithm: AlgorithmId.LeakyBucketQueue, p1, p2, p3 }, options);
    this.policy = { name: this.name, quota: p1, windowMs };
  }
}

/** Options of the window limiters. */
export interface WindowOptions extends LimiterOptions {
  /** Units admitted per window. */
  limit: number;
  /** Window length in ms. */
  windowMs: number;
}

/**
 * Fixed window: at most `limit` units per window, windows aligned on multiples of `windowMs`
 * since the epoch. Cheapest; allows up to 2 × limit across a window boundary.
 *
 * @example
 * ```ts
 * const limiter = new FixedWindow({ limit: 100, windowMs: 60_000 });
 * await limiter.consume('ip:203.0.113.9');
 * ```
 */
export class FixedWindow extends RateLimiter {
  readonly policy: RateLimitPolicy;
  constructor(options: WindowOptions) {
    checkLimiterOptions(options, 'FixedWindow');
    const limit = positiveInt(options.limit, 'limit');
    const windowMs = positiveInt(options.windowMs, 'windowMs');
    super({ name: options.name ?? 'fixed-window', algorithm: AlgorithmId.FixedWindow, p1: limit, p2: windowMs, p3: 0 }, options);
    this.policy = { name: this.name, quota: limit, windowMs };
  }
}

/**
 * Sliding-window log: at most `limit` units in any `windowMs` interval, exactly; remembers each
 * admitted request's time, so memory per key grows with the limit.
 *
 * @example
 * ```ts
 * const limiter = new SlidingWindowLog({ limit: 5, windowMs: 60_000 });
 * await limiter.consume('login:alice');
 * ```
 */
export class SlidingWindowLog extends RateLimiter {
  readonly policy: RateLimitPolicy;
  constructor(options: WindowOptions) {
    checkLimiterOptions(options, 'SlidingWindowLog');
    const limit = positiveInt(options.limit, 'limit');
    const windowMs = positiveInt(options.windowMs, 'windowMs');
    checkScaled(limit, 1);
    super({ name: options.name ?? 'sliding-window-log', algorithm: AlgorithmId.SlidingWindowLog, p1: limit, p2: windowMs, p3: 0 }, options);
    this.policy = { name: this.name, quota: limit, windowMs };
  }
}

/**
 * Sliding-window counter: the current fixed window's count plus the previous window's, weighted
 * by how much of it the sliding window still covers. Three numbers per key; approximates the
 * sliding log (it assumes the previous window's requests were evenly spread).
 *
 * @example
 * ```ts
 * const limiter = new SlidingWindowCounter({ limit: 1000, windowMs: 3_600_000 });
 * await limiter.consume('api-key:k1');
 * ```
 */
export class SlidingWindowCounter extends RateLimiter {
  readonly policy: RateLimitPolicy;
  constructor(options: WindowOptions) {
    checkLimiterOptions(options, 'SlidingWindowCounter');
    const limit = positiveInt(options.limit, 'limit');
    const windowMs = positiveInt(options.windowMs, 'windowMs');
    checkScaled(limit, windowMs);
    super({ name: options.name ?? 'sliding-window-counter', algorithm: AlgorithmId.SlidingWindowCounter, p1: limit, p2: windowMs, p3: 0 }, options);
    this.policy = { name: this.name, quota: limit, windowMs };
  }
}

/** Options of {@link Gcra}. */
export interface GcraOptions extends LimiterOptions, RateOptions {
  /** Units per `intervalMs` (the sustained rate). */
  limit: number;
  /** Most units admitted back to back. Default `limit`. */
  burst?: number;
}

/**
 * GCRA (generic cell rate algorithm): keeps only the theoretical arrival time (TAT) of the next
 * request, held exactly as whole milliseconds plus a remainder; admits `limit` units per
 * `intervalMs` with bursts of up to `burst`. Decides like a leaky-bucket meter of capacity
 * `burst`; no timestamp of the last request is needed.
 *
 * @example
 * ```ts
 * const limiter = new Gcra({ limit: 10, intervalMs: 1000, burst: 3 });
 * const { allowed, retryAfter } = await limiter.consume('device:9');
 * ```
 */
export class Gcra extends RateLimiter {
  readonly policy: RateLimitPolicy;
  constructor(options: GcraOptions) {
    checkLimiterOptions(options, 'Gcra');
    const rate = positiveInt(options.limit, 'limit');
    const burst = positiveInt(options.burst ?? rate, 'burst');
    const interval = positiveInt(options.intervalMs ?? 1000, 'intervalMs');
    checkScaled(burst, interval);
    super({ name: options.name ?? 'gcra', algorithm: AlgorithmId.Gcra, p1: burst, p2: rate, p3: interval }, options);
    this.policy = { name: this.name, quota: rate, windowMs: interval };
  }
}
