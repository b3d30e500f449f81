// The hashring benchmark: lookup throughput side by side with the npm peers, and the quality
// matrix of every algorithm (balance, movement, memory, lookup cost) with 1M keys.
//   npm run bench -w @lattice/hashring            (HASHRING_BENCH_KEYS=200000 for a quick run)
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchResult, opsPerSecond, report, result, retainedHeap } from '@lattice/bench-kit';
import ConsistentHash from 'consistent-hash';
import HashRingPeer from 'hashring';
import { BoundedLoadRing, HashRing, JumpHash, KetamaRing, MaglevHash, MultiProbeHash, type Partitioner, RendezvousHash } from '../src/index.js';
import { type LoadPanel, loadChart } from './svg.js';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const peerName = (pkg: string) => `${pkg}@${JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')).version}`;
const HASHRING = peerName('hashring');
const CONSISTENT_HASH = peerName('consistent-hash');
const KEY_COUNT = Number(process.env['HASHRING_BENCH_KEYS'] ?? 1_000_000);
const EPSILON = 0.25;

const servers = (n: number) => Array.from({ length: n }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:11211`);
const results: BenchResult[] = [];

// ---------------------------------------------------------------------------------------------
// 1. Lookups per second for string keys, side by side.
// ---------------------------------------------------------------------------------------------
const lookupKeys = Array.from({ length: 200_000 }, (_, i) => `user:${i}:${(Math.imul(i, 0x9e3779b1) >>> 0).toString(36)}`);
const hotKeys = lookupKeys.slice(0, 1000);

function cycle(get: (key: string) => unknown, keyList: readonly string[]) {
  let cursor = 0;
  return (iterations: number) => {
    let sink = 0;
    for (let i = 0; i < iterations; i++) {
      const owner = get(keyList[cursor]!) as string;
      sink += owner.length;
      cursor = cursor + 1 === keyList.length ? 0 : cursor + 1;
    }
    if (sink < 0) console.log(sink);
  };
}

for (const n of [10, 1000]) {
  const ids = servers(n);
  const ring = new HashRing({ members: ids });
  const cachedRing = new HashRing({ members: ids, cacheSize: 5000 });
  const ketama = new KetamaRing({ members: ids, pointCounts: 'hashring' });
  const peer = new HashRingPeer(ids);
  const other = new ConsistentHash();
  for (const id of ids) other.add(id);
  const iterations = 100_000;
  const cases: [string, (k: string) => unknown, string, (k: string) => unknown, readonly string[]][] = [
    [`lookup ${n} nodes: ring (xxh32, 160 vnodes)`, (k) => ring.lookup(k), HASHRING, (k) => peer.get(k), lookupKeys],
    [`lookup ${n} nodes: ketama (same placement as hashring)`, (k) => ketama.lookup(k), HASHRING, (k) => peer.get(k), lookupKeys],
    [`lookup ${n} nodes: ring vs consistent-hash`, (k) => ring.lookup(k), CONSISTENT_HASH, (k) => other.get(k), lookupKeys],
    [`lookup ${n} nodes, 1,000 hot keys: ring without cache vs peer's LRU`, (k) => ring.lookup(k), HASHRING, (k) => peer.get(k), hotKeys],
    [`lookup ${n} nodes, 1,000 hot keys: ring cacheSize 5000 vs peer's LRU (5000)`, (k) => cachedRing.lookup(k), HASHRING, (k) => peer.get(k), hotKeys],
  ];
  for (const [name, ours, peerLabel, theirs, keyList] of cases) {
    const r = await opsPerSecond(cycle(ours, keyList), cycle(theirs, keyList), { iterations });
    results.push(result({ case: name, unit: 'ops/s', betterIs: 'higher', ours: r.ours, peer: peerLabel, peerValue: r.peer! }));
    console.log(`${name}: ${(r.ours / 1e6).toFixed(2)}M/s vs ${peerLabel} ${(r.peer! / 1e6).toFixed(2)}M/s`);
  }
}

