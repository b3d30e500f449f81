import { InvalidArgumentError } from '@lattice/core';

/**
 * The two Redis commands the Redis store needs, so it works with any client. Adapters for
 * `ioredis` and `redis` (node-redis) are included; neither library is a dependency.
 */
export interface RedisAdapter {
  /** Runs `EVALSHA sha numkeys ...keys ...args` and resolves with the reply. */
  evalsha(sha: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
  /** Runs `EVAL script numkeys ...keys ...args` (which also caches the script on the server). */
  eval(script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

/** The part of an `ioredis` client (`Redis` or `Cluster`) the adapter uses. */
export interface IoredisLike {
  evalsha(sha: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
}

/** The part of a `redis` (node-redis v4+) client the adapter uses. */
export interface NodeRedisLike {
  sendCommand(args: string[]): Promise<unknown>;
}

/**
 * Adapter for an `ioredis` client.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * const store = new RedisStore({ adapter: ioredisAdapter(new Redis()) });
 * ```
 */
export function ioredisAdapter(client: IoredisLike): RedisAdapter {
  if (typeof client?.evalsha !== 'function' || typeof client.eval !== 'function') throw new InvalidArgumentError('Expected an ioredis client (evalsha and eval functions)');
  return {
    evalsha: (sha, keys, args) => client.evalsha(sha, keys.length, ...keys, ...args),
    eval: (script, keys, args) => client.eval(script, keys.length, ...keys, ...args),
  };
}

/**
 * Adapter for a `redis` (node-redis) client, through `sendCommand`.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * const client = await createClient({ url: 'redis://127.0.0.1:6379' }).connect();
 * const store = new RedisStore({ adapter: nodeRedisAdapter(client) });
 * ```
 */
export function nodeRedisAdapter(client: NodeRedisLike): RedisAdapter {
  if (typeof client?.sendCommand !== 'function') throw new InvalidArgumentError('Expected a redis (node-redis) client (a sendCommand function)');
  const command = (name: string, first: string, keys: readonly string[], args: readonly (string | number)[]): string[] => {
    const list = [name, first, String(keys.length)];
    for (const key of keys) list.push(key);
    for (const value of args) list.push(String(value));
    return list;
  };
  return {
    evalsha: (sha, keys, args) => client.sendCommand(command('EVALSHA', sha, keys, args)),
    eval: (script, keys, args) => client.sendCommand(command('EVAL', script, keys, args)),
  };
}

/** Picks the adapter for an `ioredis` or `redis` client by its shape; throws `InvalidArgumentError` for anything else. */
export function redisAdapter(client: unknown): RedisAdapter {
  const candidate = client as Partial<IoredisLike & NodeRedisLike> | null;
  if (candidate !== null && typeof candidate === 'object') {
    if (typeof candidate.evalsha === 'function' && typeof candidate.eval === 'function') return ioredisAdapter(candidate as IoredisLike);
    if (typeof candidate.sendCommand === 'function') return nodeRedisAdapter(candidate as NodeRedisLike);
  }
  throw new InvalidArgumentError('Expected an ioredis client, a redis (node-redis) client or a RedisAdapter');
}
