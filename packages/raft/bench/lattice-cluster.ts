/**
 * Three `kv-node.ts` processes on loopback and a pipelined client to the leader. Each process
 * is the leader of its own process group, so stopping kills it and everything it started.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@lattice/test-kit';
import { type Frame, FrameReader, Op, Status, writeRequest } from './kv-protocol.js';

const nodeScript = fileURLToPath(new URL('./kv-node.ts', import.meta.url));
const ids = ['a', 'b', 'c'];

interface NodeProcess {
  readonly id: string;
  readonly clientPort: number;
  child: ChildProcess | undefined;
}

/** One pipelined connection: requests go out at once, answers are matched by id. */
export class KvClient {
  readonly #socket: Socket;
  readonly #waiting = new Map<number, { resolve: (frame: Frame) => void; reject: (error: Error) => void }>();
  #nextId = 1;

  private constructor(socket: Socket) {
    this.#socket = socket;
    const reader = new FrameReader(true);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of reader.push(chunk)) {
        const waiter = this.#waiting.get(frame.id);
        if (waiter === undefined) continue;
        this.#waiting.delete(frame.id);
        if (frame.op === Status.Ok) waiter.resolve(frame);
        else waiter.reject(new Error(Buffer.from(frame.body).toString()));
      }
    });
    const failAll = (error: Error) => {
      for (const waiter of this.#waiting.values()) waiter.reject(error);
      this.#waiting.clear();
    };
    socket.on('error', failAll);
    socket.on('close', () => failAll(new Error('connection closed')));
  }

  static open(port: number): Promise<KvClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(new KvClient(socket)));
      socket.once('error', reject);
    });
  }

  #call(op: number, body: Uint8Array): Promise<Frame> {
    const id = this.#nextId;
    this.#nextId = (this.#nextId + 1) >>> 0;
    return new Promise<Frame>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      writeRequest(this.#socket, id, op, body);
    });
  }

  /** Resolves with the entry's index once the put is applied at the node. */
  async put(command: Uint8Array): Promise<number> {
    return (await this.#call(Op.Put, command)).index;
  }

  /** The node's role and leader, as it sees them. */
  async status(): Promise<{ role: string; leader: string }> {
    const frame = await this.#call(Op.Status, new Uint8Array(0));
    return JSON.parse(Buffer.from(frame.body).toString()) as { role: string; leader: string };
  }

  close(): void {
    this.#socket.destroy();
  }
}

export class LatticeCluster {
  readonly #nodes: NodeProcess[];
  readonly #peers: string;
  readonly #root: string;
  readonly #nodeArgs: readonly string[];

  private constructor(nodes: NodeProcess[], peers: string, root: string, nodeArgs: readonly string[]) {
    this.#nodes = nodes;
    this.#peers = peers;
    this.#root = root;
    this.#nodeArgs = nodeArgs;
  }

  /** Starts three nodes with WALs under `root`; `nodeArgs` are extra `node` flags (e.g. `--cpu-prof`). */
  static async start(root: string, nodeArgs: readonly string[] = []): Promise<LatticeCluster> {
    const nodes: NodeProcess[] = [];
    const peers: string[] = [];
    for (const id of ids) {
      peers.push(`${id}=127.0.0.1:${await freePort()}`);
      nodes.push({ id, clientPort: await freePort(), child: undefined });
    }
    const cluster = new LatticeCluster(nodes, peers.join(','), root, nodeArgs);
    try {
      await Promise.all(nodes.map((node) => cluster.#spawn(node)));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  #spawn(node: NodeProcess): Promise<void> {
    const dir = join(this.#root, node.id);
    mkdirSync(dir, { recursive: true });
    const child = spawn(
      process.execPath,
      [...this.#nodeArgs, '--conditions=@lattice/source', '--import', 'tsx', nodeScript, node.id, dir, String(node.clientPort), this.#peers],
      { stdio: ['ignore', 'pipe', 'inherit'], detached: true },
    );
    node.child = child;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${node.id} did not start`)), 30_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes(`ready ${node.id}`)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (node.child === child) node.child = undefined;
        reject(new Error(`node ${node.id} exited with ${code}`));
      });
    });
  }

  /** Process ids of the running nodes. */
  get pids(): number[] {
    return this.#nodes.flatMap((node) => (node.child?.pid === undefined ? [] : [node.child.pid]));
  }

  /** Waits for a leader and opens a client to it (as etcd's client is pointed at etcd's leader). */
  async leaderClient(timeoutMs = 20_000): Promise<{ client: KvClient; leader: string; port: number }> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const node of this.#nodes) {
        const client = await KvClient.open(node.clientPort);
        const status = await client.status();
        if (status.role === 'leader') return { client, leader: node.id, port: node.clientPort };
        client.close();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('no Raft leader elected');
  }

  /** SIGTERM to every node's process group (they exit cleanly, writing any CPU profile), SIGKILL after 5 s. */
  async stop(): Promise<void> {
    await Promise.all(
      this.#nodes.map(async (node) => {
        const child = node.child;
        if (child?.pid === undefined || child.exitCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        signalGroup(child.pid, 'SIGTERM');
        const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
        signalGroup(child.pid, 'SIGKILL'); // anything the node left behind in its group
      }),
    );
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}
