import { assertOptionalClock, assertOptionalObject, assertOptionalTimers, InvalidArgumentError, sleep, systemClock, systemTimers } from '@lattice/core';
import { type LimitSpec, RESULT_STRIDE, StoreAction } from './algorithms.js';
import { InvalidCostError } from './errors.js';
import { checkCost, checkKey, type LimiterOptions, positiveInt, type RateLimiter, type RateLimitResult, settle, toResult } from './limiter.js';
import type { Store } from './store.js';
import { KeyedWaitQueue, type WaitOptions } from './wait-queue.js';

/** A composite decision: the binding limit's numbers, plus every limit's own result. */
export interface CompositeResult extends RateLimitResult {
  /** One result per limit, in the order the limiters were given. */
  readonly results: readonly RateLimitResult[];
}

/**
 * Checks several limits at once and consumes from none unless all allow (one atomic store call;
 * one Lua script on Redis). The top-level numbers are those of the binding limit: when refused,
 * the refusing limit with the longest `retryAfter`; when allowed, the one with least `remaining`.
 *
 * @example
 * ```ts
 * const store = new MemoryStore();
 * const perSecond = new TokenBucket({ store, name: 'burst', capacity: 10, refillRate: 10 });
 * const perDay = new FixedWindow({ store, name: 'daily', limit: 10_000, windowMs: 86_400_000 });
 * const both = new CompositeLimiter([perSecond, perDay]);
 * const { allowed, results } = await both.consume('user:1');
 * ```
 */
export class CompositeLimiter {
  readonly store: Store;
  /** The smallest limit: the largest cost a request may have. */
  readonly limit: number;
  readonly limiters: readonly RateLimiter[];
  readonly #specs: readonly LimitSpec[];
  readonly #limits: readonly number[];
  readonly #queue: KeyedWaitQueue;
  readonly #timers;

  constructor(limiters: readonly RateLimiter[], options: Pick<LimiterOptions, 'clock' | 'timers' | 'maxQueue'> = {}) {
    if (!Array.isArray(limiters)) throw new InvalidArgumentError('CompositeLimiter needs an array of limiters');
    if (limiters.length === 0) throw new InvalidArgumentError('CompositeLimiter needs at least one limiter');
    for (const limiter of limiters) {
      if (typeof limiter?.spec !== 'object' || typeof limiter.store?.apply !== 'function' || typeof limiter.limit !== 'number') {
        throw new InvalidArgumentError('Every member of a CompositeLimiter must be a rate limiter (TokenBucket, FixedWindow, …)');
      }
    }
    assertOptionalObject(options, 'CompositeLimiter options');
    assertOptionalClock(options.clock, 'options.clock');
    assertOptionalTimers(options.timers, 'options.timers');
    const store = limiters[0]!.store;
    const names = new Set<string>();
    for (const limiter of limiters) {
      if (limiter.store !== store) throw new InvalidArgumentError('Every limiter of a CompositeLimiter must share one store (atomicity needs it)');
      if (names.has(limiter.name)) throw new InvalidArgumentError(`Limiter names must be distinct within a CompositeLimiter; "${limiter.name}" repeats`);
      names.add(limiter.name);
    }
    this.store = store;
    this.limiters = Object.freeze([...limiters]);
    this.#specs = Object.freeze(limiters.map((l) => l.spec));
    this.#limits = limiters.map((l) => l.limit);
    this.limit = Math.min(...this.#limits);
    this.#timers = options.timers ?? systemTimers;
    this.#queue = new KeyedWaitQueue(this.#timers, options.clock ?? systemClock, positiveInt(options.maxQueue ?? 1000, 'maxQueue'));
  }

  /** Consumes `cost` from every limit if all allow; otherwise from none. */
  consume(key: string, cost = 1): Promise<CompositeResult> {
    return this.#call(StoreAction.Consume, key, cost, true);
  }

  /** What `consume` would decide, without consuming. */
  peek(key: string, cost = 1): Promise<CompositeResult> {
    return this.#call(StoreAction.Peek, key, cost, true);
  }

  /** Consumes `points` from every limit unconditionally. */
  penalty(key: string, points = 1): Promise<CompositeResult> {
    return this.#call(StoreAction.Penalty, key, points, false);
  }

  /** Gives `points` back to every limit. */
  reward(key: string, points = 1): Promise<CompositeResult> {
    return this.#call(StoreAction.Reward, key, points, false);
  }

  /** Blocks `key` in every limit for `durationMs`. */
  block(key: string, durationMs: number): Promise<CompositeResult> {
    if (!Number.isFinite(durationMs) || durationMs <= 0) return Promise.reject(new InvalidArgumentError(`durationMs must be a positive number, got ${durationMs}`));
    return this.#call(StoreAction.Block, key, Math.ceil(durationMs), false);
  }

  /** Forgets `key` in every limit. */
  async reset(key: string): Promise<void> {
    checkKey(key);
    await this.store.apply(StoreAction.Reset, key, this.#specs, 0, 0);
  }

  /** Waits (FIFO per key, bounded, abortable) until every limit admits `cost`. */
  async waitFor(key: string, cost = 1, options: WaitOptions = {}): Promise<CompositeResult> {
    checkKey(key);
    checkCost(cost, this.limit);
    const result = await this.#queue.wait(
      key,
      async () => {
        const r = await this.consume(key, cost);
        return r.allowed ? { done: true, value: r } : { done: false, retryAfter: r.retryAfter };
      },
      options,
      () => void this.reward(key, cost).catch(() => undefined),
    );
    if (result.delay > 0) await sleep(this.#timers, result.delay, options);
    return result;
  }

  #call(action: StoreAction, key: string, amount: number, isCost: boolean): Promise<CompositeResult> {
    try {
      checkKey(key);
      if (isCost) checkCost(amount, this.limit);
      else if (action !== StoreAction.Block && (!Number.isSafeInteger(amount) || amount < 1)) throw new InvalidCostError(amount);
    } catch (error) {
      return Promise.reject(error);
    }
    return settle(
      () => this.store.apply(action, key, this.#specs, amount, 0),
      (out) => this.#combine(out),
    );
  }

  #combine(out: number[]): CompositeResult {
    const results = this.#limits.map((limit, i) => toResult(out, i * RESULT_STRIDE, limit));
    const allowed = results.every((r) => r.allowed);
    let binding = results[0]!;
    for (const r of results) {
      if (allowed ? r.remaining < binding.remaining : !r.allowed && (binding.allowed || r.retryAfter > binding.retryAfter)) binding = r;
    }
    return {
      allowed,
      remaining: Math.min(...results.map((r) => r.remaining)),
      resetAt: Math.max(...results.map((r) => r.resetAt)),
      resetAfter: Math.max(...results.map((r) => r.resetAfter)),
      retryAfter: allowed ? 0 : binding.retryAfter,
      delay: Math.max(...results.map((r) => r.delay)),
      limit: binding.limit,
      results,
    };
  }
}
