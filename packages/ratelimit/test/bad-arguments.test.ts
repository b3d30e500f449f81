import { ClosedError, InvalidArgumentError, } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import { MemoryNetwork } from '@lattice/transport';
import { describe, expect, it } from 'vitest';
import {
  AlgorithmId,
  CompositeLimiter,
  ConcurrencyLimiter,
  DistributedLimiter,
  FixedWindow,
  Gcra,
  GossipCounterState,
  InvalidCostError,
  isSyncStore,
  ioredisAdapter,
  LeakyBucket,
  LeakyBucketQueue,
  MemoryStore,
  nodeRedisAdapter,
  type RateLimiter,
  RateLimiter as RateLimiterClass,
  rateLimitHeaders,
  RedisStore,
  redisAdapter,
  SlidingWindowCounter,
  SlidingWindowLog,
  StoreAction,
  TokenBucket,
  evaluate,
} from '../src/index.js';
import { codeOf } from '@lattice/test-kit';


const clock = new ManualClock();
const bucket = (options: object): TokenBucket => new TokenBucket({ capacity: 10, refillRate: 1, clock, timers: clock, ...options });
const gossip = (): GossipCounterState => new GossipCounterState({ id: 'a', nodes: ['a', 'b'], limit: 10, windowMs: 1000, maxUnsynced: 1, peerTimeoutMs: 100 }, 0);
const spec = { name: 'api', algorithm: AlgorithmId.TokenBucket, p1: 10, p2: 1, p3: 1000 } as const;
const decision = { allowed: true, remaining: 3, resetAt: 5000, resetAfter: 4000, retryAfter: 0, delay: 0, limit: 10 };
const policy = { name: 'api', quota: 10, windowMs: 1000 };
const fakeEndpoint = { id: 'a', send: async () => undefined, onMessage: () => () => undefined, onError: () => () => undefined, close: async () => undefined };

