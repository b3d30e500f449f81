/**
 * Test support for Lattice's packages: private instances of the real services the tests use
 * (Redis, PostgreSQL 15, etcd 3.4, NATS), found on the machine and started on free loopback
 * ports in temp dirs; and the runner that executes every README example and compares what it
 * prints with the README. The vitest helpers are at `@lattice/test-kit/vitest`.
 *
 * @packageDocumentation
 */
export {
  findServiceBinary,
  findServiceDir,
  isServiceName,
  SERVICE_NAMES,
  type ServiceName,
  serviceInstallHint,
  serviceMissing,
  servicesRequired,
  serviceTitle,
} from './binaries.js';
export { ServiceStartError, ServiceUnavailableError } from './errors.js';
export { type EtcdCluster, type EtcdOptions, type EtcdService, startEtcd, startEtcdCluster } from './etcd.js';
export { type NatsCluster, type NatsOptions, type NatsService, startNats, startNatsCluster } from './nats.js';
export { type PostgresOptions, type PostgresService, startPostgres } from './postgres.js';
export { etcdHealthy, httpGet, natsInfo, redisPing, run, tcpExchange } from './probes.js';
export { type RedisOptions, type RedisService, startRedis } from './redis.js';
export { CHROMIUM_ARGS, chromiumSkipReason, findChromium } from './chromium.js';
export { codeOf } from './code-of.js';
export { untypedThrows, WRONG_ARGUMENTS } from './wrong-calls.js';
export { freePort } from './server-process.js';
export type { RunningService } from './service.js';
export { type ServiceTypes, startService } from './start-service.js';
export { ReadmeFormatError } from './errors.js';
export { type BlockRun, extractReadmeBlocks, normalizeOutput, type ReadmeBlock, type RunBlockOptions, runReadmeBlock, SERVICE_ENV } from './readme.js';