// Memory of a 1,000-node ring (heap + array buffers retained after a forced GC).
function retained(): number {
  const heap = retainedHeap();
  if (heap === undefined) throw new Error('run with node --expose-gc');
  return heap + process.memoryUsage().arrayBuffers;
}
const keep: unknown[] = [];
function memoryOf(build: () => unknown): number {
  const samples: number[] = [];
  for (let round = 0; round < 3; round++) {
    const before = retained();
    keep.push(build());
    const after = retained();
    keep.length = 0;
    samples.push(after - before);
  }
  return Math.max(0, samples.sort((a, b) => a - b)[1]!);
}
{
  const ids = servers(1000);
  const ours = memoryOf(() => new HashRing({ members: ids }));
  const peer = memoryOf(() => new HashRingPeer(ids));
  results.push(result({ case: 'memory, 1000-node ring (160 points/node)', unit: 'bytes', betterIs: 'lower', ours, peer: HASHRING, peerValue: peer }));
}

// ---------------------------------------------------------------------------------------------
// 2. Quality matrix: every algorithm × {10, 100, 1000} nodes × KEY_COUNT keys.
// ---------------------------------------------------------------------------------------------
interface Algo {
  name: string;
  make(ids: readonly string[]): Partitioner;
  /** The node removed in the removal test (jump can only drop its last bucket). */
  victim(ids: readonly string[]): string;
}
const middle = (ids: readonly string[]) => ids[ids.length >> 1]!;
const algos: Algo[] = [
  { name: 'ring (160 vnodes)', make: (ids) => new HashRing({ members: ids }), victim: middle },
  { name: 'ketama', make: (ids) => new KetamaRing({ members: ids }), victim: middle },
  { name: 'rendezvous', make: (ids) => new RendezvousHash({ members: ids }), victim: middle },
  { name: 'jump', make: (ids) => new JumpHash({ members: ids }), victim: (ids) => ids[ids.length - 1]! },
  { name: 'maglev (M=65537)', make: (ids) => new MaglevHash({ members: ids }), victim: middle },
  { name: 'maglev (M=655373)', make: (ids) => new MaglevHash({ members: ids, tableSize: 655373 }), victim: middle },
  { name: 'multi-probe (21 probes)', make: (ids) => new MultiProbeHash({ members: ids }), victim: middle },
  { name: `bounded loads (ε=${EPSILON})`, make: (ids) => new BoundedLoadRing({ members: ids, epsilon: EPSILON }), victim: middle },
];

const keys = Array.from({ length: KEY_COUNT }, (_, i) => `key-${i}`);

