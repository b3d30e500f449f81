import { InvalidArgumentError } from '@lattice/core';
import type { LimitSpec, StoreAction } from './algorithms.js';
import type { RateLimitResult } from './limiter.js';

/**
 * The one contract every store implements. A store holds the state of each key and applies an
 * algorithm's state transition to it atomically; the algorithms themselves are fixed
 * (`algorithms.ts`, ported to Lua for Redis), so every store decides exactly alike.
 *
 * `apply` works on one or more limits at once, for the same user key. For `StoreAction.Consume`
 * it is all-or-nothing: the request is consumed from every limit only if every limit allows it;
 * otherwise nothing changes (limits that would have allowed report their state as a peek).
 * Other actions apply to each limit.
 *
 * The result holds {@link RESULT_STRIDE} numbers per limit, in order: allowed (1/0), remaining,
 * resetAt (epoch ms, the store's clock), retryAfter (ms), delay (ms, shaping queue only), ttl (ms);
 * then one last number, the store's time (epoch ms) the decision was made at.
 */
export interface Store {
  /** A short name for diagnostics (`memory`, `redis`). */
  readonly kind: string;
  /**
   * Applies `action` to `key` under each limit of `specs`. `amount` is the cost (consume, peek),
   * the points (penalty, reward) or the duration in ms (block); `arg` is the lease id of
   * concurrency actions and 0 otherwise. May return synchronously.
   */
  apply(action: StoreAction, key: string, specs: readonly LimitSpec[], amount: number, arg: number): number[] | Promise<number[]>;
  /** Releases what the store owns (the memory store's map; a Redis store never closes the user's client). */
  close(): Promise<void>;
}

/**
 * A store that decides synchronously, in the caller's turn of the event loop (the memory store,
 * or any third-party store holding its state in process). Declaring `applySync` is the
 * capability: a limiter on such a store resolves `consume`/`peek` without waiting on the store,
 * and offers `consumeSync`. `apply` must then return its array synchronously too, and both must
 * make the same decision as the general algorithms (`algorithms.ts`); the compliance suite
 * (`runStoreTests`) checks that whenever a store declares the capability.
 *
 * A synchronous store may also offer `decideOne`, a fused single-limit decision that skips the
 * decision array altogether: limiters call it first for `consume`/`peek` on one limit, and fall
 * back to `applySync` when it returns undefined.
 *
 * @example
 * ```ts
 * class MyStore implements SyncStore {
 *   readonly kind = 'my-store';
 *   apply(action, key, specs, amount, arg) { const out: number[] = []; this.applySync(action, key, specs, amount, arg, out); return out; }
 *   applySync(action, key, specs, amount, arg, out) { ... } // the same transitions as `evaluate`
 *   async close() {}
 * }
 * ```
 */
export interface SyncStore extends Store {
  apply(action: StoreAction, key: string, specs: readonly LimitSpec[], amount: number, arg: number): number[];
  /** Like `apply`, writing the decision into `out` (length specs.length × RESULT_STRIDE + 1). */
  applySync(action: StoreAction, key: string, specs: readonly LimitSpec[], amount: number, arg: number, out: number[]): void;
  /**
   * Optional fused path of a limiter's `consume` (`take` true) or `peek` (`take` false) of
   * `amount` units on the one limit `spec`, whose largest cost is `limit`: returns the decision
   * directly — exactly what `applySync` would decide and do — or `undefined`, having changed
   * nothing a later `applySync` would see, when the general path must decide (an algorithm it
   * does not fuse, a blocked key). Arguments are already checked by the limiter.
   */
  decideOne?(spec: LimitSpec, take: boolean, key: string, amount: number, limit: number): RateLimitResult | undefined;
}

/**
 * @internal A store that can resolve with a mapped decision directly (the Redis store): a limiter
 * then needs no second promise per decision.
 */
export interface MappingStore extends Store {
  applyMapped<T>(action: StoreAction, key: string, specs: readonly LimitSpec[], amount: number, arg: number, map: (out: number[]) => T): Promise<T>;
}

/** @internal True when `store` has `applyMapped`. */
export function isMappingStore(store: Store): store is MappingStore {
  return typeof (store as Partial<MappingStore>).applyMapped === 'function';
}

/** True when `store` declares the synchronous capability (an `applySync` method, see {@link SyncStore}). */
export function isSyncStore(store: Store): store is SyncStore {
  return typeof (store as Partial<SyncStore> | null | undefined)?.applySync === 'function';
}

/** True when `store` is synchronous and offers the fused single-limit path ({@link SyncStore.decideOne}). */
export function hasFusedPath(store: Store): store is SyncStore & Required<Pick<SyncStore, 'decideOne'>> {
  return isSyncStore(store) && typeof store.decideOne === 'function';
}

/** @internal Throws `InvalidArgumentError` unless `store` has the shape of a {@link Store}. */
export function checkStore(store: unknown, what: string): asserts store is Store {
  if (typeof store !== 'object' || store === null || typeof (store as Partial<Store>).apply !== 'function') {
    throw new InvalidArgumentError(`${what} must be a Store (MemoryStore, RedisStore or one with an apply function)`);
  }
}
