/**
 * Differential test: `algorithms.ts` is the reference (see reference-store.ts), and every other
 * implementation of the algorithms is held to it decision by decision — the memory store's
 * fused single-limit path (`decideOne`, what limiters call), its general path (`applySync`),
 * and on a real redis-server the lean per-limit Lua scripts (what limiters send for one limit)
 * and the general Lua script (what composites send). Random sequences of time advances,
 * consume, peek, reset, penalty, reward and block; every field of every decision must match.
 */
import { ManualClock } from '@lattice/core/testing';
import { describeWithService } from '@lattice/test-kit/vitest';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlgorithmId,
  FixedWindow,
  Gcra,
  LeakyBucket,
  LeakyBucketQueue,
  type LimitSpec,
  MemoryStore,
  type RateLimiter,
  RedisStore,
  SlidingWindowCounter,
  SlidingWindowLog,
  type Store,
  StoreAction,
  TokenBucket,
} from '../src/index.js';
import { clockedAdapter, connectIoredis } from './redis-helpers.js';
import { ReferenceKey } from './reference-store.js';

type Op =
  | { kind: 'advance'; ms: number }
  | { kind: 'back'; ms: number }
  | { kind: 'edge'; to: 'resetAt' | 'retryAfter'; offset: -1 | 0 | 1 }
  | { kind: 'consume' | 'peek'; cost: number }
  | { kind: 'penalty' | 'reward'; points: number }
  | { kind: 'block'; ms: number }
  | { kind: 'reset' };

type Params = { a: number; b: number; c: number };

interface Algorithm {
  name: string;
  params: fc.Arbitrary<Params>;
  make(store: Store, name: string, p: Params): RateLimiter;
  /** A time scale of the limit (refill from empty, or the window). */
  scale(p: Params): number;
}

const rateParams = fc.record({ a: fc.integer({ min: 1, max: 12 }), b: fc.integer({ min: 1, max: 9 }), c: fc.constantFrom(1, 7, 100, 333, 1000) });
const windowParams = fc.record({ a: fc.integer({ min: 1, max: 12 }), b: fc.constantFrom(1, 10, 97, 1000), c: fc.constant(0) });
const refill = (p: Params): number => Math.ceil((p.a * p.c) / p.b);

const ALGORITHMS: Algorithm[] = [
  { name: 'TokenBucket', params: rateParams, scale: refill, make: (store, name, p) => new TokenBucket({ store, name, capacity: p.a, refillRate: p.b, intervalMs: p.c }) },
  { name: 'LeakyBucket', params: rateParams, scale: refill, make: (store, name, p) => new LeakyBucket({ store, name, capacity: p.a, leakRate: p.b, intervalMs: p.c }) },
  { name: 'LeakyBucketQueue', params: rateParams, scale: refill, make: (store, name, p) => new LeakyBucketQueue({ store, name, capacity: p.a, drainRate: p.b, intervalMs: p.c }) },
  { name: 'Gcra', params: rateParams, scale: refill, make: (store, name, p) => new Gcra({ store, name, burst: p.a, limit: p.b, intervalMs: p.c }) },
  { name: 'FixedWindow', params: windowParams, scale: (p) => p.b, make: (store, name, p) => new FixedWindow({ store, name, limit: p.a, windowMs: p.b }) },
  { name: 'SlidingWindowLog', params: windowParams, scale: (p) => p.b, make: (store, name, p) => new SlidingWindowLog({ store, name, limit: p.a, windowMs: p.b }) },
  { name: 'SlidingWindowCounter', params: windowParams, scale: (p) => p.b, make: (store, name, p) => new SlidingWindowCounter({ store, name, limit: p.a, windowMs: p.b }) },
];

