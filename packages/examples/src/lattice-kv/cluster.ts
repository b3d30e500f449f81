/**
 * Starts a 3-node lattice-kv cluster on loopback: one process per node, each with its own data
 * directory, and waits until a leader exists.
 *
 *   npm run kv -w @lattice/examples        # then: redis-cli -p <port>
 *   npm start -w @lattice/examples         # the same on ports 6380-6382, the cluster page on 7380-7382
 *   … -- --transport nats --nats-url nats://127.0.0.1:4222   # Raft over NATS instead of TCP
 *
 * Runs until Ctrl-C. `KvCluster.start` is what the demo and the tests use.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LatticeError, type LatticeErrorOptions, sleep, systemClock, systemTimers } from '@lattice/core';
import { freePort } from '@lattice/test-kit';
import { kvNodeFlagArgs } from './node-flags.js';

/** Thrown when a lattice-kv node process does not start, or the cluster elects no leader in time. */
export class KvClusterStartError extends LatticeError {
  static readonly code = 'ERR_KV_CLUSTER_START';
  override readonly name = 'KvClusterStartError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(KvClusterStartError.code, message, options);
  }
}

const nodeScript = fileURLToPath(new URL('./node.ts', import.meta.url));

/** One node process of the cluster. */
export interface KvClusterNode {
  readonly id: string;
  readonly dataDir: string;
  readonly respPort: number;
  /** The cluster page's port (when the cluster was started with `page`). */
  readonly httpPort: number | undefined;
  child: ChildProcess | undefined;
}

/** More options of {@link KvCluster.start}. */
export interface KvClusterOptions {
  /** Applied entries between snapshots (log compaction) on every node; default the node's 1,000. */
  snapshotEvery?: number;
  /** Serve the cluster page on every node. */
  page?: boolean;
  /** Ports to try first for the nodes' RESP listeners, in `ids` order; a taken one falls back to a free port (see `fallbacks`). */
  respPorts?: readonly number[];
  /** Likewise for the cluster page. */
  httpPorts?: readonly number[];
  /** Run Raft over NATS: the server's URL (and the cluster's name; default one unique to this cluster). */
  nats?: { url: string; cluster?: string };
  /** Node.js options for every node process, before its script (e.g. `['--cpu-prof', '--cpu-prof-dir=prof']`). */
  execArgv?: readonly string[];
}

/** Whether `port` on 127.0.0.1 can be listened on now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}


/** Sends one inline command over RESP and returns the raw reply line(s). */
export function respCommand(port: number, command: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let data = '';
    const timer = systemTimers.setTimeout(() => {
      socket.destroy();
      reject(new KvClusterStartError(`no reply to ${command} on port ${port}`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.endsWith('\r\n') && (!data.startsWith('$') || data.split('\r\n').length > 2)) {
        systemTimers.clearTimeout(timer);
        socket.end();
        resolve(data);
      }
    });
    socket.on('error', (error) => {
      systemTimers.clearTimeout(timer);
      reject(error);
    });
  });
}

/** A running cluster of node processes. */
export class KvCluster {
  readonly nodes = new Map<string, KvClusterNode>();
  /** The preferred ports that were taken, and what was used instead. */
  readonly fallbacks: string[] = [];
  readonly #root: string;
  readonly #peers: string;
  readonly #extraArgs: string[];
  readonly #execArgv: readonly string[];

  private constructor(root: string, peers: string, nodes: KvClusterNode[], extraArgs: string[], execArgv: readonly string[]) {
    this.#root = root;
    this.#peers = peers;
    this.#extraArgs = extraArgs;
    this.#execArgv = execArgv;
    for (const node of nodes) this.nodes.set(node.id, node);
  }

  /** Starts `ids.length` nodes and waits for a leader. */
  static async start(options: KvClusterOptions & { ids?: string[]; leaseReads?: boolean; dataRoot?: string; nemesis?: boolean } = {}): Promise<KvCluster> {
    const ids = options.ids ?? ['a', 'b', 'c'];
    const root = options.dataRoot ?? mkdtempSync(join(tmpdir(), 'lattice-kv-'));
    const raft: string[] = [];
    const nodes: KvClusterNode[] = [];
    const fallbacks: string[] = [];
    const pick = async (preferred: number | undefined, what: string): Promise<number> => {
      if (preferred === undefined) return freePort();
      if (await portFree(preferred)) return preferred;
      const port = await freePort();
      fallbacks.push(`port ${preferred} is taken: ${what} uses ${port} instead`);
      return port;
    };
    for (const [i, id] of ids.entries()) {
      raft.push(`${id}=127.0.0.1:${await freePort()}`);
      const respPort = await pick(options.respPorts?.[i], `node ${id}'s RESP listener`);
      const httpPort = options.page === true ? await pick(options.httpPorts?.[i], `node ${id}'s cluster page`) : undefined;
      nodes.push({ id, dataDir: join(root, id), respPort, httpPort, child: undefined });
    }
    const extraArgs = [...(options.leaseReads === true ? ['--lease-reads'] : []), ...(options.nemesis === true ? ['--nemesis'] : [])];
    const cluster = new KvCluster(root, raft.join(','), nodes, extraArgs, options.execArgv ?? []);
    cluster.fallbacks.push(...fallbacks);
    cluster.#extraArgs.push(
      ...kvNodeFlagArgs({
        ...(options.snapshotEvery === undefined ? {} : { snapshotEvery: options.snapshotEvery }),
        ...(options.page === true ? { httpPeers: Object.fromEntries(nodes.map((node) => [node.id, `127.0.0.1:${node.httpPort}`])) } : {}),
        // A cluster name of its own, so that clusters sharing a NATS server never hear each other.
        ...(options.nats === undefined ? {} : { nats: { url: options.nats.url, cluster: options.nats.cluster ?? root.split(/[\\/]/).at(-1)!.replace(/[^A-Za-z0-9_-]/g, '_') } }),
      }),
    );
    try {
      await Promise.all(ids.map((id) => cluster.startNode(id)));
      await cluster.waitForLeader();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** (Re)starts one node process on its data directory; resolves once it serves RESP. */
  startNode(id: string): Promise<void> {
    const node = this.nodes.get(id);
    if (node === undefined) return Promise.reject(new KvClusterStartError(`no node ${id}`));
    const child = spawn(process.execPath, [...this.#execArgv, '--conditions=@lattice/source', '--import', 'tsx', nodeScript, id, node.dataDir, String(node.respPort), this.#peers, ...this.#extraArgs, ...(node.httpPort === undefined ? [] : [`--http=${node.httpPort}`])], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    node.child = child;
    return new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = systemTimers.setTimeout(() => reject(new KvClusterStartError(`node ${id} did not start within 20 s`)), 20_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes(`ready ${id}`)) {
          systemTimers.clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        systemTimers.clearTimeout(timer);
        if (node.child === child) node.child = undefined;
        reject(new KvClusterStartError(`node ${id} exited (${signal ?? code})`));
      });
    });
  }

