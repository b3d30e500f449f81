import { assertAbortOptions, assertFunction, assertOptionalRandom, type Clock, type Random, systemClock, systemRandom, systemTimers } from '@lattice/core';
import { AlgorithmId, type LimitSpec, StoreAction } from './algorithms.js';
import { checkCost, checkKey, checkLimiterOptions, type LimiterOptions, positiveInt, type RateLimitResult, settle, toResult } from './limiter.js';
import { MemoryStore } from './memory-store.js';
import type { Store } from './store.js';
import { KeyedWaitQueue, type WaitOptions } from './wait-queue.js';

/** Options of {@link ConcurrencyLimiter}. */
export interface ConcurrencyLimiterOptions extends LimiterOptions {
  /** Most permits in flight per key. */
  limit: number;
  /** A lease not released or extended within this many ms expires (its holder is presumed dead). */
  leaseMs: number;
  /** Source of lease ids. Default `systemRandom`. */
  random?: Random;
}

/** A held permit. Release it when done; extend it if the work outlives `leaseMs`. */
export interface Lease {
  readonly key: string;
  /** Unique id of this lease. */
  readonly id: number;
  /** Permits it holds. */
  readonly cost: number;
  /** Gives the permits back. Resolves false if the lease had already expired or been released. */
  release(): Promise<boolean>;
  /** Restarts the lease's `leaseMs`. Resolves false if it had already expired or been released. */
  extend(): Promise<boolean>;
}

/** The result of {@link ConcurrencyLimiter.tryAcquire}: a decision, and the lease when allowed. */
export interface AcquireResult extends RateLimitResult {
  readonly lease: Lease | undefined;
}

/**
 * Concurrency limiter: at most `limit` permits in flight per key. Each permit is a lease that
 * expires after `leaseMs` unless released or extended, so a holder that dies (a crashed process
 * holding a Redis-backed permit) does not leak it forever.
 *
 * @example
 * ```ts
 * const limiter = new ConcurrencyLimiter({ limit: 4, leaseMs: 30_000 });
 * const result = await limiter.run('tenant:1', async () => doWork()); // waits for a permit
 * ```
 */
export class ConcurrencyLimiter {
  readonly spec: LimitSpec;
  readonly store: Store;
  readonly limit: number;
  readonly #specs: readonly LimitSpec[];
  readonly #random: Random;
  readonly #queue: KeyedWaitQueue;

  constructor(options: ConcurrencyLimiterOptions) {
    checkLimiterOptions(options, 'ConcurrencyLimiter');
    assertOptionalRandom(options.random, 'options.random');
    const limit = positiveInt(options.limit, 'limit');
    const leaseMs = positiveInt(options.leaseMs, 'leaseMs');
    this.spec = Object.freeze({ name: options.name ?? 'concurrency', algorithm: AlgorithmId.Concurrency, p1: limit, p2: leaseMs, p3: 0 });
    this.#specs = Object.freeze([this.spec]);
    this.limit = limit;
    const clock: Clock = options.clock ?? systemClock;
    this.store = options.store ?? new MemoryStore({ clock });
    this.#random = options.random ?? systemRandom;
    this.#queue = new KeyedWaitQueue(options.timers ?? systemTimers, clock, positiveInt(options.maxQueue ?? 1000, 'maxQueue'));
  }

  /** Takes `cost` permits for `key` if available, without waiting. */
  tryAcquire(key: string, cost = 1): Promise<AcquireResult> {
    try {
      checkKey(key);
      checkCost(cost, this.limit);
    } catch (error) {
      return Promise.reject(error);
    }
    const id = this.#random.int(2 ** 48) + 1;
    return settle(
      () => this.store.apply(StoreAction.Consume, key, this.#specs, cost, id),
      (out) => {
        const result = toResult(out, 0, this.limit);
        return { ...result, lease: result.allowed ? this.#lease(key, id, cost) : undefined };
      },
    );
  }

  /**
   * Waits for `cost` permits (first come, first served per key in this process; woken early by
   * local releases, otherwise when the earliest lease expires), then returns the lease.
   */
  async acquire(key: string, options: WaitOptions & { cost?: number } = {}): Promise<Lease> {
    assertAbortOptions(options);
    const cost = options.cost ?? 1;
    checkKey(key);
    checkCost(cost, this.limit);
    return this.#queue.wait(
      key,
      async () => {
        const r = await this.tryAcquire(key, cost);
        return r.lease !== undefined ? { done: true, value: r.lease } : { done: false, retryAfter: r.retryAfter };
      },
      options,
      (lease) => void lease.release().catch(() => undefined),
    );
  }

  /** Runs `task` holding a permit, releasing it afterwards (also when `task` throws). */
  async run<T>(key: string, task: () => T | Promise<T>, options: WaitOptions & { cost?: number } = {}): Promise<T> {
    assertFunction(task, 'task');
    const lease = await this.acquire(key, options);
    try {
      return await task();
    } finally {
      await lease.release();
    }
  }

  /** Permits in use and whether `cost` more would be granted now. */
  peek(key: string, cost = 1): Promise<RateLimitResult> {
    checkKey(key);
    checkCost(cost, this.limit);
    return settle(
      () => this.store.apply(StoreAction.Peek, key, this.#specs, cost, 0),
      (out) => toResult(out, 0, this.limit),
    );
  }

  /** Drops every lease of `key`. */
  async reset(key: string): Promise<void> {
    checkKey(key);
    await this.store.apply(StoreAction.Reset, key, this.#specs, 0, 0);
    this.#queue.wake(key);
  }

  #lease(key: string, id: number, cost: number): Lease {
    const call = (action: StoreAction): Promise<boolean> =>
      settle(
        () => this.store.apply(action, key, this.#specs, cost, id),
        (out) => out[0] === 1,
      );
    return {
      key,
      id,
      cost,
      release: async () => {
        const released = await call(StoreAction.Release);
        this.#queue.wake(key);
        return released;
      },
      extend: () => call(StoreAction.Extend),
    };
  }
}
