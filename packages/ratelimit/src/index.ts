/**
 * Rate limiting for any JavaScript runtime: token bucket, leaky bucket (meter and shaping
 * queue), fixed window, sliding-window log, sliding-window counter, GCRA and a concurrency
 * limiter with expiring leases; a composite that consumes from all limits or none; an in-memory
 * store and a Redis store (one Lua script, one round trip per decision, ioredis or node-redis);
 * HTTP header helpers; and a distributed limiter that gossips per-node counters over a Lattice
 * `Transport`, with no central store.
 *
 * @example
 * ```ts
 * import { TokenBucket, rateLimitHeaders } from '@lattice/ratelimit';
 *
 * const limiter = new TokenBucket({ capacity: 10, refillRate: 5 }); // 5 per second, bursts of 10
 * const result = await limiter.consume('user:42');
 * if (!result.allowed) console.log(rateLimitHeaders(result, limiter.policy)['Retry-After']);
 * ```
 *
 * @packageDocumentation
 */
export { AlgorithmId, evaluateChecked as evaluate, type LimitSpec, RESULT_STRIDE, type StateScratch, StoreAction } from './algorithms.js';
export { type CompositeResult, CompositeLimiter } from './composite.js';
export { type AcquireResult, ConcurrencyLimiter, type ConcurrencyLimiterOptions, type Lease } from './concurrency.js';
export { CostExceedsLimitError, InvalidCostError, QueueFullError, StoreReplyError, StoreUnavailableError } from './errors.js';
export { type HeaderOptions, rateLimitHeaders } from './headers.js';
export {
  FixedWindow,
  Gcra,
  type GcraOptions,
  LeakyBucket,
  type LeakyBucketOptions,
  LeakyBucketQueue,
  type LeakyBucketQueueOptions,
  type LimiterOptions,
  RateLimiter,
  type RateLimitPolicy,
  type RateLimitResult,
  SlidingWindowCounter,
  SlidingWindowLog,
  TokenBucket,
  type TokenBucketOptions,
  type WindowOptions,
} from './limiter.js';
export { MemoryStore, type MemoryStoreOptions, type MemoryStoreStats } from './memory-store.js';
export { RATE_LIMIT_SCRIPT } from './lua.js';
export { type IoredisLike, ioredisAdapter, type NodeRedisLike, nodeRedisAdapter, type RedisAdapter, redisAdapter } from './redis-adapter.js';
export { type RedisFailurePolicy, RedisStore, type RedisStoreOptions, type RedisStoreStats, type StoreErrorContext } from './redis-store.js';
export { hasFusedPath, isSyncStore, type Store, type SyncStore } from './store.js';
export type { Attempt, WaitOptions } from './wait-queue.js';
export {
  DistributedLimiter,
  type DistributedLimiterEvents,
  type DistributedLimiterOptions,
  type DistributedLimiterStats,
} from './distributed/distributed-limiter.js';
export { GossipCodec } from './distributed/gossip-codec.js';
export { type FollowMembershipOptions, followMembership, type MembershipMember, type MembershipSource } from './distributed/membership.js';
export {
  GossipCounterState,
  type GossipDecision,
  type GossipEntry,
  type GossipMessage,
  type GossipReady,
  type GossipStateOptions,
} from './distributed/gossip-state.js';
