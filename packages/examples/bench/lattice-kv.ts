/**
 * lattice-kv against Redis under the same load: `redis-benchmark -t set,get -c 50`, without and
 * with `-P 16`, at the leader of a 3-process lattice-kv cluster (every SET a Raft commit fsync'd
 * on a majority; GET linearizable through ReadIndex; a second cluster started with
 * `--lease-reads` for lease GETs) and at a real `redis-server --appendonly yes --appendfsync
 * always`, alternating rounds in one run. A reference row, the "Node floor", is the same load at
 * `node-floor.ts` — a Node process that parses RESP and answers from a `Map`, with no Raft —
 * which is what any Node implementation can reach here next to Redis. Writes bench/results.json.
 *
 *   npm run bench -w @lattice/examples [-- <requests per round> <rounds>]
 *   LATTICE_KV_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' npm run bench …   # Node options for the node processes
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startService } from '@lattice/test-kit';
import { KvCluster } from '../src/lattice-kv/cluster.js';

const run = promisify(execFile);
const requests = Number(process.argv[2] ?? 50_000);
const rounds = Number(process.argv[3] ?? 3);
const CLIENTS = 50;
const nodeArgs = (process.env['LATTICE_KV_NODE_ARGS'] ?? '').split(' ').filter((arg) => arg !== '');

/** Starts `node-floor.ts` in its own process (as each lattice-kv node is); resolves with its port and a stop. */
function startFloor(): Promise<{ port: number; stop: () => Promise<void> }> {
  const script = fileURLToPath(new URL('./node-floor.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const port = /ready (\d+)/.exec(output)?.[1];
      if (port !== undefined) resolve({ port: Number(port), stop });
    });
    child.once('exit', (code) => reject(new Error(`node-floor.ts exited (${code})`)));
  });
}

interface BenchResult {
  case: string;
  unit: string;
  betterIs: 'higher' | 'lower';
  ours: number;
  peer: string | null;
  peerValue?: number;
  ratio?: number;
  note?: string;
}

/** Requests per second of each test, from `redis-benchmark --csv`. */
async function redisBenchmark(port: number, tests: string, pipeline: number): Promise<Map<string, number>> {
  const args = ['-p', String(port), '-t', tests, '-n', String(requests), '-c', String(CLIENTS), '-P', String(pipeline), '-r', '10000', '--csv'];
  const { stdout } = await run('redis-benchmark', args, { timeout: 600_000, maxBuffer: 1 << 24 });
  const rates = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    const cells = line.split(',').map((cell) => cell.replace(/"/g, ''));
    const rate = Number(cells[1]);
    if (cells[0] !== undefined && cells[0] !== 'test' && Number.isFinite(rate)) rates.set(cells[0], rate);
  }
  return rates;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<void> {
  const redis = await startService('redis', { appendonly: true, appendfsync: 'always' });
  const { stdout: version } = await run('redis-server', ['--version']);
  const peer = `redis-server ${/v=(\S+)/.exec(version)?.[1] ?? ''} --appendonly yes --appendfsync always`;
  const safe = await KvCluster.start({ execArgv: nodeArgs });
  const lease = await KvCluster.start({ leaseReads: true, execArgv: nodeArgs });
  const floor = await startFloor();
  const results: BenchResult[] = [];
  try {
    const safeLeader = safe.nodes.get(await safe.waitForLeader())!.respPort;
    const leaseLeader = lease.nodes.get(await lease.waitForLeader())!.respPort;
    for (const pipeline of [1, 16]) {
      const samples = { set: [] as number[], get: [] as number[], leaseGet: [] as number[], redisSet: [] as number[], redisGet: [] as number[], floorSet: [] as number[], floorGet: [] as number[] };
      // Warm-up: JIT, connections, a populated key space.
      await redisBenchmark(safeLeader, 'set,get', pipeline);
      await redisBenchmark(leaseLeader, 'set,get', pipeline);
      await redisBenchmark(redis.port, 'set,get', pipeline);
      await redisBenchmark(floor.port, 'set,get', pipeline);
      for (let round = 0; round < rounds; round++) {
        const ours = await redisBenchmark(safeLeader, 'set,get', pipeline);
        const theirs = await redisBenchmark(redis.port, 'set,get', pipeline);
        const leased = await redisBenchmark(leaseLeader, 'get', pipeline);
        const floored = await redisBenchmark(floor.port, 'set,get', pipeline);
        samples.set.push(ours.get('SET') ?? 0);
        samples.get.push(ours.get('GET') ?? 0);
        samples.leaseGet.push(leased.get('GET') ?? 0);
        samples.redisSet.push(theirs.get('SET') ?? 0);
        samples.redisGet.push(theirs.get('GET') ?? 0);
        samples.floorSet.push(floored.get('SET') ?? 0);
        samples.floorGet.push(floored.get('GET') ?? 0);
        console.log(
          `-P ${pipeline} round ${round + 1}: SET ${ours.get('SET')} vs ${theirs.get('SET')}, GET ${ours.get('GET')} vs ${theirs.get('GET')}, lease GET ${leased.get('GET')}; Node floor SET ${floored.get('SET')}, GET ${floored.get('GET')}`,
        );
      }
      const row = (name: string, ours: number[], theirs: number[], where = 'at the leader of 3 local processes'): BenchResult => {
        const value = Math.round(median(ours));
        const peerValue = Math.round(median(theirs));
        return {
          case: `${name}, redis-benchmark -c ${CLIENTS}${pipeline > 1 ? ` -P ${pipeline}` : ''}`,
          unit: 'requests/s',
          betterIs: 'higher',
          ours: value,
          peer,
          peerValue,
          ratio: Math.round((value / peerValue) * 100) / 100,
          note: `median of ${rounds} rounds of ${requests} requests ${where}; ours ${Math.round(Math.min(...ours))}–${Math.round(Math.max(...ours))}`,
        };
      };
      results.push(row('SET (Raft commit, fsync on a majority)', samples.set, samples.redisSet));
      results.push(row('GET, linearizable (ReadIndex)', samples.get, samples.redisGet));
      results.push(row('GET, lease reads (--lease-reads)', samples.leaseGet, samples.redisGet));
      const alone = 'at one Node process with no Raft (bench/node-floor.ts)';
      results.push(row('Node floor: SET into a Map', samples.floorSet, samples.redisSet, alone));
      results.push(row('Node floor: GET from a Map', samples.floorGet, samples.redisGet, alone));
    }
  } finally {
    await safe.stop();
    await lease.stop();
    await floor.stop();
    await redis.stop();
  }
  const { stdout: load } = await run('uptime');
  console.table(results.map((r) => ({ case: r.case, ours: r.ours, redis: r.peerValue, ratio: `${r.ratio}x` })));
  console.log(`load: ${load.trim()}`);
  const path = fileURLToPath(new URL('./results.json', import.meta.url));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${path}`);
}

await main();
