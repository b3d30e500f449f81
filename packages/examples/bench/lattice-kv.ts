/**
 * lattice-kv against Redis under the same load: `redis-benchmark -t set,get -c 50`, without and
 * with `-P 16`, at the leader of a 3-process lattice-kv cluster (every SET a Raft commit fsync'd
 * on a majority; GET linearizable through ReadIndex; a second cluster started with
 * `--lease-reads` for lease GETs) and at a real `redis-server --appendonly yes --appendfsync
 * always`, alternating rounds in one run. A reference row, the "Node floor", is the same load at
 * `node-floor.ts` — a Node process that parses RESP and answers from a `Map`, with no Raft —
 * which is what any Node implementation can reach here next to Redis. Each row also gives the CPU
 * time (user + system, from /proc) per request at the process answering the clients (and at the
 * leader's followers, and at redis-server), which a loaded machine disturbs far less than
 * requests/s. Writes bench/results.json.
 *
 *   npm run bench -w @lattice/examples [-- <requests per round> <rounds>]
 *   LATTICE_KV_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' npm run bench …   # Node options for the node processes
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startService } from '@lattice/test-kit';
import { KvCluster, respCommand } from '../src/lattice-kv/cluster.js';

const run = promisify(execFile);
const requests = Number(process.argv[2] ?? 50_000);
const rounds = Number(process.argv[3] ?? 3);
const CLIENTS = 50;
const nodeArgs = (process.env['LATTICE_KV_NODE_ARGS'] ?? '').split(' ').filter((arg) => arg !== '');

/** Starts `node-floor.ts` in its own process (as each lattice-kv node is); resolves with its port and a stop. */
function startFloor(): Promise<{ port: number; pid: number | undefined; stop: () => Promise<void> }> {
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
      if (port !== undefined) resolve({ port: Number(port), pid: child.pid, stop });
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
  /** CPU (user + system) per request at the process answering the clients, and at redis-server. */
  cpuUsPerRequest?: number;
  followersCpuUsPerRequest?: number;
  peerCpuUsPerRequest?: number;
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

/**
 * CPU time (user + system, ms) a process has used so far, from /proc (Linux); undefined elsewhere.
 * Unlike requests/s, CPU per request hardly moves when other jobs load the machine.
 */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** One server under test: where to send the load, and the processes whose CPU to count. */
interface Target {
  port: number;
  /** The process answering the clients (the leader, redis-server, the floor). */
  server: number | undefined;
  /** The others that work for it (a leader's followers). */
  others: (number | undefined)[];
}

interface Sample {
  rate: number;
  /** µs of CPU per request at the server, and at the others together. */
  serverUs: number | undefined;
  othersUs: number | undefined;
}

async function measure(target: Target, test: 'set' | 'get', pipeline: number): Promise<Sample> {
  const pids = [target.server, ...target.others];
  const before = pids.map(cpuMs);
  const rate = (await redisBenchmark(target.port, test, pipeline)).get(test.toUpperCase()) ?? 0;
  const used = pids.map((pid, i) => {
    const [start, end] = [before[i], cpuMs(pid)];
    return start === undefined || end === undefined ? undefined : ((end - start) * 1000) / requests;
  });
  const others = used.slice(1);
  return { rate, serverUs: used[0], othersUs: others.length === 0 || others.includes(undefined) ? undefined : others.reduce((a, b) => a! + b!, 0) };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const medianOf = (values: (number | undefined)[]): number | undefined => (values.includes(undefined) ? undefined : Math.round(median(values as number[]) * 10) / 10);

async function clusterTarget(cluster: KvCluster): Promise<Target> {
  const leader = await cluster.waitForLeader();
  const nodes = [...cluster.nodes.values()];
  return { port: cluster.nodes.get(leader)!.respPort, server: cluster.nodes.get(leader)!.child?.pid, others: nodes.filter((node) => node.id !== leader).map((node) => node.child?.pid) };
}

async function main(): Promise<void> {
  const redis = await startService('redis', { appendonly: true, appendfsync: 'always' });
  const { stdout: version } = await run('redis-server', ['--version']);
  const peer = `redis-server ${/v=(\S+)/.exec(version)?.[1] ?? ''} --appendonly yes --appendfsync always`;
  const safe = await KvCluster.start({ execArgv: nodeArgs });
  const lease = await KvCluster.start({ leaseReads: true, execArgv: nodeArgs });
  const floor = await startFloor();
  const results: BenchResult[] = [];
  try {
    const redisPid = Number(/process_id:(\d+)/.exec(await respCommand(redis.port, 'INFO server'))?.[1]);
    const targets: Record<'safe' | 'lease' | 'redis' | 'floor', Target> = {
      safe: await clusterTarget(safe),
      lease: await clusterTarget(lease),
      redis: { port: redis.port, server: Number.isSafeInteger(redisPid) ? redisPid : undefined, others: [] },
      floor: { port: floor.port, server: floor.pid, others: [] },
    };
    // What each round measures, in this order (alternating the servers, so that a change in the
    // machine's load falls on all of them).
    const plan = [
      ['set', 'safe', 'set'],
      ['get', 'safe', 'get'],
      ['redisSet', 'redis', 'set'],
      ['redisGet', 'redis', 'get'],
      ['leaseGet', 'lease', 'get'],
      ['floorSet', 'floor', 'set'],
      ['floorGet', 'floor', 'get'],
    ] as const;
    for (const pipeline of [1, 16]) {
      const samples = new Map<string, Sample[]>(plan.map(([key]) => [key, []]));
      // Warm-up: JIT, connections, a populated key space.
      for (const target of Object.values(targets)) await redisBenchmark(target.port, 'set,get', pipeline);
      for (let round = 0; round < rounds; round++) {
        for (const [key, target, test] of plan) {
          // An election (a node starved of CPU past its 300 ms timeout on a loaded machine) moves
          // the leader: load the new one, not a follower that forwards every write.
          if (target === 'safe' || target === 'lease') {
            const now = await clusterTarget(target === 'safe' ? safe : lease);
            if (now.port !== targets[target].port) console.log(`(${target} cluster: the leader moved; measuring the new one)`);
            targets[target] = now;
          }
          samples.get(key)!.push(await measure(targets[target], test, pipeline));
        }
        const rate = (key: string) => Math.round(samples.get(key)!.at(-1)!.rate);
        console.log(
          `-P ${pipeline} round ${round + 1}: SET ${rate('set')} vs ${rate('redisSet')}, GET ${rate('get')} vs ${rate('redisGet')}, lease GET ${rate('leaseGet')}; Node floor SET ${rate('floorSet')}, GET ${rate('floorGet')}`,
        );
      }
      const row = (name: string, key: string, peerKey: string, where = 'at the leader of 3 local processes'): BenchResult => {
        const ours = samples.get(key)!;
        const theirs = samples.get(peerKey)!;
        const value = Math.round(median(ours.map((s) => s.rate)));
        const peerValue = Math.round(median(theirs.map((s) => s.rate)));
        const serverUs = medianOf(ours.map((s) => s.serverUs));
        const othersUs = medianOf(ours.map((s) => s.othersUs));
        const peerUs = medianOf(theirs.map((s) => s.serverUs));
        return {
          case: `${name}, redis-benchmark -c ${CLIENTS}${pipeline > 1 ? ` -P ${pipeline}` : ''}`,
          unit: 'requests/s',
          betterIs: 'higher',
          ours: value,
          peer,
          peerValue,
          ratio: Math.round((value / peerValue) * 100) / 100,
          ...(serverUs === undefined ? {} : { cpuUsPerRequest: serverUs }),
          ...(othersUs === undefined ? {} : { followersCpuUsPerRequest: othersUs }),
          ...(peerUs === undefined ? {} : { peerCpuUsPerRequest: peerUs }),
          note: `median of ${rounds} rounds of ${requests} requests ${where}; ours ${Math.round(Math.min(...ours.map((s) => s.rate)))}–${Math.round(Math.max(...ours.map((s) => s.rate)))}; CPU µs per request at the server process`,
        };
      };
      results.push(row('SET (Raft commit, fsync on a majority)', 'set', 'redisSet'));
      results.push(row('GET, linearizable (ReadIndex)', 'get', 'redisGet'));
      results.push(row('GET, lease reads (--lease-reads)', 'leaseGet', 'redisGet'));
      const alone = 'at one Node process with no Raft (bench/node-floor.ts)';
      results.push(row('Node floor: SET into a Map (no fsync)', 'floorSet', 'redisSet', alone));
      results.push(row('Node floor: GET from a Map', 'floorGet', 'redisGet', alone));
    }
    // Elections during the run (a node starved past its election timeout) show as terms above 1.
    for (const [name, cluster] of [['safe', safe], ['lease', lease]] as const) {
      const leader = await cluster.waitForLeader();
      console.log(`${name} cluster: leader ${leader}, term ${(await cluster.info(leader))['raft_term']} at the end`);
    }
  } finally {
    await safe.stop();
    await lease.stop();
    await floor.stop();
    await redis.stop();
  }
  const { stdout: load } = await run('uptime');
  console.table(
    results.map((r) => ({
      case: r.case,
      ours: r.ours,
      redis: r.peerValue,
      ratio: `${r.ratio}x`,
      'CPU µs/req': r.cpuUsPerRequest ?? '–',
      'followers µs/req': r.followersCpuUsPerRequest ?? '–',
      'redis µs/req': r.peerCpuUsPerRequest ?? '–',
    })),
  );
  console.log(`load: ${load.trim()}`);
  const path = fileURLToPath(new URL('./results.json', import.meta.url));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${path}`);
}

await main();