// Each entry is one wrong call; every one must be refused with an InvalidArgumentError at the call.
const wrongCalls: [string, () => unknown][] = [
  ['new RateLimiter (the abstract base) without a spec', () => new (RateLimiterClass as unknown as new (...a: unknown[]) => unknown)()],
  ['new RateLimiter (the abstract base) with a spec but no options', () => new (RateLimiterClass as unknown as new (...a: unknown[]) => unknown)({ name: 'x', algorithm: 1, p1: 1, p2: 1, p3: 1 })],
  ['evaluate without a spec', () => evaluate(undefined as never, undefined, 0, StoreAction.Consume, 1, 0, [], 0)],
  ['evaluate with an unknown algorithm', () => evaluate({ ...spec, algorithm: 99 as never }, undefined, 0, StoreAction.Consume, 1, 0, [], 0)],
  ['evaluate with a string parameter', () => evaluate({ ...spec, p1: '10' as never }, undefined, 0, StoreAction.Consume, 1, 0, [], 0)],
  ['evaluate with a state that is not an array', () => evaluate(spec, 5 as never, 0, StoreAction.Consume, 1, 0, [], 0)],
  ['evaluate at NaN', () => evaluate(spec, undefined, Number.NaN, StoreAction.Consume, 1, 0, [], 0)],
  ['evaluate with an unknown action', () => evaluate(spec, undefined, 0, 42 as never, 1, 0, [], 0)],
  ['evaluate with a string amount', () => evaluate(spec, undefined, 0, StoreAction.Consume, '1' as never, 0, [], 0)],
  ['evaluate without an output array', () => evaluate(spec, undefined, 0, StoreAction.Consume, 1, 0, undefined as never, 0)],
  ['evaluate with a negative offset', () => evaluate(spec, undefined, 0, StoreAction.Consume, 1, 0, [], -1)],
  ['evaluate with scratch that is not scratch arrays', () => evaluate(spec, undefined, 0, StoreAction.Consume, 1, 0, [], 0, {} as never)],
  ['rateLimitHeaders with an empty result and policy', () => rateLimitHeaders({} as never, {} as never)],
  ['rateLimitHeaders with a policy without a name', () => rateLimitHeaders(decision, { quota: 10, windowMs: 1000 } as never)],
  ['rateLimitHeaders with a result whose remaining is a string', () => rateLimitHeaders({ ...decision, remaining: '3' } as never, policy)],
  ['new TokenBucket without options', () => new TokenBucket(undefined as never)],
  ['new TokenBucket with null options', () => new TokenBucket(null as never)],
  ['new LeakyBucket without options', () => new LeakyBucket(undefined as never)],
  ['new LeakyBucketQueue without options', () => new LeakyBucketQueue(undefined as never)],
  ['new FixedWindow without options', () => new FixedWindow(undefined as never)],
  ['new SlidingWindowLog without options', () => new SlidingWindowLog(undefined as never)],
  ['new SlidingWindowCounter without options', () => new SlidingWindowCounter(undefined as never)],
  ['new Gcra without options', () => new Gcra(undefined as never)],
  ['new ConcurrencyLimiter without options', () => new ConcurrencyLimiter(undefined as never)],
  ['TokenBucket capacity NaN', () => bucket({ capacity: Number.NaN })],
  ['TokenBucket capacity Infinity', () => bucket({ capacity: Number.POSITIVE_INFINITY })],
  ['TokenBucket capacity a string', () => bucket({ capacity: '10' })],
  ['TokenBucket refillRate negative', () => bucket({ refillRate: -1 })],
  ['TokenBucket intervalMs a fraction', () => bucket({ intervalMs: 0.5 })],
  ['TokenBucket name not a string', () => bucket({ name: 5 })],
  ['TokenBucket name empty', () => bucket({ name: '' })],
  ['TokenBucket store not a store', () => bucket({ store: {} })],
  ['TokenBucket clock without now', () => new TokenBucket({ capacity: 1, refillRate: 1, clock: {} as never })],
  ['TokenBucket timers without setTimeout', () => bucket({ timers: {} })],
  ['TokenBucket maxQueue 0', () => bucket({ maxQueue: 0 })],
  ['FixedWindow windowMs NaN', () => new FixedWindow({ limit: 1, windowMs: Number.NaN })],
  ['Gcra burst 0', () => new Gcra({ limit: 1, burst: 0 })],
  ['ConcurrencyLimiter leaseMs negative', () => new ConcurrencyLimiter({ limit: 1, leaseMs: -1 })],
  ['ConcurrencyLimiter random without next', () => new ConcurrencyLimiter({ limit: 1, leaseMs: 1, random: {} as never })],
  ['TokenBucket.consumeSync with a numeric key', () => bucket({}).consumeSync(5 as never)],
  ['new MemoryStore with options that are not an object', () => new MemoryStore(5 as never)],
  ['new MemoryStore with a clock without now', () => new MemoryStore({ clock: {} as never })],
  ['new MemoryStore with maxKeys NaN', () => new MemoryStore({ maxKeys: Number.NaN })],
  ['new RedisStore without options', () => new RedisStore(undefined as never)],
  ['new RedisStore with an adapter that is not one', () => new RedisStore({ adapter: {} as never })],
  ['new RedisStore with timeoutMs a string', () => new RedisStore({ client: { sendCommand: () => undefined } as never, timeoutMs: '5' as never })],
  ['new RedisStore with closedRetryAfterMs NaN', () => new RedisStore({ client: { sendCommand: () => undefined } as never, closedRetryAfterMs: Number.NaN })],
  ['new RedisStore with a prefix that is not a string', () => new RedisStore({ client: { sendCommand: () => undefined } as never, prefix: 5 as never })],
  ['new RedisStore with an onError that is not a function', () => new RedisStore({ client: { sendCommand: () => undefined } as never, onError: 'log' as never })],
  ['redisAdapter with undefined', () => redisAdapter(undefined)],
  ['ioredisAdapter without a client', () => ioredisAdapter(undefined as never)],
  ['nodeRedisAdapter with a number', () => nodeRedisAdapter(5 as never)],
  ['GossipCounterState.decide with a numeric key', () => gossip().decide(5 as never, 1, 0, 0, true)],
  ['GossipCounterState.decide at NaN', () => gossip().decide('k', 1, Number.NaN, 0, true)],
  ['GossipCounterState.receive of a number', () => gossip().receive('b', 5 as never, 0, 0)],
  ['GossipCounterState.outgoing at NaN', () => gossip().outgoing(Number.NaN, true)],
  ['new CompositeLimiter without limiters', () => new CompositeLimiter(undefined as never)],
  ['new CompositeLimiter with a non-limiter', () => new CompositeLimiter([{} as RateLimiter])],
  ['new CompositeLimiter with an empty list', () => new CompositeLimiter([])],
  ['rateLimitHeaders without a result', () => rateLimitHeaders(undefined as never, bucket({}).policy)],
  ['rateLimitHeaders without a policy', () => rateLimitHeaders({ allowed: true, remaining: 1, resetAt: 0, resetAfter: 0, retryAfter: 0, delay: 0, limit: 1 }, undefined as never)],
  ['new DistributedLimiter without options', () => new DistributedLimiter(undefined as never)],
  ['new DistributedLimiter without an endpoint', () => new DistributedLimiter({ nodes: ['a'], limit: 1, windowMs: 1 } as never)],
  ['new DistributedLimiter with nodes that are not an array', () => new DistributedLimiter({ endpoint: fakeEndpoint as never, nodes: 'a' as never, limit: 1, windowMs: 1, clock, timers: clock })],
  ['new DistributedLimiter with a bad node id', () => new DistributedLimiter({ endpoint: fakeEndpoint as never, nodes: [''], limit: 1, windowMs: 1, clock, timers: clock })],
  ['new DistributedLimiter with limit NaN', () => new DistributedLimiter({ endpoint: fakeEndpoint as never, nodes: ['a'], limit: Number.NaN, windowMs: 1, clock, timers: clock })],
  ['new GossipCounterState without options', () => new GossipCounterState(undefined as never, 0)],
  ['new GossipCounterState with a NaN start', () => new GossipCounterState({ id: 'a', nodes: [], limit: 1, windowMs: 1, maxUnsynced: 1, peerTimeoutMs: 1 }, Number.NaN)],
];

