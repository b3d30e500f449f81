import { AbortError, InvalidArgumentError, isLatticeError, TimeoutError } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import { describe, expect, it } from 'vitest';
import {
  CompositeLimiter,
  ConcurrencyLimiter,
  CostExceedsLimitError,
  FixedWindow,
  Gcra,
  InvalidCostError,
  LeakyBucketQueue,
  MemoryStore,
  QueueFullError,
  rateLimitHeaders,
  SlidingWindowLog,
  TokenBucket,
} from '../src/index.js';

const code = async (promise: Promise<unknown>): Promise<string | undefined> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isLatticeError(error) ? error.code : String(error);
};

function setup() {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock });
  return { clock, store };
}

describe('costs', () => {
  it('zero, negative, fractional and non-numeric costs are typed errors', async () => {
    const limiter = new TokenBucket({ capacity: 5, refillRate: 1 });
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(await code(limiter.consume('k', bad))).toBe(InvalidCostError.code);
      expect(await code(limiter.peek('k', bad))).toBe(InvalidCostError.code);
      expect(await code(limiter.waitFor('k', bad))).toBe(InvalidCostError.code);
      expect(await code(limiter.penalty('k', bad))).toBe(InvalidCostError.code);
      expect(await code(limiter.reward('k', bad))).toBe(InvalidCostError.code);
    }
    expect(await code(limiter.block('k', 0))).toBe(InvalidArgumentError.code);
    expect(await code(limiter.consume(42 as unknown as string))).toBe(InvalidArgumentError.code);
  });

  it('a cost larger than the limit is refused up front with CostExceedsLimitError', async () => {
    const limiter = new FixedWindow({ limit: 3, windowMs: 1000 });
    expect(await code(limiter.consume('k', 4))).toBe(CostExceedsLimitError.code);
    expect(await code(limiter.waitFor('k', 4))).toBe(CostExceedsLimitError.code);
    expect((await limiter.consume('k', 3)).allowed).toBe(true);
    // penalties may exceed the limit
    expect((await limiter.penalty('k', 10)).remaining).toBe(0);
  });

  it('rejects invalid limiter options', () => {
    expect(() => new TokenBucket({ capacity: 0, refillRate: 1 })).toThrow(/capacity/);
    expect(() => new FixedWindow({ limit: 1, windowMs: 0.5 })).toThrow(/windowMs/);
    expect(() => new TokenBucket({ capacity: 2 ** 40, refillRate: 1, intervalMs: 2 ** 20 })).toThrow(/2\^50/);
  });
});