function opsArbitrary(limit: number, scale: number, back: boolean): fc.Arbitrary<Op[]> {
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: scale * 2 + 2 })).map((ms) => ({ kind: 'advance' as const, ms })) },
    { weight: 5, arbitrary: fc.integer({ min: 1, max: limit }).map((cost) => ({ kind: 'consume' as const, cost })) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: limit }).map((cost) => ({ kind: 'peek' as const, cost })) },
    // Time to just before, at or just after the last decision's reset or retry instant: where an
    // off-by-one in a ttl, a window edge or a refill lands.
    { weight: 2, arbitrary: fc.record({ to: fc.constantFrom('resetAt' as const, 'retryAfter' as const), offset: fc.constantFrom(-1 as const, 0 as const, 1 as const) }).map((e) => ({ kind: 'edge' as const, ...e })) },
    // The wall clock stepping back (NTP): no implementation may create capacity from it.
    { weight: back ? 1 : 0, arbitrary: fc.integer({ min: 1, max: scale + 2 }).map((ms) => ({ kind: 'back' as const, ms })) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: limit * 2 }).map((points) => ({ kind: 'penalty' as const, points })) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: limit * 2 }).map((points) => ({ kind: 'reward' as const, points })) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: scale + 5 }).map((ms) => ({ kind: 'block' as const, ms })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
  );
  return fc.array(op, { minLength: 1, maxLength: 40 });
}

const ACTION = { consume: StoreAction.Consume, peek: StoreAction.Peek, penalty: StoreAction.Penalty, reward: StoreAction.Reward, block: StoreAction.Block, reset: StoreAction.Reset } as const;

/** The decision fields every path reports, from a store's decision array. */
function fields(out: readonly number[], limit: number) {
  const now = out[out.length - 1]!;
  return { allowed: out[0] === 1, remaining: out[1]!, resetAt: out[2]!, resetAfter: Math.max(0, out[2]! - now), retryAfter: out[3]!, delay: out[4]!, limit };
}

type Fields = ReturnType<typeof fields>;

/**
 * One way of running a decision: returns its fields, or undefined where the path reports
 * nothing (a limiter's `reset`).
 */
type Path = (limiter: RateLimiter, key: string, op: Exclude<Op, { kind: 'advance' | 'back' | 'edge' }>) => Promise<Fields | undefined>;

/** A limiter's own methods: the fused path on a memory store, the lean scripts on Redis. */
const throughLimiter: Path = async (limiter, key, op) => {
  const pick = (r: Fields) => ({ allowed: r.allowed, remaining: r.remaining, resetAt: r.resetAt, resetAfter: r.resetAfter, retryAfter: r.retryAfter, delay: r.delay, limit: r.limit });
  switch (op.kind) {
    case 'consume':
      return pick(await limiter.consume(key, op.cost));
    case 'peek':
      return pick(await limiter.peek(key, op.cost));
    case 'penalty':
      return pick(await limiter.penalty(key, op.points));
    case 'reward':
      return pick(await limiter.reward(key, op.points));
    case 'block':
      return pick(await limiter.block(key, op.ms));
    case 'reset':
      await limiter.reset(key);
      return undefined;
  }
};

/** A limit that never refuses (and is blocked and reset in step with the one under test). */
const COMPANION: LimitSpec = Object.freeze({ name: 'differential-companion', algorithm: AlgorithmId.FixedWindow, p1: 2 ** 40, p2: 2 ** 30, p3: 0 });

/**
 * The store's `apply` on the limit alone (`companion` false: the memory store's general path)
 * or with a companion limit that always admits (`companion` true: on Redis, the general script
 * that composites use, which decides the first limit exactly as if it were alone).
 */
function throughApply(companion: boolean): Path {
  return async (limiter, key, op) => {
    const specs = companion ? [limiter.spec, COMPANION] : [limiter.spec];
    const amount = op.kind === 'consume' || op.kind === 'peek' ? op.cost : op.kind === 'penalty' || op.kind === 'reward' ? op.points : op.kind === 'block' ? op.ms : 0;
    const out = await limiter.store.apply(ACTION[op.kind], key, specs, amount, 0);
    return fields([...out.slice(0, 6), out[out.length - 1]!], limiter.limit);
  };
}

/**
 * Runs random sequences through `path` and the reference side by side. `back` adds wall-clock
 * steps back, and then holds the store to the reference with expiry (see `ReferenceKey`).
 */
