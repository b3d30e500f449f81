/**
 * `npm run bench -w @lattice/raft`
 *
 * 1. Against etcd, side by side: a 3-member etcd cluster and 3 `RaftNode` processes (TCP,
 *    fsync'd WALs from `openWal`), all on loopback with their data on the same disk. One load
 *    generator here puts 8-byte keys with 256-byte values, closed loop, with 1, 16 and 256
 *    requests in flight, to each cluster's leader: etcd through its gRPC API (`etcd3`), Lattice
 *    through a pipelined binary protocol on one persistent TCP socket (`kv-protocol.ts`). The
 *    two alternate round by round. Commits/s, p50 and p99 latency (median of the rounds; the
 *    range in the note).
 * 2. In process: 3 `RaftNode`s on a `MemoryNetwork` with `MemoryWal`s: commits/s and CPU µs per
 *    commit, beside etcd-raft's published per-op figure (not run here).
 *
 * Environment: RAFT_BENCH_SECONDS (per round, default 5), RAFT_BENCH_ROUNDS (default 3),
 * RAFT_BENCH_INFLIGHT (e.g. "16,256"), RAFT_BENCH_PROFILE=<dir> (the Lattice nodes run with
 * `--cpu-prof` into <dir>), RAFT_BENCH_SKIP_ETCD=1 (Lattice only, e.g. while profiling),
 * RAFT_BENCH_CONNECTIONS (client connections to each leader, default 1).
 * Writes bench/results.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchResult, median, report, result } from '@lattice/bench-kit';
import { type EtcdCluster, findServiceBinary, startEtcdCluster } from '@lattice/test-kit';
import { Etcd3 } from 'etcd3';
import { BinaryKv } from './binary-kv.js';
import { inProcessRun } from './in-process.js';
import { KvClient, LatticeCluster } from './lattice-cluster.js';
import { benchValue, closedLoop, type LoadResult, type Put, pidsWithArgument } from './load.js';

const SECONDS = Number(process.env.RAFT_BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.RAFT_BENCH_ROUNDS ?? 3);
const IN_FLIGHT = (process.env.RAFT_BENCH_INFLIGHT ?? '1,16,256').split(',').map(Number);
const PROFILE = process.env.RAFT_BENCH_PROFILE;
const SKIP_ETCD = process.env.RAFT_BENCH_SKIP_ETCD === '1';
/** Client connections to each leader (requests go round robin over them); the same number for both. */
const CONNECTIONS = Number(process.env.RAFT_BENCH_CONNECTIONS ?? 1);
const resultsPath = fileURLToPath(new URL('./results.json', import.meta.url));

const etcdBinary = findServiceBinary('etcd');
const etcdVersion = etcdBinary === undefined ? undefined : /etcd Version: (\S+)/.exec(execFileSync(etcdBinary, ['--version']).toString())?.[1];
const ETCD = `etcd ${etcdVersion ?? '?'} (Debian), 3 members`;
const require = createRequire(import.meta.url);
const etcd3Version = (JSON.parse(readFileSync(require.resolve('etcd3/package.json'), 'utf8')) as { version: string }).version;

const encoder = new TextEncoder();
const values = Array.from({ length: 64 }, (_, i) => benchValue(256, i));

let etcd: EtcdCluster | undefined;
let lattice: LatticeCluster | undefined;
const etcdClients: Etcd3[] = [];
const latticeClients: KvClient[] = [];
const root = mkdtempSync(join(tmpdir(), 'lattice-raft-bench-'));

const cleanUp = async () => {
  for (const client of latticeClients) client.close();
  for (const client of etcdClients) client.close();
  await Promise.allSettled([lattice?.stop(), etcd?.stop()]);
  rmSync(root, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cleanUp().finally(() => process.exit(130));
  });
}

