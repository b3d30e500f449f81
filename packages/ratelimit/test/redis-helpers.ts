import { createHash } from 'node:crypto';
import { ManualClock } from '@lattice/core/testing';
import { Redis } from 'ioredis';
import { type RedisAdapter, ioredisAdapter } from '../src/index.js';
import { RATE_LIMIT_SCRIPT } from '../src/lua.js';

/** An ioredis client of the test's redis-server (`describeWithService('redis', …)` gives the URL). */
export function connectIoredis(url: string): Redis {
  return new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
}

const TIME_LINES = `local clock = redis.call('TIME')
local now = clock[1] * 1000 + math.floor(clock[2] / 1000)`;

const TTL_EXPR = "'PXAT', at)";

/**
 * A production script with its two `TIME` lines swapped for "now from the last argument", so a
 * test can drive the Lua port with a ManualClock and compare it with the JavaScript. Redis
 * expires keys in real time, which does not follow the ManualClock, so keys get an hour more
 * (expiry only bounds memory: a state past its expiry decides exactly like a fresh one).
 */
export function clockedScript(script: string): string {
  if (!script.includes(TIME_LINES) || !script.includes(TTL_EXPR)) {
    throw new Error('The script no longer reads TIME or sets PXAT the expected way; update clockedScript');
  }
  return script.replace(TIME_LINES, 'local now = tonumber(ARGV[#ARGV])').replace(TTL_EXPR, "'PX', 3600000)");
}

/** The clocked version of the script with every algorithm. */
export const CLOCKED_SCRIPT = clockedScript(RATE_LIMIT_SCRIPT);

/**
 * An adapter that runs whatever script the store sends, clocked (see {@link clockedScript}) with
 * `clock.now()` (floored) as the time. It learns scripts from `EVAL` (answering `NOSCRIPT` to an
 * unknown SHA, as Redis would), so the store's per-algorithm scripts are the ones tested.
 */
export function clockedAdapter(client: Redis, clock: ManualClock): RedisAdapter {
  const inner = ioredisAdapter(client);
  const known = new Map<string, string>();
  return {
    evalsha: (sha, keys, args) => {
      const script = known.get(sha);
      if (script === undefined) return Promise.reject(new Error('NOSCRIPT No matching script (clocked adapter)'));
      return inner.eval(script, keys, [...args, Math.floor(clock.now())]);
    },
    eval: (script, keys, args) => {
      const clocked = clockedScript(script);
      known.set(createHash('sha1').update(script).digest('hex'), clocked);
      return inner.eval(clocked, keys, [...args, Math.floor(clock.now())]);
    },
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
