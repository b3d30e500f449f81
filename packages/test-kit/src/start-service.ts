import type { ServiceName } from './binaries.js';
import { type EtcdOptions, type EtcdService, startEtcd } from './etcd.js';
import { type NatsOptions, type NatsService, startNats } from './nats.js';
import { type PostgresOptions, type PostgresService, startPostgres } from './postgres.js';
import { type RedisOptions, type RedisService, startRedis } from './redis.js';

/** Options and handle of each service, by name. */
export interface ServiceTypes {
  redis: { options: RedisOptions; service: RedisService };
  postgres: { options: PostgresOptions; service: PostgresService };
  etcd: { options: EtcdOptions; service: EtcdService };
  nats: { options: NatsOptions; service: NatsService };
}

/**
 * Starts a private instance of a service on a free loopback port in a temp dir and resolves
 * once it answers over its protocol. Throws `ServiceUnavailableError` (with the install line)
 * when the server is not installed, `ServiceStartError` when it does not start.
 *
 * @example
 * ```ts
 * const redis = await startService('redis');
 * try { … new Redis(redis.url) … } finally { await redis.stop(); }
 * ```
 */
export function startService<N extends ServiceName>(name: N, options?: ServiceTypes[N]['options']): Promise<ServiceTypes[N]['service']> {
  const starters: { [K in ServiceName]: (options?: ServiceTypes[K]['options']) => Promise<ServiceTypes[K]['service']> } = {
    redis: startRedis,
    postgres: startPostgres,
    etcd: startEtcd,
    nats: startNats,
  };
  return (starters[name] as (options?: ServiceTypes[N]['options']) => Promise<ServiceTypes[N]['service']>)(options);
}