describe('waitFor', () => {
  it('serves waiters of one key first come, first served, at the rate', async () => {
    const { clock, store } = setup();
    const limiter = new TokenBucket({ store, clock, timers: clock, capacity: 1, refillRate: 1, intervalMs: 100 });
    const order: string[] = [];
    const waits = ['a', 'b', 'c', 'd'].map((name) => limiter.waitFor('k').then(() => order.push(`${name}@${clock.monotonic()}`)));
    await clock.advanceAsync(0);
    expect(order).toEqual(['a@0']);
    await clock.advanceAsync(100);
    await clock.advanceAsync(100);
    await clock.advanceAsync(100);
    await Promise.all(waits);
    expect(order).toEqual(['a@0', 'b@100', 'c@200', 'd@300']);
  });

  it('a big request at the head is not starved by small ones behind it', async () => {
    const { clock, store } = setup();
    const limiter = new TokenBucket({ store, clock, timers: clock, capacity: 4, refillRate: 1, intervalMs: 100 });
    await limiter.consume('k', 4);
    const order: string[] = [];
    const big = limiter.waitFor('k', 3).then(() => order.push('big'));
    const small = limiter.waitFor('k', 1).then(() => order.push('small'));
    await clock.advanceAsync(500);
    await Promise.all([big, small]);
    expect(order).toEqual(['big', 'small']);
  });

  it('is bounded, abortable and honours timeoutMs', async () => {
    const { clock, store } = setup();
    const limiter = new FixedWindow({ store, clock, timers: clock, limit: 1, windowMs: 10_000, maxQueue: 2 });
    await limiter.consume('k');
    const controller = new AbortController();
    const first = limiter.waitFor('k', 1, { signal: controller.signal });
    const second = limiter.waitFor('k');
    expect(await code(limiter.waitFor('k'))).toBe(QueueFullError.code);
    controller.abort();
    expect(await code(first)).toBe(AbortError.code);
    expect(await code(limiter.waitFor('other', 1, { timeoutMs: 5 }))).toBe('undefined');
    await limiter.consume('t');
    expect(await code(limiter.waitFor('t', 1, { timeoutMs: 5_000 }))).toBe(TimeoutError.code);
    await clock.advanceAsync(10_000);
    expect((await second).allowed).toBe(true);
  });

  it('waits out the shaping delay of a LeakyBucketQueue', async () => {
    const { clock, store } = setup();
    const shaper = new LeakyBucketQueue({ store, clock, timers: clock, capacity: 3, drainRate: 1, intervalMs: 100 });
    const done: number[] = [];
    const all = [0, 1, 2].map(() => shaper.waitFor('k').then((r) => done.push(r.delay)));
    await clock.advanceAsync(0);
    expect(done).toEqual([0]);
    await clock.advanceAsync(100);
    expect(done).toEqual([0, 100]);
    await clock.advanceAsync(100);
    await Promise.all(all);
    expect(done).toEqual([0, 100, 200]);
    // At t=200 one of the three queued units is still waiting: two free slots.
    expect(await shaper.consume('k')).toMatchObject({ allowed: true, delay: 100 });
    expect(await shaper.consume('k')).toMatchObject({ allowed: true, delay: 200 });
    expect((await shaper.consume('k')).allowed).toBe(false);
  });
});