/** The etcd member that leads, found as etcd's own tooling does: each member's status names the leader. */
async function etcdLeaderUrl(cluster: EtcdCluster): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    for (const url of cluster.endpoints) {
      const probe = new Etcd3({ hosts: url });
      try {
        const status = await probe.maintenance.status();
        if (status.leader === status.header.member_id) return url;
      } catch {
        // not ready yet
      } finally {
        probe.close();
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('etcd elected no leader');
}

const results: BenchResult[] = [];
try {
  console.log(`in process: 3 RaftNodes, MemoryNetwork, MemoryWal, 256 in flight, ${SECONDS} s`);
  const inProcess = await inProcessRun(256, SECONDS);
  console.log(`  ${Math.round(inProcess.commitsPerSecond)} commits/s, ${inProcess.cpuUsPerCommit.toFixed(1)} µs CPU per commit`);

  console.log('starting the clusters');
  lattice = await LatticeCluster.start(join(root, 'lattice'), PROFILE === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(PROFILE)}`]);
  const found = await lattice.leaderClient();
  latticeClients.push(found.client);
  while (latticeClients.length < CONNECTIONS) latticeClients.push(await KvClient.open(found.port));
  let nextLattice = 0;
  const latticePut: Put = (key, value) => latticeClients[nextLattice++ % CONNECTIONS]!.put(BinaryKv.command(encoder.encode(key), value));
  const latticePids = lattice.pids;
  let etcdPids: number[] = [];
  let etcdPut: Put | undefined;
  if (!SKIP_ETCD) {
    etcd = await startEtcdCluster();
    const leaderUrl = await etcdLeaderUrl(etcd);
    etcdPids = pidsWithArgument(`${etcd.dir}/`);
    for (let i = 0; i < CONNECTIONS; i++) etcdClients.push(new Etcd3({ hosts: leaderUrl }));
    let nextEtcd = 0;
    etcdPut = (key, value) =>
      etcdClients[nextEtcd++ % CONNECTIONS]!
        .put(key)
        .value(Buffer.from(value.buffer, value.byteOffset, value.byteLength))
        .exec();
  }
  console.log(`lattice leader ${found.leader}${etcd === undefined ? '' : `, etcd data under ${etcd.dir}`}; Lattice WALs under ${root}`);

  for (const inFlight of IN_FLIGHT) {
    // Warm-up: JIT, connections, the first segment files and etcd's first boltdb pages.
    await closedLoop(latticePut, inFlight, Math.min(2, SECONDS), values);
    if (etcdPut) await closedLoop(etcdPut, inFlight, Math.min(2, SECONDS), values);
    const ours: LoadResult[] = [];
    const peer: LoadResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order: [Put, LoadResult[], string, number[]][] = [[latticePut, ours, 'lattice', latticePids]];
      if (etcdPut) order.push([etcdPut, peer, 'etcd', etcdPids]);
      if (round % 2 === 1) order.reverse();
      for (const [put, into, name, pids] of order) {
        const run = await closedLoop(put, inFlight, SECONDS, values, pids);
        into.push(run);
        console.log(
          `  ${String(inFlight).padStart(3)} in flight, round ${round + 1} ${name.padEnd(7)} ${Math.round(run.commitsPerSecond).toString().padStart(6)} commits/s  p50 ${run.p50Ms.toFixed(2)} ms  p99 ${run.p99Ms.toFixed(2)} ms  CPU µs/op: servers ${run.serverCpuUsPerOp.toFixed(0)}, client ${run.clientCpuUsPerOp.toFixed(0)}${run.errors ? `  ${run.errors} errors` : ''}`,
        );
      }
    }
    const summarize = (runs: LoadResult[], pick: (r: LoadResult) => number) => {
      const picked = runs.map(pick);
      return { median: median(picked), range: `${Math.min(...picked).toFixed(2)}–${Math.max(...picked).toFixed(2)}` };
    };
    for (const [metric, unit, betterIs, pick] of [
      ['commits/s', 'commits/s', 'higher', (r: LoadResult) => r.commitsPerSecond],
      ['p50', 'ms', 'lower', (r: LoadResult) => r.p50Ms],
      ['p99', 'ms', 'lower', (r: LoadResult) => r.p99Ms],
    ] as const) {
      const o = summarize(ours, pick);
      const p = peer.length > 0 ? summarize(peer, pick) : undefined;
      const cpuOf = (runs: LoadResult[]) => `servers ${median(runs.map((r) => r.serverCpuUsPerOp)).toFixed(0)}, client ${median(runs.map((r) => r.clientCpuUsPerOp)).toFixed(0)}`;
      const clientCpu = `CPU µs/commit ours ${cpuOf(ours)}${peer.length ? `; etcd ${cpuOf(peer)}` : ''}`;
      results.push(
        result({
          case: `put 8 B key, 256 B value, ${inFlight} in flight: ${metric}`,
          unit,
          betterIs,
          ours: Math.round(o.median * 100) / 100,
          peer: p === undefined ? null : `${ETCD} via etcd3@${etcd3Version} (gRPC)`,
          ...(p === undefined ? {} : { peerValue: Math.round(p.median * 100) / 100 }),
          note: `${ROUNDS} rounds of ${SECONDS} s, ${CONNECTIONS} connection${CONNECTIONS === 1 ? '' : 's'} each; ours ${o.range}${p ? `, etcd ${p.range}` : ''}${metric === 'commits/s' ? `; ${clientCpu}` : ''}`,
        }),
      );
    }
  }

  results.push(
    result({
      case: 'in-process 3 nodes (MemoryNetwork, MemoryWal), 256 in flight: commits/s',
      unit: 'commits/s',
      betterIs: 'higher',
      ours: Math.round(inProcess.commitsPerSecond),
      peer: null,
      note: `${inProcess.commits} commits in ${SECONDS} s`,
    }),
    result({
      case: 'in-process 3 nodes (MemoryNetwork, MemoryWal): CPU per commit',
      unit: 'µs/op',
      betterIs: 'lower',
      ours: Math.round(inProcess.cpuUsPerCommit * 100) / 100,
      peer: 'etcd-io/raft BenchmarkOneNode-style (published)',
      peerValue: 5.9,
      note: 'peer figure is published by etcd-io/raft, not run here; ours is all three nodes in one process',
    }),
  );
  report(resultsPath, results);
} finally {
  await cleanUp();
}
