import { ManualClock } from '@lattice/core/testing';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { type RedisAdapter, ioredisAdapter } from '../src/index.js';
import { RATE_LIMIT_SCRIPT } from '../src/lua.js';

/** The URL of the test redis-server, or an Error saying why there is none (the test then fails with it). */
export function redisUrl(): string {
  const error = inject('redisError');
  if (error !== '') throw new Error(error);
  return inject('redisUrl');
}

export function connectIoredis(): Redis {
  return new Redis(redisUrl(), { lazyConnect: false, maxRetriesPerRequest: 1 });
}

const TIME_LINES = `local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`;

const TTL_EXPR = "'PXAT', now + max(ttl, blocked - now, 1))";

/**
 * The production script with its two `TIME` lines swapped for "now from the last argument", so
 * a test can drive the Lua port with a ManualClock and compare it with the JavaScript. Redis
 * expires keys in real time, which does not follow the ManualClock, so the TTLs get an extra
 * hour (TTLs only bound memory: a state past its TTL decides exactly like a fresh one).
 */
export const CLOCKED_SCRIPT = (() => {
  if (!RATE_LIMIT_SCRIPT.includes(TIME_LINES) || !RATE_LIMIT_SCRIPT.includes(TTL_EXPR)) {
    throw new Error('The script no longer reads TIME or sets PX the expected way; update CLOCKED_SCRIPT');
  }
  return RATE_LIMIT_SCRIPT.replace(TIME_LINES, 'local now = tonumber(ARGV[#ARGV])').replace(TTL_EXPR, "'PX', max(ttl, blocked - now, 1) + 3600000)");
})();

/** An adapter that runs {@link CLOCKED_SCRIPT} with `clock.now()` (floored) as the time. */
export function clockedAdapter(client: Redis, clock: ManualClock): RedisAdapter {
  const inner = ioredisAdapter(client);
  return {
    evalsha: (_sha, keys, args) => inner.eval(CLOCKED_SCRIPT, keys, [...args, Math.floor(clock.now())]),
    eval: (_script, keys, args) => inner.eval(CLOCKED_SCRIPT, keys, [...args, Math.floor(clock.now())]),
  };
}

/** Wraps an adapter to count the commands sent through it. */
export function countingAdapter(inner: RedisAdapter): RedisAdapter & { calls: number } {
  const counted = {
    calls: 0,
    evalsha: (sha: string, keys: readonly string[], args: readonly (string | number)[]) => {
      counted.calls++;
      return inner.evalsha(sha, keys, args);
    },
    eval: (script: string, keys: readonly string[], args: readonly (string | number)[]) => {
      counted.calls++;
      return inner.eval(script, keys, args);
    },
  };
  return counted;
}

export { ManualClock };
