import { once } from 'node:events';
import { startService } from '@lattice/test-kit';
import { describeWithService } from '@lattice/test-kit/vitest';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { type ApiLimits, type RateLimitedApi, startRateLimitedApi } from '../src/rate-limited-api/api.js';
import { loadApi } from '../src/rate-limited-api/load.js';

const roomy: ApiLimits = {
  perUser: { burst: 20, perSecond: 50 },
  perUserQuota: { limit: 100_000, windowMs: 60_000 },
  perIp: { limit: 1_000_000, windowMs: 10_000 },
};

/** A client that fails fast while disconnected (the API's failure policy takes over), once connected. */
async function client(url: string): Promise<Redis> {
  const redis = new Redis(url, { enableOfflineQueue: false, retryStrategy: () => 100, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  await once(redis, 'ready');
  return redis;
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function api(url: string, limits: ApiLimits, failure: 'insurance' | 'open' | 'closed' = 'insurance', timeoutMs?: number): Promise<RateLimitedApi> {
  const redis = await client(url);
  const started = await startRateLimitedApi({ redis, limits, failure, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  cleanups.push(() => redis.disconnect(), () => started.close());
  return started;
}

const get = (base: string, key?: string) => fetch(`${base}/hello`, { headers: key === undefined ? {} : { authorization: `Bearer ${key}` } });

describeWithService('redis', 'rate-limited API on Redis', (redis) => {
  it('answers with the binding limit in RateLimit fields, and 429 with Retry-After once it is spent', async () => {
    const server = await api(redis().url, { ...roomy, perUser: { burst: 3, perSecond: 1 }, perUserQuota: { limit: 100, windowMs: 60_000 } });
    const first = await get(server.url, 'carol');
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"burst";q=3;w=3');
    expect(first.headers.get('ratelimit')).toMatch(/^"burst";r=2;t=\d+$/);
    await get(server.url, 'carol');
    await get(server.url, 'carol');
    const refused = await get(server.url, 'carol');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await get(server.url, 'dave')).status).toBe(200); // another key has its own limit
  });

  it('limits per IP across keys, and a request the key refuses does not spend the IP', async () => {
    const server = await api(redis().url, { ...roomy, perUser: { burst: 1, perSecond: 1 }, perIp: { limit: 4, windowMs: 60_000 } });
    expect((await get(server.url, 'erin')).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await get(server.url, 'erin')).status).toBe(429); // the key refuses: IP units given back
    expect((await get(server.url, 'frank')).status).toBe(200);
    expect((await get(server.url, 'grace')).status).toBe(200);
    expect((await get(server.url, 'heidi')).status).toBe(200);
    const byIp = await get(server.url, 'ivan');
    expect(byIp.status).toBe(429);
    expect(byIp.headers.get('ratelimit-policy')).toBe('"ip";q=4;w=60');
  });

  it('keeps each key within its limit under autocannon load', async () => {
    const { perUser } = roomy;
    // A healthy Redis must make every decision: a deadline far above the default 100 ms, so that
    // a loaded machine's scheduling delays are not counted as a store failure.
    const server = await api(redis().url, roomy, 'insurance', 2_000);
    const report = await loadApi(server, ['alice', 'bob'], { seconds: 2 });
    for (const user of report.users) {
      expect(user.unexpected).toBe(0);
      expect(user.ok).toBeLessThanOrEqual(perUser.burst + perUser.perSecond * (report.seconds + 0.25));
      expect(user.ok).toBeGreaterThanOrEqual(perUser.perSecond * report.seconds * 0.8); // the limit is reached, not undershot
      expect(user.tooMany).toBeGreaterThan(user.ok); // the load is well above the limit
    }
    expect(server.stats().storeFailures).toBe(0);
  });
});

describeWithService('redis', 'rate-limited API through a Redis restart', () => {
  it("keeps limiting on the 'insurance' policy while Redis is down, and returns to Redis after", async () => {
    const first = await startService('redis');
    let second: Awaited<ReturnType<typeof startService<'redis'>>> | undefined;
    cleanups.push(() => first.stop(), () => second?.stop());
    const server = await api(first.url, roomy);
    const restart = async () => {
      await new Promise((resolve) => setTimeout(resolve, 700));
      await first.kill();
      await new Promise((resolve) => setTimeout(resolve, 700));
      second = await startService('redis', { port: first.port });
    };
    const report = await loadApi(server, ['alice', 'bob'], { seconds: 2.5, during: restart });
    const { burst, perSecond } = roomy.perUser;
    for (const user of report.users) {
      expect(user.unexpected).toBe(0); // never a 5xx or a dropped connection
      // A fresh bucket at the start, when the insurance store takes over and when the restarted
      // Redis (no persistence) is used again; the refill rate meanwhile.
      expect(user.ok).toBeLessThanOrEqual(3 * burst + perSecond * (report.seconds + 0.25));
      expect(user.ok).toBeGreaterThanOrEqual(perSecond * report.seconds * 0.7);
    }
    expect(server.stats().storeFailures).toBeGreaterThan(0);
    const check = await client(second!.url);
    cleanups.push(() => check.disconnect());
    expect((await check.keys('api:*')).length).toBeGreaterThan(0); // decisions are made on Redis again
  });

  it("refuses with Retry-After on 'closed' and admits on 'open' while Redis is down", async () => {
    const down = await startService('redis');
    cleanups.push(() => down.stop());
    const closed = await api(down.url, roomy, 'closed');
    const open = await api(down.url, roomy, 'open');
    expect((await get(closed.url, 'judy')).status).toBe(200);
    await down.kill();
    const refused = await get(closed.url, 'judy');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await get(open.url, 'judy')).status).toBe(200);
    expect(closed.stats().storeFailures).toBeGreaterThan(0);
    expect(open.stats().storeFailures).toBeGreaterThan(0);
  });
});
