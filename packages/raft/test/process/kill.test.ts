/**
 * Three Raft KV nodes as real processes over TCP on loopback, each with an fsync'd WAL. Clients
 * append and read while the leader (and sometimes another node) is SIGKILLed and restarted,
 * round after round. Afterwards: no acknowledged append is lost, and the clients' history is
 * linearizable (@lattice/linearizability's kv model).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, type KvInput, kvModel, type Operation, partitionByKey } from '@lattice/linearizability';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '@lattice/test-kit';

const ROUNDS = Number(process.env.RAFT_KILL_ROUNDS ?? 10);
const server = fileURLToPath(new URL('./kv-server.ts', import.meta.url));
const ids = ['a', 'b', 'c'];


const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Node {
  id: string;
  dir: string;
  http: number;
  child: ChildProcess | undefined;
}

class Cluster {
  readonly nodes = new Map<string, Node>();
  peers = '';
  readonly root = mkdtempSync(join(tmpdir(), 'raft-kill-'));

  async init(): Promise<void> {
    const tcp: string[] = [];
    for (const id of ids) {
      tcp.push(`${id}=127.0.0.1:${await freePort()}`);
      this.nodes.set(id, { id, dir: join(this.root, id), http: await freePort(), child: undefined });
    }
    this.peers = tcp.join(',');
    await Promise.all(ids.map((id) => this.start(id)));
  }

  start(id: string): Promise<void> {
    const node = this.nodes.get(id)!;
    const child = spawn(process.execPath, ['--conditions=@lattice/source', '--import', 'tsx', server, id, node.dir, String(node.http), this.peers], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    node.child = child;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${id} did not start`)), 20_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes(`ready ${id}`)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (node.child === child) node.child = undefined;
        reject(new Error(`${id} exited with ${code}`));
      });
    });
  }

  kill(id: string): Promise<void> {
    const child = this.nodes.get(id)!.child;
    if (child === undefined) return Promise.resolve();
    this.nodes.get(id)!.child = undefined;
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async leader(): Promise<string | undefined> {
    for (const node of this.nodes.values()) {
      if (node.child === undefined) continue;
      try {
        const response = await fetch(`http://127.0.0.1:${node.http}/status`, { signal: AbortSignal.timeout(500) });
        const status = (await response.json()) as { role: string };
        if (status.role === 'leader') return node.id;
      } catch {
        // down or busy
      }
    }
    return undefined;
  }

  async close(): Promise<void> {
    await Promise.all(ids.map((id) => this.kill(id)));
    rmSync(this.root, { recursive: true, force: true });
  }
}

describe.skipIf(process.platform === 'win32')('Raft KV under SIGKILL (real processes, TCP, fsync)', () => {
  const cluster = new Cluster();
  afterAll(() => cluster.close());

  it(`loses no acknowledged write and stays linearizable over ${ROUNDS} rounds of killing the leader`, async () => {
    await cluster.init();
    const history: Operation<KvInput, string>[] = [];
    const acknowledged = new Map<string, string[]>();
    const started = performance.now();
    const now = () => performance.now() - started;
    let running = true;
    let nextProcess = 0;
    let counter = 0;
    const keys = ['x', 'y', 'z'];

    const client = async (seed: number) => {
      let clientProcess = nextProcess++;
      let i = seed;
      while (running) {
        i = (i * 1103515245 + 12345) >>> 0;
        const node = cluster.nodes.get(ids[i % 3]!)!;
        if (node.child === undefined) {
          await sleep(20);
          continue;
        }
        const key = keys[(i >>> 20) % keys.length]!;
        const write = (i >>> 28) % 2 === 0;
        const value = `${seed}.${counter++};`;
        const call = now();
        const url = write ? `http://127.0.0.1:${node.http}/append?key=${key}&value=${encodeURIComponent(value)}` : `http://127.0.0.1:${node.http}/get?key=${key}`;
        const input: KvInput = write ? { op: 'append', key, value } : { op: 'get', key };
        try {
          const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
          const body = await response.text();
          if (process.env.RAFT_DEBUG) console.log(`${write ? 'w' : 'r'} ${node.id} ${response.status} ${Math.round(now() - call)}ms ${response.status === 200 ? '' : body}`);
          if (response.status === 200) {
            history.push({ process: clientProcess, call, return: now(), input, output: write ? undefined : body });
            if (write) acknowledged.set(key, [...(acknowledged.get(key) ?? []), value]);
          } else if (response.status === 504 && write) {
            history.push({ process: clientProcess, call, return: undefined, input, output: undefined });
            clientProcess = nextProcess++;
          }
          // 503: not taken (no leader, dropped): no effect, nothing to record.
        } catch (error) {
          const refused = ((error as Error).cause as { code?: string } | undefined)?.code === 'ECONNREFUSED';
          if (refused) continue; // never reached the node: no effect
          if (process.env.RAFT_DEBUG) console.log(`${write ? 'w' : 'r'} ${node.id} threw ${Math.round(now() - call)}ms ${(error as Error).message}`);
          if (write) {
            // The node died or timed out with the request in flight: the outcome is unknown.
            history.push({ process: clientProcess, call, return: undefined, input, output: undefined });
            clientProcess = nextProcess++;
          }
        }
      }
    };
    const clients = [1, 2, 3, 4].map((seed) => client(seed * 7919));

    let kills = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await sleep(700);
      const leader = await cluster.leader();
      const victims = leader === undefined ? [ids[round % 3]!] : [leader];
      if (round % 3 === 2) victims.push(ids.find((id) => !victims.includes(id))!);
      await Promise.all(victims.map((id) => cluster.kill(id)));
      kills += victims.length;
      await sleep(300 + (round % 4) * 100);
      await Promise.all(victims.map((id) => cluster.start(id)));
    }
    await sleep(1000);
    running = false;
    await Promise.all(clients);

    // Final reads through a leader, then every acknowledged append must be in its key's value.
    let leader: string | undefined;
    for (let i = 0; i < 50 && leader === undefined; i++) {
      leader = await cluster.leader();
      if (leader === undefined) await sleep(100);
    }
    expect(leader).toBeDefined();
    const http = cluster.nodes.get(leader!)!.http;
    for (const key of keys) {
      const call = now();
      const response = await fetch(`http://127.0.0.1:${http}/get?key=${key}`, { signal: AbortSignal.timeout(5000) });
      const value = await response.text();
      expect(response.status).toBe(200);
      history.push({ process: nextProcess++, call, return: now(), input: { op: 'get', key }, output: value });
      for (const appended of acknowledged.get(key) ?? []) expect(value).toContain(appended);
    }
    const acked = [...acknowledged.values()].reduce((n, list) => n + list.length, 0);
    expect(acked).toBeGreaterThan(ROUNDS * 5);
    expect(kills).toBeGreaterThanOrEqual(ROUNDS);
    const unknown = history.filter((op) => op.return === undefined).length;
    console.log(`raft kill test: ${ROUNDS} rounds, ${kills} kills, ${history.length} operations (${acked} appends acknowledged, ${unknown} unknown), ${((performance.now() - started) / 1000).toFixed(1)} s`);
    for (const part of partitionByKey(history)) {
      const result = check(kvModel, part, { timeoutMs: 30_000 });
      expect(result.verdict).toBe('linearizable');
    }
  }, 180_000);
});
