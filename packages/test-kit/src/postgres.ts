import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { findServiceBinary } from './binaries.js';
import { ServiceStartError } from './errors.js';
import { run } from './probes.js';
import { type RunningService, assertServiceInstalled } from './service.js';
import { sleep, systemClock, systemTimers } from '@lattice/core';
import { asUser, childProcesses, type RunAs, ServerProcess, freePort, makeServiceDir, processRunning, removeServiceDir, startOnFreePorts } from './server-process.js';

export interface PostgresOptions {
  /** `max_prepared_transactions` (two-phase commit needs it above 0); default 64. */
  readonly maxPreparedTransactions?: number;
  /** More server settings, passed as `-c name=value`. */
  readonly settings?: Readonly<Record<string, string | number>>;
  readonly readyTimeoutMs?: number;
}

export interface PostgresService extends RunningService {
  readonly name: 'postgres';
  /** `postgresql://postgres@127.0.0.1:<port>/postgres` (trust authentication on loopback). */
  readonly url: string;
  readonly connectionString: string;
  readonly user: string;
  readonly database: string;
  /** The directory holding the server's unix socket (inside `dir`). */
  readonly socketDir: string;
  /**
   * Starts the server again on the same data dir and port, e.g. after `kill()` (it then runs
   * crash recovery, as after a power loss); kills it first if it is still running. Resolves once
   * `pg_isready` says so.
   */
  restart(): Promise<void>;
}

const SUPERUSER = 'postgres';

/** PostgreSQL refuses to run as root: then it runs as the `postgres` system user. */
function postgresRunAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number => Number(execFileSync('/usr/bin/id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { user: 'postgres', uid: id('-u'), gid: id('-g') };
  } catch (error) {
    throw new ServiceStartError('PostgreSQL cannot run as root and there is no `postgres` system user to run it as', { cause: error });
  }
}

function postmasterPid(data: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A killed postmaster's lock files (the data dir's and the unix socket's), when their owner is
 * gone or a zombie nobody reaps, would refuse the restart; a live owner's are left to refuse it.
 */
function removeStaleLockFiles(...locks: string[]): void {
  for (const lock of locks) {
    let owner: number;
    try {
      owner = Number(readFileSync(lock, 'utf8').split('\n')[0]);
    } catch {
      continue; // no lock file
    }
    if (Number.isSafeInteger(owner) && owner > 0 && processRunning(owner)) continue;
    rmSync(lock, { force: true });
  }
}

/**
 * Starts a private PostgreSQL 15: `initdb` in a temp dir, a free loopback port, the unix socket
 * in the temp dir, `fsync=on`, `max_prepared_transactions` 64, trust authentication. Ready once
 * `pg_isready` says so.
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresService> {
  assertServiceInstalled('postgres');
  const initdb = findServiceBinary('postgres', 'initdb')!;
  const postgres = findServiceBinary('postgres', 'postgres');
  const pgIsReady = findServiceBinary('postgres', 'pg_isready');
  if (postgres === undefined || pgIsReady === undefined) {
    throw new ServiceStartError(`initdb was found at ${initdb} but not postgres and pg_isready beside it`);
  }
  const runAs = postgresRunAs();
  const dir = makeServiceDir('postgres', runAs);
  const data = join(dir, 'data');
  try {
    const [command, args] = asUser(runAs, initdb, ['-D', data, '-U', SUPERUSER, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync']);
    const init = spawnSync(command, args, { cwd: dir, encoding: 'utf8' });
    if (init.status !== 0) throw new ServiceStartError(`initdb failed (${init.status ?? init.error?.message}):\n${init.stdout}${init.stderr}`);
    const settings: Record<string, string | number> = {
      fsync: 'on',
      max_prepared_transactions: options.maxPreparedTransactions ?? 64,
      listen_addresses: '127.0.0.1',
      unix_socket_directories: dir,
      ...options.settings,
    };
    return await startOnFreePorts(3, async () => {
      const port = await freePort();
      const launch = (): Promise<ServerProcess> => ServerProcess.start({
        title: `postgres on port ${port}`,
        command: postgres,
        args: ['-D', data, '-p', String(port), ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])],
        cwd: dir,
        runAs,
        // Fast shutdown: SIGTERM would wait for every client to disconnect.
        stopSignal: 'SIGINT',
        ready: async () => (await run(pgIsReady, ['-h', '127.0.0.1', '-p', String(port), '-U', SUPERUSER, '-d', 'postgres', '-t', '1'])).code === 0,
        readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
      });
      let server = await launch();
      const url = `postgresql://${SUPERUSER}@127.0.0.1:${port}/postgres`;
      // Each backend makes itself a process group leader, so killing the server's group leaves
      // them to notice the postmaster's death on their own; a crash takes them all at once.
      const kill = async (): Promise<void> => {
        const postmaster = postmasterPid(data);
        const backends = postmaster === undefined ? [] : childProcesses(postmaster);
        await server.kill();
        for (const pid of backends) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone already
          }
        }
        const deadline = systemClock.monotonic() + 10_000;
        while (backends.some(processRunning) && systemClock.monotonic() < deadline) await sleep(systemTimers, 10);
      };
      const stop = async (): Promise<void> => {
        await server.stop();
        removeServiceDir(dir);
      };
      return {
        name: 'postgres',
        url,
        connectionString: url,
        user: SUPERUSER,
        database: 'postgres',
        host: '127.0.0.1',
        port,
        dir,
        socketDir: dir,
        stop,
        kill,
        restart: async (): Promise<void> => {
          await kill();
          removeStaleLockFiles(join(data, 'postmaster.pid'), join(dir, `.s.PGSQL.${port}.lock`));
          server = await launch();
        },
        [Symbol.asyncDispose]: stop,
      };
    });
  } catch (error) {
    removeServiceDir(dir);
    throw error;
  }
}
