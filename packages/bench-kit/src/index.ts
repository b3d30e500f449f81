/**
 * The harness every Lattice benchmark uses: runs our implementation and the peer side by side
 * in one process, alternating rounds after a warm-up (so drift and GC hit both alike), prints a
 * table and writes `bench/results.json` in the format of CONVENTIONS.md.
 *
 * @packageDocumentation
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One row of `bench/results.json`. */
export interface BenchResult {
  case: string;
  unit: string;
  betterIs: 'higher' | 'lower';
  ours: number;
  peer: string | null;
  peerValue?: number;
  ratio?: number;
  /** Free-form detail (sizes, counts) shown in the table. */
  note?: string;
}

/** A function to time; it runs `iterations` operations and returns nothing useful. */
export type Workload = (iterations: number) => void | Promise<void>;

/** Options of {@link opsPerSecond}. */
export interface OpsOptions {
  /** Operations per timed batch. */
  iterations: number;
  /** Alternating rounds (each runs ours once and the peer once). Default 7. */
  rounds?: number;
  /** Warm-up batches of each before timing. Default 2. */
  warmup?: number;
}

/** Median operations per second of each workload, measured in alternating rounds. */
export async function opsPerSecond(ours: Workload, peer: Workload | undefined, options: OpsOptions): Promise<{ ours: number; peer?: number }> {
  const { iterations, rounds = 7, warmup = 2 } = options;
  for (let i = 0; i < warmup; i++) {
    await ours(iterations);
    if (peer) await peer(iterations);
  }
  const oursRates: number[] = [];
  const peerRates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // Alternate who goes first so neither always inherits the other's garbage.
    const order: [Workload, number[]][] = [[ours, oursRates]];
    if (peer) order.push([peer, peerRates]);
    if (round % 2 === 1) order.reverse();
    for (const [workload, rates] of order) {
      const start = process.hrtime.bigint();
      await workload(iterations);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      rates.push(iterations / seconds);
    }
  }
  return peer ? { ours: median(oursRates), peer: median(peerRates) } : { ours: median(oursRates) };
}

/** Median wall time in milliseconds of a one-shot task, alternating with the peer's. */
export async function medianMs(ours: () => unknown, peer: (() => unknown) | undefined, rounds = 5): Promise<{ ours: number; peer?: number }> {
  return opsPerSecond(
    async () => void (await ours()),
    peer ? async () => void (await peer()) : undefined,
    { iterations: 1, rounds, warmup: 1 },
  ).then((r) => (r.peer === undefined ? { ours: 1000 / r.ours } : { ours: 1000 / r.ours, peer: 1000 / r.peer }));
}

/** Builds a result row, computing `ratio` as "times better than the peer". */
export function result(row: Omit<BenchResult, 'ratio'>): BenchResult {
  if (row.peer === null || row.peerValue === undefined) return { ...row, peer: row.peer ?? null };
  const ratio = row.betterIs === 'higher' ? row.ours / row.peerValue : row.peerValue / row.ours;
  return { ...row, ratio: Math.round(ratio * 100) / 100 };
}

/** Prints results as a table and writes them to `path` (normally `bench/results.json`). */
export function report(path: string, results: BenchResult[]): void {
  const rows = results.map((r) => ({
    case: r.case,
    ours: `${format(r.ours)} ${r.unit}`,
    peer: r.peer ?? '-',
    peerValue: r.peerValue === undefined ? '-' : `${format(r.peerValue)} ${r.unit}`,
    ratio: r.ratio === undefined ? '-' : `${r.ratio}x`,
    ...(r.note ? { note: r.note } : {}),
  }));
  console.table(rows);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${path}`);
}

/** Bytes of heap retained after a forced GC (run node with --expose-gc), or undefined without it. */
export function retainedHeap(): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return undefined;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function format(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(value < 10 ? 3 : 1);
}
