import { readdirSync, readFileSync } from 'node:fs';

/** A closed-loop load: `inFlight` workers, each sending its next put as soon as the last one is answered. */
export interface LoadResult {
  readonly commits: number;
  readonly seconds: number;
  readonly commitsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU of this (the load generator's) process per commit, in µs. */
  readonly clientCpuUsPerOp: number;
  /** CPU of the three server processes per commit, in µs (from /proc; NaN where unreadable). */
  readonly serverCpuUsPerOp: number;
  readonly errors: number;
}

export type Put = (key: string, value: Uint8Array) => Promise<unknown>;

const KEY_SPACE = 100_000;

/** An 8-byte key: "k" and 7 digits. */
export function keyOf(n: number): string {
  return `k${String(n % KEY_SPACE).padStart(7, '0')}`;
}

export function benchValue(size: number, seed: number): Uint8Array {
  const value = new Uint8Array(size);
  for (let i = 0; i < size; i++) value[i] = (seed * 131 + i * 7) & 0xff;
  return value;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU of the processes so far, in µs (threads included), or NaN. */
export function processesCpuUs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command (which may hold spaces) in parentheses: utime is the 12th, stime the 13th.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return Number.NaN;
    }
  }
  return (ticks * 1e6) / TICKS_PER_SECOND;
}

/** Process ids whose command line contains `needle` (the etcd members of one data dir). */
export function pidsWithArgument(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

export async function closedLoop(put: Put, inFlight: number, seconds: number, values: readonly Uint8Array[], serverPids: readonly number[] = []): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let sequence = 0;
  const startCpu = process.cpuUsage();
  const startServerCpu = processesCpuUs(serverPids);
  const start = performance.now();
  const end = start + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const n = sequence++;
      const began = performance.now();
      try {
        await put(keyOf(n * 7919), values[n % values.length]!);
        latencies.push(performance.now() - began);
      } catch (error) {
        errors++;
        if (errors <= 3 && process.env.RAFT_DEBUG) console.error(`put failed: ${(error as Error).message}`);
        if (errors > 1000) throw new Error('more than 1000 failed puts; giving up');
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(startCpu);
  const serverCpu = processesCpuUs(serverPids) - startServerCpu;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return {
    commits: latencies.length,
    seconds: elapsed,
    commitsPerSecond: latencies.length / elapsed,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    clientCpuUsPerOp: (cpu.user + cpu.system) / Math.max(1, latencies.length),
    serverCpuUsPerOp: serverCpu / Math.max(1, latencies.length),
    errors,
  };
}
