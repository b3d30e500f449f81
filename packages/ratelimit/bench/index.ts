/**
 * Benchmark: decisions per second of @lattice/ratelimit against rate-limiter-flexible (memory
 * and Redis) and `limiter` (token bucket), side by side in one process. The Redis part starts
 * its own redis-server on loopback (or uses REDIS_URL) and counts the commands each library
 * sends per decision. Memory rows run with the default clock and with @lattice/core's
 * `cachedSystemClock()`. Writes bench/results.json.
 *
 *   npm run bench -w @lattice/ratelimit
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchResult, opsPerSecond, report, result } from '@lattice/bench-kit';
import { type Clock, cachedSystemClock } from '@lattice/core';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RateLimiter as LimiterTokenBucket } from 'limiter';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { FixedWindow, MemoryStore, RedisStore, TokenBucket } from '../src/index.js';
import { startRedis } from '@lattice/test-kit';
import { distributed } from './distributed.js';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
function version(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return `${name}@${pkg.version}`;
    } catch {
      // keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`package.json of ${name} not found`);
    dir = parent;
  }
}

const RLF = version('rate-limiter-flexible');
const IOREDIS = version('ioredis');
const NODE_REDIS = version('redis');
const LIMITER = version('limiter');
const rows: BenchResult[] = [];
const HUGE = 1_000_000_000; // limits high enough that every decision is an admission for both

function keys(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `user:${i}`);
}

/** The shared cached clock, once its ticker thread has written (so the rows measure cached reads). */
async function runningCachedClock(): Promise<Clock> {
  const clock = cachedSystemClock();
  for (let waited = 0; !clock.cached && waited < 2000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!clock.cached) throw new Error('cachedSystemClock did not start its ticker within 2 s');
  return clock;
}

/**
 * Memory rows, with the default clock (`systemClock`, a `Date.now()` per decision) and with
 * `clock: cachedSystemClock()` from @lattice/core. The peer always reads `Date.now()` itself.
 */
async function memory(cached: Clock): Promise<void> {
  for (const [clockName, clock] of [
    ['', undefined],
    [', cachedSystemClock', cached],
  ] as const) {
    const storeOptions = clock === undefined ? {} : { clock };
    const noteClock = clock === undefined ? 'default clock' : 'clock: cachedSystemClock()';
    for (const keyCount of [1, 100_000]) {
      const list = keys(keyCount);
      const ours = new FixedWindow({ store: new MemoryStore(storeOptions), limit: HUGE, windowMs: 60_000 });
      const peer = new RateLimiterMemory({ points: HUGE, duration: 60 });
      let i = 0;
      let j = 0;
      const iterations = keyCount === 1 ? 200_000 : 300_000;
      const r = await opsPerSecond(
        async (n) => {
          for (let k = 0; k < n; k++) await ours.consume(list[i++ % keyCount]!);
        },
        async (n) => {
          for (let k = 0; k < n; k++) await peer.consume(list[j++ % keyCount]!);
        },
        { iterations, rounds: 5 },
      );
      const label = `${keyCount.toLocaleString('en')} key${keyCount > 1 ? 's' : ''}${clockName}`;
      rows.push(result({ case: `memory consume (await), ${label}`, unit: 'ops/s', betterIs: 'higher', ours: r.ours, peer: RLF, peerValue: r.peer!, note: `FixedWindow.consume vs RateLimiterMemory.consume; ${noteClock}` }));
      const s = await opsPerSecond(
        (n) => {
          for (let k = 0; k < n; k++) ours.consumeSync(list[i++ % keyCount]!);
        },
        async (n) => {
          for (let k = 0; k < n; k++) await peer.consume(list[j++ % keyCount]!);
        },
        { iterations, rounds: 5 },
      );
      rows.push(result({ case: `memory consumeSync, ${label}`, unit: 'ops/s', betterIs: 'higher', ours: s.ours, peer: RLF, peerValue: s.peer!, note: `FixedWindow.consumeSync vs RateLimiterMemory.consume (it has no sync API); ${noteClock}` }));
    }
    // Token bucket, one key, against `limiter` (which has no keys: one bucket).
    const ours = new TokenBucket({ store: new MemoryStore(storeOptions), capacity: HUGE, refillRate: HUGE });
    const peer = new LimiterTokenBucket({ tokensPerInterval: HUGE, interval: 'second' });
    const r = await opsPerSecond(
      async (n) => {
        for (let k = 0; k < n; k++) await ours.consume('one');
      },
      async (n) => {
        for (let k = 0; k < n; k++) await peer.removeTokens(1);
      },
      { iterations: 200_000, rounds: 5 },
    );
    rows.push(result({ case: `memory token bucket, 1 key${clockName}`, unit: 'ops/s', betterIs: 'higher', ours: r.ours, peer: LIMITER, peerValue: r.peer!, note: `TokenBucket vs RateLimiter.removeTokens; ${noteClock}` }));
    const rs = await opsPerSecond(
      (n) => {
        for (let k = 0; k < n; k++) ours.consumeSync('one');
      },
      async (n) => {
        for (let k = 0; k < n; k++) await peer.removeTokens(1);
      },
      { iterations: 200_000, rounds: 5 },
    );
    rows.push(result({ case: `memory token bucket consumeSync, 1 key${clockName}`, unit: 'ops/s', betterIs: 'higher', ours: rs.ours, peer: LIMITER, peerValue: rs.peer!, note: `TokenBucket.consumeSync vs RateLimiter.removeTokens (it has no sync API); ${noteClock}` }));
  }
  // The floor of any awaited API here: awaiting an already resolved promise of a fresh object,
  // alternating with the peer's 1-key consume (so its ratio bounds what an awaited limiter can reach).
  const peer = new RateLimiterMemory({ points: HUGE, duration: 60 });
  const floor = await opsPerSecond(
    async (n) => {
      for (let k = 0; k < n; k++) await Promise.resolve({ allowed: true });
    },
    async (n) => {
      for (let k = 0; k < n; k++) await peer.consume('one');
    },
    { iterations: 200_000, rounds: 5 },
  );
  rows.push(result({ case: 'await Promise.resolve({...}), 1 key (floor of an awaited call)', unit: 'ops/s', betterIs: 'higher', ours: floor.ours, peer: RLF, peerValue: floor.peer!, note: 'not a limiter: one awaited, already resolved promise, against RateLimiterMemory.consume' }));
}

