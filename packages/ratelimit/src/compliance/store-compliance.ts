import type { TestSetup } from '@lattice/core/compliance';
import type { ManualClock } from '@lattice/core/testing';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CompositeLimiter,
  ConcurrencyLimiter,
  FixedWindow,
  Gcra,
  hasFusedPath,
  isSyncStore,
  LeakyBucket,
  LeakyBucketQueue,
  type RateLimiter,
  RESULT_STRIDE,
  SlidingWindowCounter,
  SlidingWindowLog,
  type Store,
  StoreAction,
  TokenBucket,
} from '../index.js';
import { fixedWindowModel, gcraModel, leakyBucketModel, type Model, slidingCounterModel, slidingLogModel, tokenBucketModel } from './models.js';

/**
 * What a store's setup gives {@link runStoreTests}: a fresh store whose time comes from
 * `clock` (the suite compares decisions with reference models at exact instants). The setup's
 * `teardown` closes the store and whatever it connected to.
 */
export interface StoreTestTarget {
  store: Store;
  clock: ManualClock;
}

/** Options of {@link runStoreTests}. */
export interface StoreTestOptions {
  /** fast-check runs per algorithm (default 150). */
  numRuns?: number;
}

type Op = { kind: 'advance'; ms: number } | { kind: 'consume'; cost: number } | { kind: 'peek'; cost: number } | { kind: 'penalty'; points: number } | { kind: 'reward'; points: number };

function opsArbitrary(maxCost: number, windowish: number): fc.Arbitrary<Op[]> {
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 3, arbitrary: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: windowish * 2 })).map((ms) => ({ kind: 'advance' as const, ms })) },
    { weight: 5, arbitrary: fc.integer({ min: 1, max: maxCost }).map((cost) => ({ kind: 'consume' as const, cost })) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: maxCost }).map((cost) => ({ kind: 'peek' as const, cost })) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map((points) => ({ kind: 'penalty' as const, points })) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map((points) => ({ kind: 'reward' as const, points })) },
  );
  return fc.array(op, { minLength: 1, maxLength: 40 });
}

interface Case {
  name: string;
  params: fc.Arbitrary<{ a: number; b: number; c: number }>;
  make(store: Store, name: string, p: { a: number; b: number; c: number }): RateLimiter;
  model(p: { a: number; b: number; c: number }): Model;
  windowish(p: { a: number; b: number; c: number }): number;
}

const rateParams = fc.record({
  a: fc.integer({ min: 1, max: 12 }),
  b: fc.integer({ min: 1, max: 9 }),
  c: fc.constantFrom(1, 7, 100, 333, 1000),
});
const windowParams = fc.record({ a: fc.integer({ min: 1, max: 12 }), b: fc.constantFrom(1, 10, 97, 1000), c: fc.constant(0) });

