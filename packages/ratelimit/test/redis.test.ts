/**
 * The Redis store with its production script (time from Redis TIME) against a real
 * redis-server: both client libraries, one round trip per decision, NOSCRIPT recovery, TTLs,
 * hash tags, and every failure policy.
 */
import { isLatticeError, TimeoutError } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { describeWithService } from '@lattice/test-kit/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompositeLimiter,
  FixedWindow,
  ioredisAdapter,
  LeakyBucket,
  MemoryStore,
  type RedisAdapter,
  RedisStore,
  SlidingWindowCounter,
  SlidingWindowLog,
  StoreReplyError,
  StoreUnavailableError,
  TokenBucket,
} from '../src/index.js';
import { connectIoredis, countingAdapter } from './redis-helpers.js';

const prefix = `it${Date.now().toString(36)}:`;
let serial = 0;
const unique = (what: string): string => `${what}-${serial++}`;

async function commandCalls(client: Redis, ...names: string[]): Promise<number> {
  const info = await client.info('commandstats');
  let total = 0;
  for (const name of names) {
    const match = new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm').exec(info);
    total += match ? Number(match[1]) : 0;
  }
  return total;
}

// A private redis-server for this suite; without one installed the suite is skipped with one line
// saying what to install, and under CI it fails.
describeWithService('redis', 'RedisStore on a real redis-server', (redis) => {
  let client: Redis;
  let admin: Redis;

  beforeAll(() => {
    client = connectIoredis(redis().url);
    admin = connectIoredis(redis().url);
  });
  afterAll(() => {
    client?.disconnect();
    admin?.disconnect();
  });

  it('makes each decision in exactly one round trip (EVALSHA), counted by the adapter and by Redis', async () => {
    for (const batch of [true, false]) {
      const adapter = countingAdapter(ioredisAdapter(client));
      const store = new RedisStore({ adapter, prefix, batch });
      const limiter = new SlidingWindowCounter({ store, name: unique('rt'), limit: 1000, windowMs: 60_000 });
      await limiter.consume('warm'); // loads the script (EVALSHA → NOSCRIPT → EVAL at most once)
      const callsBefore = adapter.calls;
      const scriptsBefore = await commandCalls(admin, 'evalsha', 'eval');
      const decisions = 50;
      for (let i = 0; i < decisions; i++) expect((await limiter.consume(`k${i % 5}`)).allowed).toBe(true);
      expect(adapter.calls - callsBefore).toBe(decisions);
      expect((await commandCalls(admin, 'evalsha', 'eval')) - scriptsBefore).toBe(decisions);
      // Concurrent decisions: one command each without batching; with it, they share commands.
      const results = await Promise.all(Array.from({ length: decisions }, (_, i) => limiter.consume(`p${i % 7}`)));
      expect(results.every((r) => r.allowed)).toBe(true);
      const concurrentCalls = adapter.calls - callsBefore - decisions;
      if (batch) expect(concurrentCalls).toBeLessThan(decisions);
      else expect(concurrentCalls).toBe(decisions);
      expect(concurrentCalls).toBeGreaterThanOrEqual(1);
      expect(store.stats.roundTrips).toBe(adapter.calls);
      expect(store.stats.decisions).toBe(2 * decisions + 1);
    }
  });

  it('decides single-limit calls with a lean script (two arguments per decision) that sees what the general script wrote', async () => {
    const sent: { keys: number; args: number }[] = [];
    const inner = ioredisAdapter(client);
    const adapter: RedisAdapter = {
      evalsha: (sha, keys, args) => {
        sent.push({ keys: keys.length, args: args.length });
        return inner.evalsha(sha, keys, args);
      },
      eval: (script, keys, args) => {
        sent.push({ keys: keys.length, args: args.length });
        return inner.eval(script, keys, args);
      },
    };
    const store = new RedisStore({ adapter, prefix });
    const limiter = new TokenBucket({ store, name: unique('lean'), capacity: 5, refillRate: 1, intervalMs: 60_000 });
    expect((await limiter.consume('a', 2)).remaining).toBe(3);
    expect(sent.at(-1)).toEqual({ keys: 1, args: 2 });
    // Concurrent decisions on one limit: the first leaves at once (nothing is in flight), the
    // others share one lean command at the end of the tick; all applied in order.
    const before = sent.length;
    const results = await Promise.all([limiter.consume('a'), limiter.peek('a'), limiter.consume('b', 5), limiter.consume('a', 3)]);
    expect(results.map((r) => [r.allowed, r.remaining])).toEqual([
      [true, 2],
      [true, 2],
      [true, 0],
      [false, 2],
    ]);
    expect(sent.slice(before)).toEqual([
      { keys: 1, args: 2 },
      { keys: 3, args: 6 },
    ]);
    // A block goes through the general script; the lean script then refuses until it ends.
    await limiter.block('a', 10_000);
    expect(sent.at(-1)!.args).toBeGreaterThan(2);
    const blocked = await limiter.consume('a');
    expect(blocked).toMatchObject({ allowed: false, remaining: 0 });
    expect(blocked.retryAfter).toBeGreaterThan(9000);
    expect(sent.at(-1)).toEqual({ keys: 1, args: 2 });
  });

  it('a reply that is not the script\'s rejects with StoreReplyError, for the compact single-request reply and the batched one', async () => {
    const replies: unknown[] = [null, 'OK', [1, 2], [1, 2, 3, 4, 5], [1, 'x', 3], [1, 2, 3, 4, 5, 6, 7, 8]];
    for (const reply of replies) {
      const adapter: RedisAdapter = { evalsha: () => Promise.resolve(reply), eval: () => Promise.resolve(reply) };
      const limiter = new FixedWindow({ store: new RedisStore({ adapter, prefix }), name: unique('bad'), limit: 5, windowMs: 1000 });
      await expect(limiter.consume('a')).rejects.toMatchObject({ code: StoreReplyError.code });
      const both = await Promise.allSettled([limiter.consume('a'), limiter.consume('b')]);
      expect(both.map((r) => (r.status === 'rejected' ? (r.reason as { code?: string }).code : r.status))).toEqual([StoreReplyError.code, StoreReplyError.code]);
    }
    // The compact reply's shapes: allowed; refused with retryAfter; with delay and ttl.
    const shapes: [unknown[], object][] = [
      [[1000, 4, 600], { allowed: true, remaining: 4, resetAt: 1600, resetAfter: 600, retryAfter: 0, delay: 0 }],
      [[1000, -1, 600, 600], { allowed: false, remaining: 0, resetAt: 1600, resetAfter: 600, retryAfter: 600, delay: 0 }],
      [[1000, -3, 250, 40], { allowed: false, remaining: 2, resetAt: 1250, retryAfter: 40 }],
      [[1000, 0, 900, 0, 300, 1200], { allowed: true, remaining: 0, resetAt: 1900, retryAfter: 0, delay: 300 }],
    ];
    for (const [reply, want] of shapes) {
      const adapter: RedisAdapter = { evalsha: () => Promise.resolve(reply), eval: () => Promise.resolve(reply) };
      const limiter = new FixedWindow({ store: new RedisStore({ adapter, prefix }), name: unique('shape'), limit: 5, windowMs: 1000 });
      expect(await limiter.consume('a')).toMatchObject(want);
    }
  });

  it('a batch applies each decision atomically and in order', async () => {
    const store = new RedisStore({ client, prefix });
    const limiter = new FixedWindow({ store, name: unique('order'), limit: 3, windowMs: 60_000 });
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => limiter.consume(i % 2 === 0 ? 'x' : 'y', 1)));
    expect(results.map((r) => (r.allowed ? r.remaining : -1))).toEqual([2, 2, 1, 1, 0, 0]);
    const more = await Promise.all([limiter.consume('x'), limiter.peek('y'), limiter.reset('y'), limiter.consume('y', 3)]);
    expect(more[0]!.allowed).toBe(false);
    expect(more[1]!.remaining).toBe(0);
    expect(more[3]).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('reloads the script with EVAL after SCRIPT FLUSH (NOSCRIPT), then goes back to EVALSHA', async () => {
    const adapter = countingAdapter(ioredisAdapter(client));
    const store = new RedisStore({ adapter, prefix });
    const limiter = new FixedWindow({ store, name: unique('ns'), limit: 10, windowMs: 60_000 });
    expect((await limiter.consume('a')).remaining).toBe(9);
    await admin.script('FLUSH');
    const before = store.stats;
    expect((await limiter.consume('a')).remaining).toBe(8);
    expect(store.stats.scriptReloads - before.scriptReloads).toBe(1);
    expect(store.stats.roundTrips - before.roundTrips).toBe(2);
    const again = store.stats.roundTrips;
    await limiter.consume('a');
    expect(store.stats.roundTrips - again).toBe(1);
  });

  it('takes time from Redis TIME, not from the client', async () => {
    const wrongClock = new ManualClock({ wallStart: Date.UTC(2001, 0, 1) });
    const store = new RedisStore({ client, prefix, clock: wrongClock });
    const limiter = new FixedWindow({ store, name: unique('time'), limit: 5, windowMs: 1000, clock: wrongClock });
    const result = await limiter.consume('t');
    const redisNow = (await admin.time()) as unknown as (string | number)[];
    const serverMs = Number(redisNow[0]) * 1000;
    expect(Math.abs(result.resetAt - serverMs)).toBeLessThan(5000);
  });

  it('sets a TTL on every key it writes, at most twice what the state needs', async () => {
    const store = new RedisStore({ client, prefix });
    const name = unique('ttl');
    const bucket = new TokenBucket({ store, name: `${name}-tb`, capacity: 10, refillRate: 1, intervalMs: 1000 });
    const window = new SlidingWindowLog({ store, name: `${name}-log`, limit: 3, windowMs: 30_000 });
    const leaky = new LeakyBucket({ store, name: `${name}-lb`, capacity: 3, leakRate: 1, intervalMs: 2000 });
    await bucket.consume('u', 4); // refills in 4 s
    await window.consume('u');
    await leaky.consume('u', 2); // drains in 4 s
    await window.block('v', 90_000);
    const keys = await admin.keys(`${prefix}{*}:${name}-*`);
    expect(keys.length).toBe(4);
    const ttls = Object.fromEntries(await Promise.all(keys.map(async (key) => [key, await admin.pttl(key)] as const)));
    for (const ttl of Object.values(ttls)) expect(ttl).toBeGreaterThan(0);
    expect(ttls[store.redisKey('u', `${name}-tb`)]).toBeLessThanOrEqual(8000);
    expect(ttls[store.redisKey('u', `${name}-tb`)]).toBeGreaterThan(3000);
    expect(ttls[store.redisKey('u', `${name}-log`)]).toBeLessThanOrEqual(60_000);
    expect(ttls[store.redisKey('u', `${name}-lb`)]).toBeLessThanOrEqual(8000);
    expect(ttls[store.redisKey('v', `${name}-log`)]).toBeGreaterThan(80_000);
    // A write that needs no later expiry keeps the current one.
    await bucket.consume('u', 1);
    expect(await admin.pttl(store.redisKey('u', `${name}-tb`))).toBeLessThanOrEqual(ttls[store.redisKey('u', `${name}-tb`)]!);
  });

  it('puts every limit of one user key under one hash tag (safe on Redis Cluster)', async () => {
    const store = new RedisStore({ client, prefix });
    const a = new FixedWindow({ store, name: 'minute', limit: 5, windowMs: 60_000 });
    const b = new TokenBucket({ store, name: 'second', capacity: 2, refillRate: 2 });
    const both = new CompositeLimiter([a, b]);
    const key = `user:{odd}:${unique('tag')}`;
    await both.consume(key);
    const tag = (redisKey: string): string => {
      const open = redisKey.indexOf('{');
      const close = redisKey.indexOf('}', open + 1);
      return redisKey.slice(open + 1, close);
    };
    const keys = [store.redisKey(key, 'minute'), store.redisKey(key, 'second')];
    expect(tag(keys[0]!)).toBe(tag(keys[1]!));
    expect(tag(keys[0]!).length).toBeGreaterThan(0);
    expect(await admin.exists(...keys)).toBe(2);
    expect(() => new RedisStore({ client, prefix: 'a{b}:' })).toThrow(/braces/);
  });

  it('works the same through node-redis (redis v5+) and ioredis', async () => {
    const nodeClient = createClient({ url: redis().url });
    await nodeClient.connect();
    try {
      const name = unique('clients');
      const viaNode = new TokenBucket({ store: new RedisStore({ client: nodeClient, prefix }), name, capacity: 5, refillRate: 1, intervalMs: 60_000 });
      const viaIo = new TokenBucket({ store: new RedisStore({ client, prefix }), name, capacity: 5, refillRate: 1, intervalMs: 60_000 });
      const seen: number[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await (i % 2 === 0 ? viaNode : viaIo).consume('shared');
        seen.push(r.allowed ? r.remaining : -1);
      }
      expect(seen).toEqual([4, 3, 2, 1, 0, -1]);
      const both = new CompositeLimiter([
        new FixedWindow({ store: viaNode.store, name: `${name}-a`, limit: 1, windowMs: 60_000 }),
        new FixedWindow({ store: viaNode.store, name: `${name}-b`, limit: 5, windowMs: 60_000 }),
      ]);
      expect((await both.consume('c')).allowed).toBe(true);
      expect((await both.consume('c')).allowed).toBe(false);
      expect((await both.limiters[1]!.peek('c')).remaining).toBe(4);
    } finally {
      await nodeClient.quit();
    }
  });
});