describe('ConcurrencyLimiter.acquire', () => {
  it('waits for a release (woken at once) and run() releases even when the task throws', async () => {
    const { clock, store } = setup();
    const limiter = new ConcurrencyLimiter({ store, clock, timers: clock, limit: 1, leaseMs: 60_000 });
    const held = await limiter.acquire('k');
    let got = false;
    const waiting = limiter.acquire('k').then((lease) => {
      got = true;
      return lease;
    });
    await clock.advanceAsync(10);
    expect(got).toBe(false);
    await held.release();
    const lease = await waiting;
    expect(got).toBe(true);
    await lease.release();
    await expect(limiter.run('k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect((await limiter.peek('k')).remaining).toBe(1);
  });

  it('a dead holder’s permit comes back when its lease expires', async () => {
    const { clock, store } = setup();
    const limiter = new ConcurrencyLimiter({ store, clock, timers: clock, limit: 1, leaseMs: 1000 });
    await limiter.acquire('k'); // never released
    let got = false;
    const waiting = limiter.acquire('k').then(() => {
      got = true;
    });
    await clock.advanceAsync(999);
    expect(got).toBe(false);
    await clock.advanceAsync(1);
    await waiting;
    expect(got).toBe(true);
  });
});

describe('CompositeLimiter', () => {
  it('needs one shared store and distinct names', () => {
    const a = new FixedWindow({ limit: 1, windowMs: 1000 });
    const b = new FixedWindow({ limit: 1, windowMs: 1000 });
    expect(() => new CompositeLimiter([a, b])).toThrow(/share one store/);
    const store = new MemoryStore();
    expect(() => new CompositeLimiter([new FixedWindow({ store, limit: 1, windowMs: 1 }), new FixedWindow({ store, limit: 2, windowMs: 1 })])).toThrow(/distinct/);
  });

  it('reports the binding limit and waits for all of them', async () => {
    const { clock, store } = setup();
    const burst = new TokenBucket({ store, name: 'burst', capacity: 2, refillRate: 1, intervalMs: 100 });
    const window = new SlidingWindowLog({ store, name: 'window', limit: 3, windowMs: 1000 });
    const both = new CompositeLimiter([burst, window], { clock, timers: clock });
    expect((await both.consume('k')).remaining).toBe(1);
    expect(await both.consume('k')).toMatchObject({ allowed: true, remaining: 0 });
    const refused = await both.consume('k');
    expect(refused).toMatchObject({ allowed: false, retryAfter: 100, limit: 2 });
    clock.advance(100);
    expect(await both.consume('k')).toMatchObject({ allowed: true, remaining: 0 });
    const waited = both.waitFor('k');
    await clock.advanceAsync(1000);
    expect((await waited).allowed).toBe(true);
  });
});

describe('MemoryStore bounds', () => {
  it('expires keys by TTL and holds at most maxKeys', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock, maxKeys: 100 });
    const limiter = new FixedWindow({ store, limit: 5, windowMs: 1000 });
    for (let i = 0; i < 100; i++) await limiter.consume(`a${i}`);
    expect(store.stats.keys).toBe(100);
    clock.advance(1000);
    for (let i = 0; i < 100; i++) await limiter.consume(`b${i}`);
    expect(store.stats.keys).toBeLessThanOrEqual(100);
    expect(store.stats.evictions).toBe(0);
    expect(store.stats.expired).toBeGreaterThan(0);
    for (let i = 0; i < 50; i++) await limiter.consume(`c${i}`);
    expect(store.stats.keys).toBe(100);
    expect(store.stats.evictions).toBe(50);
  });

  it('a key decided repeatedly is never served from a stale entry: eviction, expiry, reset, general writes', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock, maxKeys: 1 });
    const limiter = new FixedWindow({ store, limit: 3, windowMs: 1000 });
    const other = new FixedWindow({ store, name: 'other', limit: 3, windowMs: 1000 });
    expect(limiter.consumeSync('k', 2).remaining).toBe(1);
    // Evicted by a key the general path (a penalty) adds: k starts afresh.
    await limiter.penalty('z', 1);
    expect(store.stats.evictions).toBe(1);
    expect(limiter.consumeSync('k').remaining).toBe(2);
    // A refused decision on a fresh key after an eviction, then k again.
    expect((await limiter.peek('z')).remaining).toBe(3);
    expect(limiter.consumeSync('k').remaining).toBe(1);
    // Expired, then read by a peek on the fused path (dropping it), then rewritten by a penalty.
    clock.advance(1000);
    const expiredBefore = store.stats.expired;
    expect((await limiter.peek('k')).remaining).toBe(3);
    expect((await limiter.peek('k')).remaining).toBe(3);
    expect(store.stats).toMatchObject({ keys: 0, expired: expiredBefore + 1 });
    await limiter.penalty('k', 2);
    expect(limiter.consumeSync('k').remaining).toBe(0);
    // Expired and rewritten by the general path without the fused path seeing the expiry.
    clock.advance(1000);
    await limiter.penalty('k', 1);
    expect(limiter.consumeSync('k').remaining).toBe(1);
    // Reset by the general path.
    await limiter.reset('k');
    expect(limiter.consumeSync('k').remaining).toBe(2);
    // The same key under another limiter of the store has its own state (and evicts this one).
    expect(other.consumeSync('k', 3).remaining).toBe(0);
    expect(limiter.consumeSync('k').remaining).toBe(2);
    // Cleared.
    store.clear();
    expect(limiter.consumeSync('k').remaining).toBe(2);
    expect(store.stats.keys).toBe(1);
  });
});

describe('rateLimitHeaders', () => {
  it('formats the IETF fields, the legacy ones and Retry-After', async () => {
    const clock = new ManualClock({ wallStart: 1_700_000_000_500 });
    const limiter = new Gcra({ clock, name: 'api "v1"', limit: 10, intervalMs: 60_000 });
    const ok = await limiter.consume('k');
    expect(rateLimitHeaders(ok, limiter.policy, { legacy: true })).toEqual({
      'RateLimit-Policy': '"api \\"v1\\"";q=10;w=60',
      RateLimit: '"api \\"v1\\"";r=9;t=6',
      'X-RateLimit-Limit': '10',
      'X-RateLimit-Remaining': '9',
      'X-RateLimit-Reset': String(Math.ceil((1_700_000_000_500 + 6000) / 1000)),
    });
    await limiter.consume('k', 9);
    const refused = await limiter.consume('k');
    expect(rateLimitHeaders(refused, limiter.policy)['Retry-After']).toBe('6');
  });
});