const CASES: Case[] = [
  {
    name: 'TokenBucket',
    params: rateParams,
    make: (store, name, p) => new TokenBucket({ store, name, capacity: p.a, refillRate: p.b, intervalMs: p.c }),
    model: (p) => tokenBucketModel(p.a, p.b, p.c),
    windowish: (p) => Math.ceil((p.a * p.c) / p.b),
  },
  {
    name: 'LeakyBucket',
    params: rateParams,
    make: (store, name, p) => new LeakyBucket({ store, name, capacity: p.a, leakRate: p.b, intervalMs: p.c }),
    model: (p) => leakyBucketModel(p.a, p.b, p.c),
    windowish: (p) => Math.ceil((p.a * p.c) / p.b),
  },
  {
    name: 'LeakyBucketQueue',
    params: rateParams,
    make: (store, name, p) => new LeakyBucketQueue({ store, name, capacity: p.a, drainRate: p.b, intervalMs: p.c }),
    model: (p) => gcraModel(p.a, p.b, p.c, true),
    windowish: (p) => Math.ceil((p.a * p.c) / p.b),
  },
  {
    name: 'Gcra',
    params: rateParams,
    make: (store, name, p) => new Gcra({ store, name, burst: p.a, limit: p.b, intervalMs: p.c }),
    model: (p) => gcraModel(p.a, p.b, p.c, false),
    windowish: (p) => Math.ceil((p.a * p.c) / p.b),
  },
  {
    name: 'FixedWindow',
    params: windowParams,
    make: (store, name, p) => new FixedWindow({ store, name, limit: p.a, windowMs: p.b }),
    model: (p) => fixedWindowModel(p.a, p.b),
    windowish: (p) => p.b,
  },
  {
    name: 'SlidingWindowLog',
    params: windowParams,
    make: (store, name, p) => new SlidingWindowLog({ store, name, limit: p.a, windowMs: p.b }),
    model: (p) => slidingLogModel(p.a, p.b),
    windowish: (p) => p.b,
  },
  {
    name: 'SlidingWindowCounter',
    params: windowParams,
    make: (store, name, p) => new SlidingWindowCounter({ store, name, limit: p.a, windowMs: p.b }),
    model: (p) => slidingCounterModel(p.a, p.b),
    windowish: (p) => p.b,
  },
];

/**
 * The behavioural suite every rate-limit `Store` passes (the memory and Redis stores, and any
 * third-party store), under vitest with fast-check: every algorithm agrees exactly with its
 * textbook reference model on random consume/advance sequences (one at a time and issued
 * together), the all-or-nothing composite, for a store declaring the synchronous capability
 * (`applySync`, optionally `decideOne`) that every way in decides alike, blocks, penalties, rewards, resets, leases, and a
 * wall clock that jumps backwards. Keys are unique per run, so a shared server is fine.
 *
 * @example
 * ```ts
 * import { ManualClock } from '@lattice/core/testing';
 * import { MemoryStore } from '@lattice/ratelimit';
 * import { runStoreTests } from '@lattice/ratelimit/compliance';
 *
 * let store: MemoryStore | undefined;
 * runStoreTests('MemoryStore', {
 *   setup: async () => {
 *     const clock = new ManualClock();
 *     store = new MemoryStore({ clock });
 *     return { store, clock };
 *   },
 *   teardown: async () => store?.close(),
 * });
 * ```
 */