/** Owner of every key; bounded loads place the keys one after another, counting loads. */
function assign(p: Partitioner): { owners: string[]; seconds: number } {
  const owners = new Array<string>(keys.length);
  const start = process.hrtime.bigint();
  if (p instanceof BoundedLoadRing) {
    p.resetLoads();
    for (let i = 0; i < keys.length; i++) owners[i] = p.acquire(keys[i]!);
  } else {
    for (let i = 0; i < keys.length; i++) owners[i] = p.lookup(keys[i]!);
  }
  return { owners, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

function movedFraction(a: readonly string[], b: readonly string[]): number {
  let moved = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) moved++;
  return moved / a.length;
}

interface QualityRow {
  algorithm: string;
  nodes: number;
  peakToMean: number;
  movedOnAdd: number;
  movedOnRemove: number;
  optimumAdd: number;
  optimumRemove: number;
  memoryBytes: number;
  lookupNs: number;
}
const quality: QualityRow[] = [];
const panels: LoadPanel[] = [];

for (const n of [10, 100, 1000]) {
  const ids = servers(n);
  for (const algo of algos) {
    const started = Date.now();
    const memoryBytes = memoryOf(() => algo.make(ids));
    const p = algo.make(ids);
    const base = assign(p);
    const counts = new Map<string, number>(ids.map((id) => [id, 0]));
    for (const o of base.owners) counts.set(o, counts.get(o)! + 1);
    const loads = [...counts.values()];
    const peakToMean = Math.max(...loads) / (keys.length / n);
    p.add('10.255.255.254:11211');
    const added = assign(p);
    p.remove('10.255.255.254:11211');
    p.remove(algo.victim(ids));
    const removed = assign(p);
    const row: QualityRow = {
      algorithm: algo.name,
      nodes: n,
      peakToMean,
      movedOnAdd: movedFraction(base.owners, added.owners),
      movedOnRemove: movedFraction(base.owners, removed.owners),
      optimumAdd: 1 / (n + 1),
      optimumRemove: 1 / n,
      memoryBytes,
      lookupNs: (base.seconds / keys.length) * 1e9,
    };
    quality.push(row);
    if (n === 100) panels.push({ name: algo.name, loads, ...(algo.name.startsWith('bounded') ? { guide: 1 + EPSILON } : {}) });
    console.log(
      `${algo.name.padEnd(26)} n=${String(n).padEnd(5)} peak/mean ${peakToMean.toFixed(3)}  add moves ${row.movedOnAdd.toFixed(4)} (opt ${row.optimumAdd.toFixed(4)})  remove moves ${row.movedOnRemove.toFixed(4)} (opt ${row.optimumRemove.toFixed(4)})  memory ${(memoryBytes / 1024).toFixed(0)} KiB  lookup ${row.lookupNs.toFixed(0)} ns  [${((Date.now() - started) / 1000).toFixed(1)} s]`,
    );
    const label = `${algo.name}, ${n} nodes, ${keys.length} keys`;
    results.push(result({ case: `peak-to-mean: ${label}`, unit: 'ratio', betterIs: 'lower', ours: peakToMean, peer: null }));
    results.push(
      result({ case: `moved on add: ${label}`, unit: 'fraction', betterIs: 'lower', ours: row.movedOnAdd, peer: null, note: `optimum ${row.optimumAdd.toFixed(4)}` }),
    );
    results.push(
      result({ case: `moved on remove: ${label}`, unit: 'fraction', betterIs: 'lower', ours: row.movedOnRemove, peer: null, note: `optimum ${row.optimumRemove.toFixed(4)}` }),
    );
    results.push(result({ case: `memory: ${algo.name}, ${n} nodes`, unit: 'bytes', betterIs: 'lower', ours: memoryBytes, peer: null }));
    results.push(result({ case: `lookup: ${algo.name}, ${n} nodes`, unit: 'ns', betterIs: 'lower', ours: row.lookupNs, peer: null }));
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Outputs: results.json, a markdown table, and the per-node load chart for the docs.
// ---------------------------------------------------------------------------------------------
report(join(here, 'results.json'), results);

const table = [
  '| algorithm | nodes | peak/mean | moved on add (optimum) | moved on remove (optimum) | memory | lookup |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...quality.map(
    (q) =>
      `| ${q.algorithm} | ${q.nodes} | ${q.peakToMean.toFixed(3)} | ${(q.movedOnAdd * 100).toFixed(2)}% (${(q.optimumAdd * 100).toFixed(2)}%) | ${(q.movedOnRemove * 100).toFixed(2)}% (${(q.optimumRemove * 100).toFixed(2)}%) | ${formatBytes(q.memoryBytes)} | ${q.lookupNs.toFixed(0)} ns |`,
  ),
].join('\n');
console.log(`\nQuality with ${keys.length} keys:\n\n${table}\n`);

const svgPath = join(here, '..', '..', '..', 'docs', 'hashring-load.svg');
writeFileSync(svgPath, loadChart(panels, `Per-node load, 100 nodes, ${keys.length.toLocaleString('en-US')} keys`));
console.log(`wrote ${svgPath}`);

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} KiB`;
  return `${Math.max(0, bytes).toFixed(0)} B`;
}
