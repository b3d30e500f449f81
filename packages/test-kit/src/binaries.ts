import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The real services Lattice's tests can start. */
export type ServiceName = 'redis' | 'postgres' | 'etcd' | 'nats';

interface ServiceBinaries {
  /** What the server is called in messages. */
  readonly title: string;
  /** The executable that must be found; the others are looked up beside it. */
  readonly binary: string;
  /** Directories searched after PATH (distributions that keep a server off PATH). */
  readonly extraDirs: readonly string[];
  /** The Debian/Ubuntu package. */
  readonly apt: string;
  /** The Homebrew formula. */
  readonly brew: string;
}

// PostgreSQL: Debian keeps each major's binaries in /usr/lib/postgresql/<major>/bin, off PATH.
const SERVICES: Readonly<Record<ServiceName, ServiceBinaries>> = {
  redis: {
    title: 'Redis',
    binary: 'redis-server',
    extraDirs: [],
    apt: 'redis-server',
    brew: 'redis',
  },
  postgres: {
    title: 'PostgreSQL 15',
    binary: 'initdb',
    extraDirs: ['/usr/lib/postgresql/15/bin', '/usr/pgsql-15/bin', '/opt/homebrew/opt/postgresql@15/bin', '/usr/local/opt/postgresql@15/bin'],
    apt: 'postgresql-15',
    brew: 'postgresql@15',
  },
  etcd: {
    title: 'etcd 3.4',
    binary: 'etcd',
    extraDirs: [],
    apt: 'etcd-server',
    brew: 'etcd',
  },
  nats: {
    title: 'NATS',
    binary: 'nats-server',
    extraDirs: [],
    apt: 'nats-server',
    brew: 'nats-server',
  },
};

/** Every service name, in a stable order. */
export const SERVICE_NAMES: readonly ServiceName[] = Object.freeze(Object.keys(SERVICES) as ServiceName[]);

/** Is `name` one of the services? */
export function isServiceName(name: string): name is ServiceName {
  return Object.hasOwn(SERVICES, name);
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function searchDirs(service: ServiceBinaries, env: NodeJS.ProcessEnv): string[] {
  const path = (env['PATH'] ?? '').split(delimiter).filter((dir) => dir !== '');
  // sbin is off PATH for non-root users on Debian, and nats-server installs there.
  return [...path, ...service.extraDirs, '/usr/sbin', '/usr/local/sbin'];
}

/**
 * The directory holding the service's server binary, or undefined when it is not installed.
 * PostgreSQL's binaries (`initdb`, `postgres`, `pg_isready`) are all taken from that directory,
 * so a PATH holding another major's client tools cannot mix versions.
 */
export function findServiceDir(name: ServiceName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const service = SERVICES[name];
  const dirs = name === 'postgres' ? [...service.extraDirs, ...searchDirs(service, env)] : searchDirs(service, env);
  return dirs.find((dir) => executable(join(dir, service.binary)));
}

/** Absolute path of `program` in the service's directory (see {@link findServiceDir}), or undefined. */
export function findServiceBinary(name: ServiceName, program: string = SERVICES[name].binary, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = findServiceDir(name, env);
  if (dir === undefined) return undefined;
  const path = join(dir, program);
  return executable(path) ? path : undefined;
}

/** The human name of a service ("PostgreSQL 15"). */
export function serviceTitle(name: ServiceName): string {
  return SERVICES[name].title;
}

/** The install command for a service, as shown to users. */
export function serviceInstallHint(name: ServiceName): string {
  const service = SERVICES[name];
  return `\`sudo apt-get install ${service.apt}\` (macOS: \`brew install ${service.brew}\`)`;
}

/**
 * One line saying why the service's tests cannot run here and what to install, or undefined
 * when its server is installed.
 */
export function serviceMissing(name: ServiceName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (findServiceDir(name, env) !== undefined) return undefined;
  const service = SERVICES[name];
  return `${service.title} is not installed (no ${service.binary} found): install it with ${serviceInstallHint(name)}`;
}

/**
 * Whether an absent service is a failure rather than a skip: under CI (`CI` set to anything but
 * `false`/`0`) or with `LATTICE_REQUIRE_SERVICES=1`.
 */
export function servicesRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env['CI'];
  if (ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0') return true;
  return env['LATTICE_REQUIRE_SERVICES'] === '1';
}