export function runStoreTests(name: string, common: TestSetup<StoreTestTarget>, options: StoreTestOptions = {}): void {
  const numRuns = options.numRuns ?? 150;
  describe(`Store compliance: ${name}`, () => {
    let store: Store;
    let clock: ManualClock;
    let serial = 0;
    // Keys differ between runs and processes sharing one server (the store may be remote).
    const run = globalThis.crypto.randomUUID().slice(0, 8);
    const unique = (what: string): string => `${what}-${run}-${serial++}`;

    beforeEach(async () => {
      ({ store, clock } = await common.setup());
    });
    afterEach(async () => {
      await common.teardown();
    });

    for (const testCase of CASES) {
      it(`${testCase.name} agrees with its reference model on random consume/advance sequences`, async () => {
        await fc.assert(
          fc.asyncProperty(
            testCase.params.chain((p) => fc.tuple(fc.constant(p), opsArbitrary(testCase.make(store, 'probe', p).limit, testCase.windowish(p)))),
            async ([p, ops]) => {
              const limiter = testCase.make(store, unique(testCase.name), p);
              const model = testCase.model(p);
              const key = unique('k');
              for (const op of ops) {
                if (op.kind === 'advance') {
                  clock.advance(op.ms);
                  continue;
                }
                const now = Math.floor(clock.now());
                if (op.kind === 'penalty') {
                  await limiter.penalty(key, op.points);
                  model.penalty(now, op.points);
                  continue;
                }
                if (op.kind === 'reward') {
                  await limiter.reward(key, op.points);
                  model.reward(now, op.points);
                  continue;
                }
                const commit = op.kind === 'consume';
                const got = commit ? await limiter.consume(key, op.cost) : await limiter.peek(key, op.cost);
                const want = model.consume(now, op.cost, commit);
                if (!commit) want.delay = 0;
                expect({ op, allowed: got.allowed, remaining: got.remaining, resetAt: got.resetAt, retryAfter: got.retryAfter, delay: got.delay }).toEqual({ op, ...want });
              }
            },
          ),
          { numRuns },
        );
      });
    }

    for (const testCase of CASES) {
      it(`${testCase.name} agrees with its reference model when the decisions between clock steps are issued together`, async () => {
        // Issued without awaiting, so a store that batches (Redis) sends them in shared commands;
        // each must still be applied atomically and in the order it was issued.
        await fc.assert(
          fc.asyncProperty(
            testCase.params.chain((p) => fc.tuple(fc.constant(p), opsArbitrary(testCase.make(store, 'probe', p).limit, testCase.windowish(p)))),
            async ([p, ops]) => {
              const limiter = testCase.make(store, unique(testCase.name), p);
              const model = testCase.model(p);
              const key = unique('k');
              let start = 0;
              while (start < ops.length) {
                const first = ops[start]!;
                if (first.kind === 'advance') {
                  clock.advance(first.ms);
                  start++;
                  continue;
                }
                let end = start;
                while (end < ops.length && ops[end]!.kind !== 'advance') end++;
                const group = ops.slice(start, end);
                const now = Math.floor(clock.now());
                const issued = group.map((op) => {
                  if (op.kind === 'penalty') return limiter.penalty(key, op.points);
                  if (op.kind === 'reward') return limiter.reward(key, op.points);
                  if (op.kind === 'consume') return limiter.consume(key, op.cost);
                  if (op.kind === 'peek') return limiter.peek(key, op.cost);
                  throw new Error(`unexpected op ${op.kind}`);
                });
                const results = await Promise.all(issued);
                for (let i = 0; i < group.length; i++) {
                  const op = group[i]!;
                  if (op.kind === 'penalty') model.penalty(now, op.points);
                  else if (op.kind === 'reward') model.reward(now, op.points);
                  else if (op.kind === 'consume' || op.kind === 'peek') {
                    const commit = op.kind === 'consume';
                    const want = model.consume(now, op.cost, commit);
                    if (!commit) want.delay = 0;
                    const got = results[i]!;
                    expect({ op, i, allowed: got.allowed, remaining: got.remaining, resetAt: got.resetAt, retryAfter: got.retryAfter, delay: got.delay }).toEqual({ op, i, ...want });
                  }
                }
                start = end;
              }
            },
          ),
          { numRuns },
        );
      });
    }

    for (const testCase of CASES) {
      it(`${testCase.name}: a store declaring the synchronous capability decides alike through apply, applySync and decideOne`, async (context) => {
        if (!isSyncStore(store)) {
          context.skip(`${name} does not declare applySync (the synchronous capability)`);
          return;
        }
        const sync = store;
        const fused = hasFusedPath(sync) ? sync : undefined;
        await fc.assert(
          fc.asyncProperty(
            testCase.params.chain((p) => fc.tuple(fc.constant(p), opsArbitrary(testCase.make(store, 'probe', p).limit, testCase.windowish(p)))),
            async ([p, ops]) => {
              const limiter = testCase.make(store, unique(testCase.name), p);
              const specs = [limiter.spec];
              // Three keys take the same ops: one through apply, one through applySync, one
              // through decideOne where the store has it (applySync when it declines).
              const [viaApply, viaSync, viaFused] = [unique('a'), unique('s'), unique('f')];
              for (const op of ops) {
                if (op.kind === 'advance') {
                  clock.advance(op.ms);
                  continue;
                }
                const action = op.kind === 'consume' ? StoreAction.Consume : op.kind === 'peek' ? StoreAction.Peek : op.kind === 'penalty' ? StoreAction.Penalty : StoreAction.Reward;
                const amount = op.kind === 'consume' || op.kind === 'peek' ? op.cost : op.points;
                const returned = sync.apply(action, viaApply, specs, amount, 0);
                expect(Array.isArray(returned)).toBe(true);
                const written = new Array<number>(RESULT_STRIDE + 1).fill(-1);
                sync.applySync(action, viaSync, specs, amount, 0, written);
                const decision = (out: readonly number[]) => ({ allowed: out[0] === 1, remaining: out[1], resetAt: out[2], retryAfter: out[3], delay: out[4], now: out[RESULT_STRIDE] });
                expect({ op, ...decision(written) }).toEqual({ op, ...decision(returned) });
                let viaFusedResult = fused !== undefined && action <= StoreAction.Peek ? fused.decideOne(limiter.spec, action === StoreAction.Consume, viaFused, amount, limiter.limit) : undefined;
                if (viaFusedResult === undefined) {
                  const out = sync.apply(action, viaFused, specs, amount, 0);
                  viaFusedResult = { allowed: out[0] === 1, remaining: out[1]!, resetAt: out[2]!, resetAfter: Math.max(0, out[2]! - out[RESULT_STRIDE]!), retryAfter: out[3]!, delay: out[4]!, limit: limiter.limit };
                }
                const { now, ...want } = decision(returned);
                expect({ op, allowed: viaFusedResult.allowed, remaining: viaFusedResult.remaining, resetAt: viaFusedResult.resetAt, retryAfter: viaFusedResult.retryAfter, delay: viaFusedResult.delay, resetAfter: viaFusedResult.resetAfter }).toEqual({
                  op,
                  ...want,
                  resetAfter: Math.max(0, want.resetAt! - now!),
                });
              }
            },
          ),
          { numRuns: Math.ceil(numRuns / 3) },
        );
      });
    }

    it('a refused consume consumes nothing, and retryAfter is exactly when it succeeds', async () => {
      const limiter = new TokenBucket({ store, name: unique('tb'), capacity: 5, refillRate: 1, intervalMs: 100 });
      const key = unique('k');
      expect((await limiter.consume(key, 4)).remaining).toBe(1);
      const refused = await limiter.consume(key, 3);
      expect(refused).toMatchObject({ allowed: false, remaining: 1, retryAfter: 200 });
      clock.advance(199);
      expect((await limiter.consume(key, 3)).allowed).toBe(false);
      clock.advance(1);
      expect(await limiter.consume(key, 3)).toMatchObject({ allowed: true, remaining: 0 });
    });

    it('a composite consumes from every limit or from none', async () => {
      const name = unique('c');
      const small = new FixedWindow({ store, name: `${name}-small`, limit: 3, windowMs: 60_000 });
      const big = new TokenBucket({ store, name: `${name}-big`, capacity: 10, refillRate: 1, intervalMs: 60_000 });
      const both = new CompositeLimiter([small, big]);
      const key = unique('k');
      for (let i = 0; i < 3; i++) expect((await both.consume(key)).allowed).toBe(true);
      for (let i = 0; i < 5; i++) {
        const refused = await both.consume(key);
        expect(refused.allowed).toBe(false);
        expect(refused.results[0]!.allowed).toBe(false);
        expect(refused.results[1]).toMatchObject({ allowed: true, remaining: 7 });
      }
      // The bucket lost only the 3 admitted tokens, not the refused attempts.
      expect((await big.peek(key)).remaining).toBe(7);
      expect((await small.peek(key)).remaining).toBe(0);
    });

    it('block refuses everything until it ends, then the state continues', async () => {
      const limiter = new FixedWindow({ store, name: unique('b'), limit: 10, windowMs: 3_600_000 });
      const key = unique('k');
      await limiter.consume(key, 2);
      const blocked = await limiter.block(key, 5000);
      expect(blocked).toMatchObject({ allowed: false, retryAfter: 5000 });
      expect(await limiter.consume(key)).toMatchObject({ allowed: false, retryAfter: 5000, remaining: 0 });
      clock.advance(4999);
      expect((await limiter.consume(key)).allowed).toBe(false);
      clock.advance(1);
      // A window of one hour that started at most 5 s ago may still be current; the 2 units count.
      const after = await limiter.consume(key);
      expect(after.allowed).toBe(true);
      expect([7, 9]).toContain(after.remaining);
    });

    it('reset forgets consumption and blocks', async () => {
      const limiter = new SlidingWindowLog({ store, name: unique('r'), limit: 2, windowMs: 60_000 });
      const key = unique('k');
      await limiter.consume(key, 2);
      await limiter.block(key, 60_000);
      await limiter.reset(key);
      expect(await limiter.consume(key)).toMatchObject({ allowed: true, remaining: 1 });
    });

    it('keys and limiter names are isolated from each other', async () => {
      const a = new FixedWindow({ store, name: unique('iso-a'), limit: 1, windowMs: 60_000 });
      const b = new FixedWindow({ store, name: unique('iso-b'), limit: 1, windowMs: 60_000 });
      const key = unique('k');
      expect((await a.consume(key)).allowed).toBe(true);
      expect((await a.consume(key)).allowed).toBe(false);
      expect((await a.consume(`${key}x`)).allowed).toBe(true);
      expect((await b.consume(key)).allowed).toBe(true);
    });

    it('concurrency: permits are leased, released, extended, and expire if the holder dies', async () => {
      const limiter = new ConcurrencyLimiter({ store, name: unique('conc'), limit: 2, leaseMs: 1000 });
      const key = unique('k');
      const first = await limiter.tryAcquire(key);
      const second = await limiter.tryAcquire(key);
      expect(first.lease && second.lease).toBeTruthy();
      const third = await limiter.tryAcquire(key);
      expect(third).toMatchObject({ allowed: false, retryAfter: 1000 });
      expect(await first.lease!.release()).toBe(true);
      expect(await first.lease!.release()).toBe(false);
      const again = await limiter.tryAcquire(key);
      expect(again.allowed).toBe(true);
      clock.advance(600);
      expect(await again.lease!.extend()).toBe(true);
      clock.advance(400);
      // `second` died without releasing: its lease expired; `again` was extended and still holds.
      expect(await limiter.peek(key)).toMatchObject({ allowed: true, remaining: 1 });
      expect(await second.lease!.extend()).toBe(false);
      clock.advance(600);
      expect(await limiter.peek(key)).toMatchObject({ remaining: 2 });
    });

    it('a clock going backwards never creates capacity', async () => {
      const limiters = [
        new TokenBucket({ store, name: unique('back-tb'), capacity: 4, refillRate: 1, intervalMs: 1000 }),
        new LeakyBucket({ store, name: unique('back-lb'), capacity: 4, leakRate: 1, intervalMs: 1000 }),
        new Gcra({ store, name: unique('back-g'), limit: 1, burst: 4, intervalMs: 1000 }),
        new FixedWindow({ store, name: unique('back-fw'), limit: 4, windowMs: 1000 }),
        new SlidingWindowLog({ store, name: unique('back-sl'), limit: 4, windowMs: 1000 }),
        new SlidingWindowCounter({ store, name: unique('back-sc'), limit: 4, windowMs: 1000 }),
      ];
      for (const limiter of limiters) {
        const key = unique('k');
        for (let i = 0; i < 4; i++) expect((await limiter.consume(key)).allowed).toBe(true);
        clock.jumpWall(-10_000);
        for (let i = 0; i < 3; i++) {
          const r = await limiter.consume(key);
          expect({ name: limiter.name, allowed: r.allowed }).toEqual({ name: limiter.name, allowed: false });
          expect(r.retryAfter).toBeGreaterThan(0);
        }
        clock.jumpWall(10_000);
      }
    });
  });
}