describe('RedisStore failure policies', () => {
  /** An adapter whose calls fail like a dead connection. */
  const broken: RedisAdapter = {
    evalsha: () => Promise.reject(new Error('Connection is closed.')),
    eval: () => Promise.reject(new Error('Connection is closed.')),
  };
  /** An adapter whose calls never answer. */
  const hanging: RedisAdapter = {
    evalsha: () => new Promise(() => undefined),
    eval: () => new Promise(() => undefined),
  };

  it("'throw' (default) rejects with StoreUnavailableError carrying the cause", async () => {
    const limiter = new FixedWindow({ store: new RedisStore({ adapter: broken }), limit: 5, windowMs: 1000 });
    const error = await limiter.consume('x').catch((e: unknown) => e);
    expect(isLatticeError(error, StoreUnavailableError.code)).toBe(true);
    expect(((error as Error).cause as Error).message).toBe('Connection is closed.');
  });

  it('a real client on a dead port fails the same way, within the timeout', async () => {
    const dead = new Redis({ port: 1, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    dead.on('error', () => undefined);
    try {
      const errors: string[] = [];
      const limiter = new FixedWindow({
        store: new RedisStore({ client: dead, failure: 'closed', onError: (e) => errors.push(e.code), timeoutMs: 2000 }),
        limit: 5,
        windowMs: 1000,
      });
      const result = await limiter.consume('x');
      expect(result).toMatchObject({ allowed: false, retryAfter: 1000 });
      expect(errors).toEqual([StoreUnavailableError.code]);
    } finally {
      dead.disconnect();
    }
  });

  it("'open' admits and reports through onError", async () => {
    const errors: unknown[] = [];
    const store = new RedisStore({ adapter: broken, failure: 'open', onError: (error, context) => errors.push([error.code, context.key]) });
    const limiter = new TokenBucket({ store, capacity: 3, refillRate: 1 });
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, remaining: 2 });
    expect(errors).toEqual([[StoreUnavailableError.code, 'k']]);
    expect(store.stats.failures).toBe(1);
  });

  it("'closed' refuses with the configured retryAfter when Redis exceeds timeoutMs", async () => {
    const clock = new ManualClock();
    const errors: unknown[] = [];
    const store = new RedisStore({ adapter: hanging, failure: 'closed', closedRetryAfterMs: 2500, timeoutMs: 50, timers: clock, clock, onError: (e) => errors.push(e.cause) });
    const limiter = new FixedWindow({ store, limit: 5, windowMs: 1000 });
    const pending = limiter.consume('k');
    await clock.advanceAsync(49);
    expect(errors).toEqual([]);
    await clock.advanceAsync(1);
    expect(await pending).toMatchObject({ allowed: false, retryAfter: 2500, remaining: 0 });
    expect(isLatticeError(errors[0], TimeoutError.code)).toBe(true);
  });

  it('times out each command exactly timeoutMs after it was sent, whatever was answered or timed out before it', async () => {
    const clock = new ManualClock();
    const errors: string[] = [];
    // Commands to key 'slow…' never get an answer; the others are answered when told to.
    const answers: (() => void)[] = [];
    const adapter: RedisAdapter = {
      evalsha: (_sha, keys) =>
        keys[0]!.includes('slow') ? new Promise(() => undefined) : new Promise((resolve) => answers.push(() => resolve([Math.floor(clock.now()), 4, 1000]))),
      eval: (_script, keys) =>
        keys[0]!.includes('slow') ? new Promise(() => undefined) : new Promise((resolve) => answers.push(() => resolve([Math.floor(clock.now()), 4, 1000]))),
    };
    const store = new RedisStore({ adapter, failure: 'closed', closedRetryAfterMs: 7, timeoutMs: 100, timers: clock, clock, onError: (e, { key }) => errors.push(`${key}${e.code === StoreUnavailableError.code ? '' : ` (${e.code})`}`) });
    const limiter = new FixedWindow({ store, limit: 5, windowMs: 1000 });
    const fast = limiter.consume('fast-1'); // sent at 0, answered at 30
    await clock.advanceAsync(10);
    const slowA = limiter.consume('slow-a'); // sent at 10
    await clock.advanceAsync(20);
    answers.shift()!();
    expect(await fast).toMatchObject({ allowed: true, remaining: 4 });
    await clock.advanceAsync(30);
    const slowB = limiter.consume('slow-b'); // sent at 60
    await clock.advanceAsync(49); // 109
    expect(errors).toEqual([]);
    await clock.advanceAsync(1); // 110: slow-a is 100 ms old
    expect(await slowA).toMatchObject({ allowed: false, retryAfter: 7 });
    expect(errors).toEqual(['slow-a']);
    const fast2 = limiter.consume('fast-2'); // sent at 110, answered at 200
    await clock.advanceAsync(49); // 159
    expect(errors).toEqual(['slow-a']);
    await clock.advanceAsync(1); // 160: slow-b is 100 ms old
    expect(await slowB).toMatchObject({ allowed: false, retryAfter: 7 });
    expect(errors).toEqual(['slow-a', 'slow-b']);
    await clock.advanceAsync(40); // 200
    answers.shift()!();
    expect(await fast2).toMatchObject({ allowed: true });
    await clock.advanceAsync(1000);
    expect(errors).toEqual(['slow-a', 'slow-b']);
    expect(store.stats.failures).toBe(2);
  });

  it("'insurance' limits in memory while Redis is down", async () => {
    const clock = new ManualClock();
    const errors: unknown[] = [];
    const store = new RedisStore({ adapter: broken, failure: 'insurance', insurance: new MemoryStore({ clock }), onError: (e) => errors.push(e) });
    const limiter = new FixedWindow({ store, limit: 2, windowMs: 60_000 });
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push((await limiter.consume('k')).allowed);
    expect(outcomes).toEqual([true, true, false, false]);
    expect(errors.length).toBe(4);
  });

  it('refuses a swallowing policy without an onError hook, and bad options', () => {
    expect(() => new RedisStore({ adapter: broken, failure: 'open' })).toThrow(/onError/);
    expect(() => new RedisStore({ adapter: broken, client: {} })).toThrow(/exactly one/);
    expect(() => new RedisStore({ client: { nothing: true } })).toThrow(/ioredis/);
  });
});