describe('bad arguments get a typed error where they are passed', () => {
  it.each(wrongCalls)('%s', (_name, call) => {
    expect(codeOf(call)).toBe(InvalidArgumentError.code);
  });

  it('async entry points reject with a typed error', async () => {
    const limiter = bucket({});
    await expect(limiter.consume(5 as never)).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(limiter.consume('k', Number.NaN)).rejects.toMatchObject({ code: InvalidCostError.code });
    await expect(limiter.block('k', Number.NaN)).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(limiter.block('k', '5' as never)).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(limiter.penalty('k', 0.5)).rejects.toMatchObject({ code: InvalidCostError.code });
    await expect(limiter.reset(undefined as never)).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(limiter.waitFor('k', 1, 5 as never)).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(limiter.waitFor('k', 1, { timeoutMs: Number.NaN })).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(limiter.waitFor('k', 1, { timeoutMs: -1 })).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(limiter.waitFor('k', 1, { signal: 'x' as never })).rejects.toMatchObject({ code: InvalidArgumentError.code });
    const concurrency = new ConcurrencyLimiter({ limit: 1, leaseMs: 1000, clock, timers: clock });
    await expect(concurrency.tryAcquire(5 as never)).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(concurrency.acquire('k', 5 as never)).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(concurrency.run('k', 'not a task' as never)).rejects.toMatchObject({ code: InvalidArgumentError.code });
    const composite = new CompositeLimiter([limiter]);
    await expect(composite.consume(5 as never)).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(composite.block('k', Number.NaN)).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(composite.waitFor('k', 1, { timeoutMs: Number.NaN })).rejects.toMatchObject({ code: InvalidArgumentError.code });
  });

  it('isSyncStore answers false for anything that is not a store', () => {
    expect(isSyncStore(undefined as never)).toBe(false);
  });

  it('stores refuse decisions after close() with ClosedError (instead of starting again from full limits)', async () => {
    const memory = new MemoryStore({ clock });
    const limiter = bucket({ store: memory });
    expect((await limiter.consume('k', 10)).allowed).toBe(true);
    await memory.close();
    await expect(limiter.consume('k')).rejects.toMatchObject({ code: ClosedError.code });
    expect(codeOf(() => limiter.consumeSync('k'))).toBe(ClosedError.code);
    let calls = 0;
    const adapter = { evalsha: async () => ++calls, eval: async () => ++calls };
    const redis = new RedisStore({ adapter, clock, timers: clock });
    await redis.close();
    await expect(bucket({ store: redis }).consume('k')).rejects.toMatchObject({ code: ClosedError.code });
    expect(calls).toBe(0);
  });

  it('DistributedLimiter refuses bad keys and costs, and use after close', async () => {
    const network = new MemoryNetwork({ timers: clock });
    const endpoint = await network.open('a');
    const limiter = new DistributedLimiter({ endpoint, nodes: ['a', 'b'], limit: 10, windowMs: 1000, clock, timers: clock });
    await expect(limiter.consume(5 as never)).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(limiter.consume('k', Number.NaN)).rejects.toMatchObject({ code: InvalidCostError.code });
    await limiter.close();
    await expect(limiter.consume('k')).rejects.toMatchObject({ code: ClosedError.code });
    expect(codeOf(() => limiter.decide('k'))).toBe(ClosedError.code);
    await endpoint.close();
  });
});
