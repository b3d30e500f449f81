import { findServiceBinary } from './binaries.js';
import { redisPing } from './probes.js';
import { type RunningService, assertServiceInstalled } from './service.js';
import { ServerProcess, freePort, makeServiceDir, removeServiceDir, startOnFreePorts } from './server-process.js';

export interface RedisOptions {
  /** Turn on the append-only file (default off: `--appendonly no`, `--save ''`). */
  readonly appendonly?: boolean;
  /** With `appendonly`, how often the AOF is fsynced (Redis's default: `everysec`). */
  readonly appendfsync?: 'always' | 'everysec' | 'no';
  /** More `redis-server` arguments, e.g. `['--maxmemory', '64mb']`. */
  readonly args?: readonly string[];
  readonly readyTimeoutMs?: number;
  /**
   * Listen on this port instead of a free one: how a test restarts Redis where its clients
   * reconnect (kill the first server, then start another on the same port).
   */
  readonly port?: number;
}

export interface RedisService extends RunningService {
  readonly name: 'redis';
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
}

/**
 * Starts a private `redis-server` on a free loopback port with its own data dir: no snapshots and
 * no AOF unless asked for, ready once it answers `PING`.
 */
export async function startRedis(options: RedisOptions = {}): Promise<RedisService> {
  assertServiceInstalled('redis');
  const binary = findServiceBinary('redis')!;
  const dir = makeServiceDir('redis');
  try {
    return await startOnFreePorts(options.port === undefined ? 3 : 1, async () => {
      const port = options.port ?? (await freePort());
      const persistence = options.appendonly === true ? ['--appendonly', 'yes', '--appendfsync', options.appendfsync ?? 'everysec'] : ['--appendonly', 'no'];
      const server = await ServerProcess.start({
        title: `redis-server on port ${port}`,
        command: binary,
        args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persistence, ...(options.args ?? [])],
        cwd: dir,
        ready: () => redisPing(port),
        readyTimeoutMs: options.readyTimeoutMs,
      });
      const stop = async (): Promise<void> => {
        await server.stop();
        removeServiceDir(dir);
      };
      return { name: 'redis', url: `redis://127.0.0.1:${port}`, host: '127.0.0.1', port, dir, stop, kill: () => server.kill(), [Symbol.asyncDispose]: stop };
    });
  } catch (error) {
    removeServiceDir(dir);
    throw error;
  }
}
