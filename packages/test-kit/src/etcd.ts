import { join } from 'node:path';
import { findServiceBinary } from './binaries.js';
import { etcdHealthy } from './probes.js';
import { type RunningService, assertServiceInstalled } from './service.js';
import { ServerProcess, freePorts, makeServiceDir, removeServiceDir, startOnFreePorts } from './server-process.js';

export interface EtcdOptions {
  /** More `etcd` flags, e.g. `['--snapshot-count', '1000']`. */
  readonly args?: readonly string[];
  readonly readyTimeoutMs?: number;
}

export interface EtcdService extends RunningService {
  readonly name: 'etcd';
  /** The client URL, `http://127.0.0.1:<clientPort>`. */
  readonly url: string;
  readonly memberName: string;
  readonly peerPort: number;
  readonly peerUrl: string;
}

export interface EtcdCluster {
  /** The temp dir holding every member's data; removed by `stop()`. */
  readonly dir: string;
  readonly members: readonly EtcdService[];
  /** Every member's client URL. */
  readonly endpoints: readonly string[];
  /** Stops every member and removes the cluster's dir. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

interface MemberPlan {
  name: string;
  clientPort: number;
  peerPort: number;
}

const peerUrl = (port: number): string => `http://127.0.0.1:${port}`;

async function startMembers(plans: readonly MemberPlan[], dir: string, options: EtcdOptions): Promise<EtcdService[]> {
  const binary = findServiceBinary('etcd')!;
  const initialCluster = plans.map((plan) => `${plan.name}=${peerUrl(plan.peerPort)}`).join(',');
  // A cluster needs its members up together to elect a leader, so they start (and get ready) in parallel.
  const started = await Promise.allSettled(
    plans.map((plan) =>
      ServerProcess.start({
        title: `etcd ${plan.name} on port ${plan.clientPort}`,
        command: binary,
        args: [
          '--name', plan.name,
          '--data-dir', join(dir, plan.name),
          '--listen-client-urls', peerUrl(plan.clientPort),
          '--advertise-client-urls', peerUrl(plan.clientPort),
          '--listen-peer-urls', peerUrl(plan.peerPort),
          '--initial-advertise-peer-urls', peerUrl(plan.peerPort),
          '--initial-cluster', initialCluster,
          '--initial-cluster-state', 'new',
          '--initial-cluster-token', `lattice-${plans[0]!.clientPort}`,
          ...(options.args ?? []),
        ],
        cwd: dir,
        ready: () => etcdHealthy(plan.clientPort),
        readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
      }),
    ),
  );
  const failed = started.find((result) => result.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(started.map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)));
    throw failed.reason;
  }
  return started.map((result, index) => {
    const server = (result as PromiseFulfilledResult<ServerProcess>).value;
    const plan = plans[index]!;
    const stop = (): Promise<void> => server.stop();
    return {
      name: 'etcd',
      memberName: plan.name,
      url: peerUrl(plan.clientPort),
      host: '127.0.0.1',
      port: plan.clientPort,
      peerPort: plan.peerPort,
      peerUrl: peerUrl(plan.peerPort),
      dir: join(dir, plan.name),
      stop,
      kill: () => server.kill(),
      [Symbol.asyncDispose]: stop,
    };
  });
}

/** Starts a private single-member etcd on free client and peer ports, ready once `/health` is true. */
export async function startEtcd(options: EtcdOptions = {}): Promise<EtcdService> {
  assertServiceInstalled('etcd');
  const dir = makeServiceDir('etcd');
  try {
    const [member] = await startOnFreePorts(3, async () => {
      const [clientPort, peerPort] = (await freePorts(2)) as [number, number];
      return startMembers([{ name: 'm1', clientPort, peerPort }], dir, options);
    });
    const stop = async (): Promise<void> => {
      await member!.stop();
      removeServiceDir(dir);
    };
    return { ...member!, dir, stop, [Symbol.asyncDispose]: stop };
  } catch (error) {
    removeServiceDir(dir);
    throw error;
  }
}

/**
 * Starts a private etcd cluster of `size` members (default 3) on loopback, ready once every
 * member reports healthy (a leader is elected). Members can be killed one by one.
 */
export async function startEtcdCluster(options: EtcdOptions & { readonly size?: number } = {}): Promise<EtcdCluster> {
  assertServiceInstalled('etcd');
  const size = options.size ?? 3;
  const dir = makeServiceDir('etcd-cluster');
  try {
    const members = await startOnFreePorts(3, async () => {
      const ports = await freePorts(2 * size);
      const plans = Array.from({ length: size }, (_, i) => ({ name: `m${i + 1}`, clientPort: ports[2 * i]!, peerPort: ports[2 * i + 1]! }));
      return startMembers(plans, dir, options);
    });
    const stop = async (): Promise<void> => {
      await Promise.all(members.map((member) => member.stop()));
      removeServiceDir(dir);
    };
    return { dir, members, endpoints: members.map((member) => member.url), stop, [Symbol.asyncDispose]: stop };
  } catch (error) {
    removeServiceDir(dir);
    throw error;
  }
}
