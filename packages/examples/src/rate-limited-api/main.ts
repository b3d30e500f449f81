// `npm run api -w @lattice/examples`: the rate-limited API under load, through a Redis restart.
// Uses the Redis at REDIS_URL, or starts a private redis-server (then it also restarts it mid-run).
import { once } from 'node:events';
import { sleep, systemTimers } from '@lattice/core';
import { type RedisService, startService } from '@lattice/test-kit';
import { Redis } from 'ioredis';
import { type ApiLimits, startRateLimitedApi } from './api.js';
import { loadApi } from './load.js';

const limits: ApiLimits = {
  perUser: { burst: 20, perSecond: 50 },
  perUserQuota: { limit: 10_000, windowMs: 60_000 },
  perIp: { limit: 1_000_000, windowMs: 10_000 },
};
const seconds = 3;
const own = process.env['REDIS_URL'] === undefined ? await startService('redis') : undefined;
const url = process.env['REDIS_URL'] ?? own!.url;
const redis = new Redis(url, { enableOfflineQueue: false, retryStrategy: () => 100, maxRetriesPerRequest: 1 });
redis.on('error', () => undefined); // connection loss is reported through the API's store failures
await once(redis, 'ready');
const api = await startRateLimitedApi({ redis, limits, failure: 'insurance' });
console.log(`rate-limited API on ${api.url}, Redis at ${url}${own ? ' (a private redis-server)' : ''}`);
console.log(`limits: per API key a burst of ${limits.perUser.burst} then ${limits.perUser.perSecond}/s; per IP ${limits.perIp.limit} per ${limits.perIp.windowMs / 1000} s`);

let restarted: RedisService | undefined;
const restart = async (): Promise<void> => {
  if (own === undefined) return;
  await sleep(systemTimers, 1000);
  await own.kill();
  console.log('  1.0 s: Redis killed; decisions fall back to the in-memory insurance store');
  await sleep(systemTimers, 1000);
  restarted = await startService('redis', { port: own.port });
  console.log('  2.0 s: Redis restarted on the same port; decisions go back to it');
};
console.log(`${seconds} s of load from alice and bob, 8 connections each, as fast as they can:`);
const report = await loadApi(api, ['alice', 'bob'], { seconds, during: restart });
for (const user of report.users) {
  console.log(`  ${user.user}: ${user.sent} requests, ${user.ok} admitted (${(user.ok / report.seconds).toFixed(0)}/s), ${user.tooMany} refused with 429, ${user.unexpected} errors`);
}
console.log(`decisions Redis could not make, absorbed by the 'insurance' policy: ${api.stats().storeFailures}`);

await api.close();
redis.disconnect();
await restarted?.stop();
await own?.stop();