/** Counts the commands a client sends (each one a round trip, unless pipelined). */
function countCommands(client: Redis): { count: number } {
  const counter = { count: 0 };
  const original = client.sendCommand.bind(client);
  client.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
    counter.count++;
    return original(...args);
  }) as Redis['sendCommand'];
  return counter;
}

async function redis(): Promise<void> {
  const server = process.env['REDIS_URL'] ? undefined : await startRedis();
  const url = process.env['REDIS_URL'] || server!.url;
  const oursClient = new Redis(url);
  const peerClient = new Redis(url);
  const nodeRedisClient = await createClient({ url }).connect();
  try {
    const oursCount = countCommands(oursClient);
    const peerCount = countCommands(peerClient);
    const ours = new FixedWindow({ store: new RedisStore({ client: oursClient, prefix: 'bench:' }), limit: HUGE, windowMs: 60_000 });
    const peer = new RateLimiterRedis({ storeClient: peerClient, points: HUGE, duration: 60, keyPrefix: 'bench-rlf' });
    const list = keys(1000);
    let i = 0;
    let j = 0;
    await ours.consume('warm');
    await peer.consume('warm');
    const sequential = await opsPerSecond(
      async (n) => {
        for (let k = 0; k < n; k++) await ours.consume(list[i++ % list.length]!);
      },
      async (n) => {
        for (let k = 0; k < n; k++) await peer.consume(list[j++ % list.length]!);
      },
      { iterations: 4000, rounds: 5 },
    );
    rows.push(result({ case: 'redis consume, sequential', unit: 'ops/s', betterIs: 'higher', ours: sequential.ours, peer: RLF, peerValue: sequential.peer!, note: `FixedWindow vs RateLimiterRedis, both on ${IOREDIS}, loopback` }));
    // Ours on node-redis against the peer on ioredis (the client its docs recommend).
    const oursNodeRedis = new FixedWindow({ store: new RedisStore({ client: nodeRedisClient, prefix: 'bench-nr:' }), limit: HUGE, windowMs: 60_000 });
    await oursNodeRedis.consume('warm');
    const sequentialNodeRedis = await opsPerSecond(
      async (n) => {
        for (let k = 0; k < n; k++) await oursNodeRedis.consume(list[i++ % list.length]!);
      },
      async (n) => {
        for (let k = 0; k < n; k++) await peer.consume(list[j++ % list.length]!);
      },
      { iterations: 4000, rounds: 5 },
    );
    rows.push(result({ case: 'redis consume, sequential, ours on node-redis', unit: 'ops/s', betterIs: 'higher', ours: sequentialNodeRedis.ours, peer: RLF, peerValue: sequentialNodeRedis.peer!, note: `FixedWindow on ${NODE_REDIS} vs RateLimiterRedis on ${IOREDIS}, loopback` }));
    // The round-trip floor: an EVALSHA of a script that does nothing, on ioredis, alternating with the peer.
    const floorClient = new Redis(url);
    try {
      const nothing = (await floorClient.script('LOAD', 'return 1')) as string;
      const floor = await opsPerSecond(
        async (n) => {
          for (let k = 0; k < n; k++) await floorClient.evalsha(nothing, 1, list[i++ % list.length]!, '0', '1');
        },
        async (n) => {
          for (let k = 0; k < n; k++) await peer.consume(list[j++ % list.length]!);
        },
        { iterations: 4000, rounds: 5 },
      );
      rows.push(result({ case: "redis EVALSHA 'return 1', sequential (round-trip floor)", unit: 'ops/s', betterIs: 'higher', ours: floor.ours, peer: RLF, peerValue: floor.peer!, note: `not a limiter: the fastest any one-command decision can be, ${IOREDIS}` }));
      // What reading TIME and replying with three integers (no state at all) costs: the least a
      // decision with time from Redis and our compact reply can cost.
      const timeOnly = (await floorClient.script('LOAD', "local c = redis.call('TIME') local now = c[1] * 1000 + math.floor(c[2] / 1000) return { now, 1, 1 }")) as string;
      const timeFloor = await opsPerSecond(
        async (n) => {
          for (let k = 0; k < n; k++) await floorClient.evalsha(timeOnly, 1, list[i++ % list.length]!, '0', '1');
        },
        async (n) => {
          for (let k = 0; k < n; k++) await peer.consume(list[j++ % list.length]!);
        },
        { iterations: 4000, rounds: 5 },
      );
      rows.push(result({ case: 'redis EVALSHA of TIME + 3 integers, sequential (floor with Redis time)', unit: 'ops/s', betterIs: 'higher', ours: timeFloor.ours, peer: RLF, peerValue: timeFloor.peer!, note: `not a limiter: no state read or written, ${IOREDIS}` }));
    } finally {
      floorClient.disconnect();
    }
    const concurrent = (limiter: { consume(key: string): Promise<unknown> }, counter: () => number) => async (n: number) => {
      const callers = 100;
      await Promise.all(
        Array.from({ length: callers }, async () => {
          for (let k = 0; k < n / callers; k++) await limiter.consume(list[counter() % list.length]!);
        }),
      );
    };
    const parallel = await opsPerSecond(
      concurrent(ours, () => i++),
      concurrent(peer, () => j++),
      { iterations: 20_000, rounds: 5 },
    );
    rows.push(result({ case: 'redis consume, 100 concurrent callers', unit: 'ops/s', betterIs: 'higher', ours: parallel.ours, peer: RLF, peerValue: parallel.peer!, note: 'FixedWindow vs RateLimiterRedis, ioredis, loopback' }));
    // Server time per decision (INFO commandstats), measured in alternating phases.
    const admin = new Redis(url);
    try {
      const serverUs = async (limiter: { consume(key: string): Promise<unknown> }): Promise<number> => {
        await admin.config('RESETSTAT');
        for (let k = 0; k < 2000; k++) await limiter.consume(list[k % list.length]!);
        const info = await admin.info('commandstats');
        let usec = 0;
        let calls = 0;
        for (const match of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+),usec=(\d+)/gm)) {
          calls += Number(match[1]);
          usec += Number(match[2]);
        }
        return usec / calls;
      };
      const oursUs: number[] = [];
      const peerUs: number[] = [];
      for (let round = 0; round < 5; round++) {
        oursUs.push(await serverUs(ours));
        peerUs.push(await serverUs(peer));
      }
      const median = (values: number[]): number => values.sort((a, b) => a - b)[values.length >> 1]!;
      rows.push(result({ case: 'redis server time per decision', unit: 'µs', betterIs: 'lower', ours: median(oursUs), peer: RLF, peerValue: median(peerUs), note: 'INFO commandstats usec per EVALSHA, sequential' }));
    } finally {
      admin.disconnect();
    }
    // Commands per decision, counted at the client.
    const decisions = 1000;
    const oursBefore = oursCount.count;
    const peerBefore = peerCount.count;
    for (let k = 0; k < decisions; k++) {
      await ours.consume(list[k % list.length]!);
      await peer.consume(list[k % list.length]!);
    }
    rows.push(
      result({
        case: 'redis commands per decision',
        unit: 'commands',
        betterIs: 'lower',
        ours: (oursCount.count - oursBefore) / decisions,
        peer: RLF,
        peerValue: (peerCount.count - peerBefore) / decisions,
        note: 'counted at the ioredis client',
      }),
    );
  } finally {
    oursClient.disconnect();
    peerClient.disconnect();
    nodeRedisClient.destroy();
    await server?.stop();
  }
}

// BENCH_ONLY_REDIS runs only the Redis rows; BENCH_SKIP_REDIS skips them (no redis-server needed).
if (!process.env['BENCH_ONLY_REDIS']) {
  await memory(await runningCachedClock());
  await distributed(rows);
}
if (!process.env['BENCH_SKIP_REDIS']) await redis();
report(join(here, 'results.json'), rows);
