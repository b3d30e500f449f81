import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep, systemClock, systemTimers } from '@lattice/core';
import { findServiceBinary } from './binaries.js';
import { ServiceStartError } from './errors.js';
import { httpGet, natsInfo } from './probes.js';
import { type RunningService, assertServiceInstalled } from './service.js';
import { ServerProcess, freePorts, makeServiceDir, removeServiceDir, startOnFreePorts } from './server-process.js';

export interface NatsOptions {
  /** More `nats-server` flags, e.g. `['--jetstream']`. */
  readonly args?: readonly string[];
  readonly readyTimeoutMs?: number;
  /** The largest message payload the server accepts (`max_payload`, a config-file setting); default the server's 1 MiB. */
  readonly maxPayload?: number;
  /** Client port of a single server (`startNats`), e.g. to restart one on the port its clients reconnect to; default a free port. */
  readonly port?: number;
}

export interface NatsService extends RunningService {
  readonly name: 'nats';
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  /** The HTTP monitoring port (`/varz`, `/routez`). */
  readonly monitorPort: number;
}

export interface NatsCluster {
  /** The temp dir holding every member's data; removed by `stop()`. */
  readonly dir: string;
  readonly servers: readonly NatsService[];
  /** Every server's client URL. */
  readonly urls: readonly string[];
  /** Stops every server and removes the cluster's dir. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

interface ServerPlan {
  name: string;
  port: number;
  monitorPort: number;
  clusterPort?: number;
}

async function startServer(plan: ServerPlan, routes: readonly number[], dir: string, options: NatsOptions): Promise<NatsService> {
  const binary = findServiceBinary('nats')!;
  const serverDir = join(dir, plan.name);
  mkdirSync(serverDir, { recursive: true });
  const config: string[] = [];
  if (options.maxPayload !== undefined) {
    const file = join(serverDir, 'nats.conf');
    writeFileSync(file, `max_payload: ${options.maxPayload}\n`);
    config.push('-c', file);
  }
  const cluster =
    plan.clusterPort === undefined
      ? []
      : ['--cluster_name', 'lattice', '--cluster', `nats://127.0.0.1:${plan.clusterPort}`, '--routes', routes.map((port) => `nats://127.0.0.1:${port}`).join(',')];
  const server = await ServerProcess.start({
    title: `nats-server ${plan.name} on port ${plan.port}`,
    command: binary,
    args: ['--name', plan.name, '-a', '127.0.0.1', '-p', String(plan.port), '-m', String(plan.monitorPort), '--pid', join(serverDir, 'nats.pid'), ...config, ...cluster, ...(options.args ?? [])],
    cwd: serverDir,
    ready: async () => typeof (await natsInfo(plan.port))['server_id'] === 'string',
    readyTimeoutMs: options.readyTimeoutMs,
  });
  const stop = (): Promise<void> => server.stop();
  return {
    name: 'nats',
    url: `nats://127.0.0.1:${plan.port}`,
    host: '127.0.0.1',
    port: plan.port,
    monitorPort: plan.monitorPort,
    dir: serverDir,
    stop,
    kill: () => server.kill(),
    [Symbol.asyncDispose]: stop,
  };
}

/** Starts a private `nats-server` on a free loopback port, ready once it sends its INFO line. */
export async function startNats(options: NatsOptions = {}): Promise<NatsService> {
  assertServiceInstalled('nats');
  const dir = makeServiceDir('nats');
  try {
    const server = await startOnFreePorts(3, async () => {
      const [freePort, monitorPort] = (await freePorts(2)) as [number, number];
      return startServer({ name: 'n1', port: options.port ?? freePort, monitorPort }, [], dir, options);
    });
    const stop = async (): Promise<void> => {
      await server.stop();
      removeServiceDir(dir);
    };
    return { ...server, dir, stop, [Symbol.asyncDispose]: stop };
  } catch (error) {
    removeServiceDir(dir);
    throw error;
  }
}

async function routeCount(monitorPort: number): Promise<number> {
  const { body } = await httpGet(monitorPort, '/routez');
  return (JSON.parse(body) as { num_routes?: number }).num_routes ?? 0;
}

/**
 * Starts `size` (default 3) `nats-server`s routed into one cluster on loopback; ready once every
 * server has a route to every other (so a message published on one reaches subscribers on all).
 */
export async function startNatsCluster(options: NatsOptions & { readonly size?: number } = {}): Promise<NatsCluster> {
  assertServiceInstalled('nats');
  const size = options.size ?? 3;
  const dir = makeServiceDir('nats-cluster');
  const servers: NatsService[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.stop()));
  };
  try {
    const ports = await freePorts(3 * size);
    const plans = Array.from({ length: size }, (_, i) => ({ name: `n${i + 1}`, port: ports[3 * i]!, monitorPort: ports[3 * i + 1]!, clusterPort: ports[3 * i + 2]! }));
    for (const plan of plans) {
      const routes = plans.filter((other) => other !== plan).map((other) => other.clusterPort);
      servers.push(await startServer(plan, routes, dir, options));
    }
    const timeoutMs = options.readyTimeoutMs ?? 20_000;
    const deadline = systemClock.monotonic() + timeoutMs;
    for (const server of servers) {
      while ((await routeCount(server.monitorPort).catch(() => 0)) < size - 1) {
        if (systemClock.monotonic() > deadline) throw new ServiceStartError(`NATS cluster: ${server.url} has no route to every other server within ${timeoutMs} ms`);
        await sleep(systemTimers, 50);
      }
    }
    const stop = async (): Promise<void> => {
      await stopAll();
      removeServiceDir(dir);
    };
    return { dir, servers, urls: servers.map((server) => server.url), stop, [Symbol.asyncDispose]: stop };
  } catch (error) {
    await stopAll();
    removeServiceDir(dir);
    throw error;
  }
}