  /** SIGKILLs one node process (no clean shutdown: what a crash looks like). */
  kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.nodes.get(id)?.child;
    if (child === undefined || child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  /** The `# Raft` and other `field:value` lines of a node's INFO. */
  async info(id: string, timeoutMs = 1000): Promise<Record<string, string>> {
    const node = this.nodes.get(id);
    if (node === undefined) throw new KvClusterStartError(`no node ${id}`);
    const fields: Record<string, string> = {};
    for (const line of (await respCommand(node.respPort, 'INFO', timeoutMs)).split('\r\n')) {
      const at = line.indexOf(':');
      if (at > 0 && !line.startsWith('$')) fields[line.slice(0, at)] = line.slice(at + 1);
    }
    return fields;
  }

  /** The leader's id as the live nodes see it, once one exists and they agree. */
  async waitForLeader(timeoutMs = 15_000, except?: string): Promise<string> {
    const deadline = systemClock.monotonic() + timeoutMs;
    while (systemClock.monotonic() < deadline) {
      const leaders = new Set<string>();
      for (const node of this.nodes.values()) {
        if (node.child === undefined || node.id === except) continue;
        try {
          const info = await respCommand(node.respPort, 'INFO', 1000);
          const leader = /raft_leader:(\S*)/.exec(info)?.[1] ?? '';
          leaders.add(leader);
        } catch {
          leaders.add('');
        }
      }
      const [leader] = [...leaders];
      if (leaders.size === 1 && leader !== undefined && leader !== '' && leader !== except) return leader;
      await sleep(systemTimers, 100);
    }
    throw new KvClusterStartError(`no leader within ${timeoutMs} ms`);
  }

  /** Stops every node (SIGTERM, then SIGKILL) and removes the data directories. */
  async stop(options: { keepData?: boolean } = {}): Promise<void> {
    await Promise.all(
      [...this.nodes.values()].map(async (node) => {
        const child = node.child;
        if (child === undefined || child.exitCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = systemTimers.setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        systemTimers.clearTimeout(timer);
      }),
    );
    if (options.keepData !== true) rmSync(this.#root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'page-port': { type: 'string' },
      transport: { type: 'string', default: 'tcp' },
      'nats-url': { type: 'string', default: 'nats://127.0.0.1:4222' },
      'lease-reads': { type: 'boolean', default: false },
      'snapshot-every': { type: 'string' },
    },
  });
  if (values.transport !== 'tcp' && values.transport !== 'nats') throw new KvClusterStartError(`--transport takes tcp or nats, got ${values.transport}`);
  const base = (text: string | undefined, flag: string): number[] | undefined => {
    if (text === undefined) return undefined;
    const port = Number(text);
    if (!Number.isInteger(port) || port < 1 || port > 65533) throw new KvClusterStartError(`${flag} takes a port number, got ${text}`);
    return [port, port + 1, port + 2];
  };
  const respPorts = base(values.port, '--port');
  const httpPorts = base(values['page-port'], '--page-port') ?? respPorts?.map((port) => port + 1000);
  const snapshotEvery = values['snapshot-every'] === undefined ? undefined : Number(values['snapshot-every']);
  const cluster = await KvCluster.start({
    leaseReads: values['lease-reads'],
    page: true,
    ...(respPorts === undefined ? {} : { respPorts }),
    ...(httpPorts === undefined ? {} : { httpPorts }),
    ...(snapshotEvery === undefined ? {} : { snapshotEvery }),
    ...(values.transport === 'nats' ? { nats: { url: values['nats-url'], cluster: 'lattice-kv' } } : {}),
  });
  const leader = await cluster.waitForLeader();
  const over = values.transport === 'nats' ? `Raft over NATS at ${values['nats-url']}` : 'Raft over TCP';
  console.log(`lattice-kv: 3 nodes, each a process with its own fsync'd write-ahead log, ${over}`);
  for (const line of cluster.fallbacks) console.log(`  (${line})`);
  for (const node of cluster.nodes.values()) console.log(`  node ${node.id}: redis-cli -p ${node.respPort}${node.id === leader ? '   (leader)' : ''}`);
  const first = [...cluster.nodes.values()][0]!;
  console.log(`Cluster page: http://127.0.0.1:${first.httpPort}/ (every node serves it: ${[...cluster.nodes.values()].map((node) => node.httpPort).join(', ')})`);
  console.log('Ctrl-C stops the cluster and removes its data.');
  const stop = () => {
    cluster.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