function check(algorithm: Algorithm, target: () => { store: Store; clock: ManualClock }, path: Path, numRuns: number, back = false): Promise<void> {
  let serial = 0;
  const run = globalThis.crypto.randomUUID().slice(0, 8);
  return fc.assert(
    fc.asyncProperty(
      algorithm.params.chain((p) => fc.tuple(fc.constant(p), opsArbitrary(algorithm.make(new MemoryStore(), 'probe', p).limit, algorithm.scale(p), back))),
      async ([p, ops]) => {
        const { store, clock } = target();
        const limiter = algorithm.make(store, `${algorithm.name}-${run}-${serial++}`, p);
        const reference = new ReferenceKey(limiter.spec, back);
        const key = `k-${run}-${serial++}`;
        let last: { at: number; resetAt: number; retryAfter: number } | undefined;
        for (const [step, op] of ops.entries()) {
          if (op.kind === 'edge') {
            if (last === undefined) continue;
            const target = (op.to === 'resetAt' ? last.resetAt : last.at + last.retryAfter) + op.offset;
            const now = Math.floor(clock.now());
            if (target > now) clock.advance(target - now);
            continue;
          }
          if (op.kind === 'advance') {
            clock.advance(op.ms);
            continue;
          }
          if (op.kind === 'back') {
            clock.jumpWall(-op.ms);
            continue;
          }
          const now = Math.floor(clock.now());
          const amount = op.kind === 'consume' || op.kind === 'peek' ? op.cost : op.kind === 'penalty' || op.kind === 'reward' ? op.points : op.kind === 'block' ? op.ms : 0;
          const want = fields(reference.apply(ACTION[op.kind], amount, now), limiter.limit);
          last = { at: now, resetAt: want.resetAt, retryAfter: want.retryAfter };
          const got = await path(limiter, key, op);
          if (got !== undefined) expect({ step, op, ...got }).toEqual({ step, op, ...want });
        }
      },
    ),
    { numRuns },
  );
}

const RUNS = Number(process.env['RATELIMIT_SOAK_RUNS'] ?? 150);

describe('differential: the memory store against algorithms.ts', () => {
  let clock = new ManualClock();
  let store = new MemoryStore({ clock });
  const target = () => {
    clock = new ManualClock();
    store = new MemoryStore({ clock });
    return { store, clock };
  };
  for (const algorithm of ALGORITHMS) {
    it(`${algorithm.name}: the fused path (limiter methods) decides like the reference`, () => check(algorithm, target, throughLimiter, RUNS));
    it(`${algorithm.name}: the general path (applySync) decides like the reference`, () => check(algorithm, target, throughApply(false), RUNS));
    it(`${algorithm.name}: the fused path decides like the reference with expiry when the wall clock steps back`, () => check(algorithm, target, throughLimiter, RUNS, true));
    it(`${algorithm.name}: the general path decides like the reference with expiry when the wall clock steps back`, () => check(algorithm, target, throughApply(false), RUNS, true));
  }
});

// Redis keeps keys for an hour of real time under the clocked scripts, so it never expires one
// while the ManualClock runs: it is held to the reference without expiry, time moving forward.
describeWithService('redis', 'differential: the Redis scripts against algorithms.ts', (redis) => {
  const clock = new ManualClock();
  let client: ReturnType<typeof connectIoredis>;
  let store: RedisStore;
  beforeAll(() => {
    client = connectIoredis(redis().url);
    store = new RedisStore({ adapter: clockedAdapter(client, clock), prefix: `d${Date.now().toString(36)}:` });
  });
  afterAll(async () => {
    await store.close();
    client.disconnect();
  });
  const target = () => ({ store, clock });
  for (const algorithm of ALGORITHMS) {
    it(`${algorithm.name}: the lean script (limiter methods) decides like the reference`, () => check(algorithm, target, throughLimiter, Math.ceil(RUNS / 4)));
    it(`${algorithm.name}: the general script (a composite's command) decides like the reference`, () => check(algorithm, target, throughApply(true), Math.ceil(RUNS / 4)));
  }
});

// The concurrency limiter's leases go through `apply` on every store (no fused path, no lean
// script): acquire with a fresh lease id, peek, release and extend (of live, expired or released
// leases), block and reset, against the same reference.
type LeaseOp =
  | { kind: 'advance'; ms: number }
  | { kind: 'back'; ms: number }
  | { kind: 'acquire' | 'peek'; cost: number }
  | { kind: 'release' | 'extend'; lease: number }
  | { kind: 'block'; ms: number }
  | { kind: 'reset' };

function leaseOps(limit: number, leaseMs: number, back: boolean): fc.Arbitrary<LeaseOp[]> {
  const op: fc.Arbitrary<LeaseOp> = fc.oneof(
    { weight: 3, arbitrary: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: leaseMs * 2 })).map((ms) => ({ kind: 'advance' as const, ms })) },
    { weight: back ? 1 : 0, arbitrary: fc.integer({ min: 1, max: leaseMs }).map((ms) => ({ kind: 'back' as const, ms })) },
    { weight: 4, arbitrary: fc.integer({ min: 1, max: limit }).map((cost) => ({ kind: 'acquire' as const, cost })) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: limit }).map((cost) => ({ kind: 'peek' as const, cost })) },
    { weight: 2, arbitrary: fc.nat(8).map((lease) => ({ kind: 'release' as const, lease })) },
    { weight: 2, arbitrary: fc.nat(8).map((lease) => ({ kind: 'extend' as const, lease })) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: leaseMs }).map((ms) => ({ kind: 'block' as const, ms })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
  );
  return fc.array(op, { minLength: 1, maxLength: 40 });
}

const LEASE_ACTION = { acquire: StoreAction.Consume, peek: StoreAction.Peek, release: StoreAction.Release, extend: StoreAction.Extend, block: StoreAction.Block, reset: StoreAction.Reset } as const;

function checkLeases(target: () => { store: Store; clock: ManualClock }, companion: boolean, numRuns: number, back = false): Promise<void> {
  let serial = 0;
  const run = globalThis.crypto.randomUUID().slice(0, 8);
  const params = fc.record({ limit: fc.integer({ min: 1, max: 6 }), leaseMs: fc.constantFrom(1, 10, 97, 1000) });
  return fc.assert(
    fc.asyncProperty(
      params.chain((p) => fc.tuple(fc.constant(p), leaseOps(p.limit, p.leaseMs, back))),
      async ([p, ops]) => {
        const { store, clock } = target();
        const spec: LimitSpec = { name: `leases-${run}-${serial++}`, algorithm: AlgorithmId.Concurrency, p1: p.limit, p2: p.leaseMs, p3: 0 };
        const specs = companion ? [spec, COMPANION] : [spec];
        const reference = new ReferenceKey(spec, back);
        const key = `k-${run}-${serial++}`;
        let nextLease = 1;
        for (const [step, op] of ops.entries()) {
          if (op.kind === 'advance') {
            clock.advance(op.ms);
            continue;
          }
          if (op.kind === 'back') {
            clock.jumpWall(-op.ms);
            continue;
          }
          const now = Math.floor(clock.now());
          const amount = op.kind === 'acquire' || op.kind === 'peek' ? op.cost : op.kind === 'block' ? op.ms : 0;
          // A release or extend names one of the leases handed out so far (live, expired or released).
          const arg = op.kind === 'acquire' ? nextLease++ : op.kind === 'release' || op.kind === 'extend' ? 1 + (op.lease % nextLease) : 0;
          const want = fields(reference.apply(LEASE_ACTION[op.kind], amount, now, arg), p.limit);
          const out = await store.apply(LEASE_ACTION[op.kind], key, specs, amount, arg);
          const got = fields([...out.slice(0, 6), out[out.length - 1]!], p.limit);
          if (op.kind !== 'reset') expect({ step, op, ...got }).toEqual({ step, op, ...want });
        }
      },
    ),
    { numRuns },
  );
}

describe('differential: concurrency leases on the memory store against algorithms.ts', () => {
  const target = () => {
    const clock = new ManualClock();
    return { store: new MemoryStore({ clock }), clock };
  };
  it('leases decide like the reference', () => checkLeases(target, false, RUNS));
  it('leases decide like the reference with expiry when the wall clock steps back', () => checkLeases(target, false, RUNS, true));
});

describeWithService('redis', 'differential: concurrency leases in the Redis script against algorithms.ts', (redis) => {
  const clock = new ManualClock();
  let client: ReturnType<typeof connectIoredis>;
  let store: RedisStore;
  beforeAll(() => {
    client = connectIoredis(redis().url);
    store = new RedisStore({ adapter: clockedAdapter(client, clock), prefix: `dl${Date.now().toString(36)}:` });
  });
  afterAll(async () => {
    await store.close();
    client.disconnect();
  });
  it('leases decide like the reference (one limit)', () => checkLeases(() => ({ store, clock }), false, Math.ceil(RUNS / 4)));
  it('leases decide like the reference (with a companion limit, as in a composite)', () => checkLeases(() => ({ store, clock }), true, Math.ceil(RUNS / 4)));
});
