/** A closed-loop load: `inFlight` workers, each sending its next put as soon as the last one is answered. */
export interface LoadResult {
  readonly commits: number;
  readonly seconds: number;
  readonly commitsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU of this (the load generator's) process per commit, in µs. */
  readonly clientCpuUsPerOp: number;
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

export async function closedLoop(put: Put, inFlight: number, seconds: number, values: readonly Uint8Array[]): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let sequence = 0;
  const startCpu = process.cpuUsage();
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
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return {
    commits: latencies.length,
    seconds: elapsed,
    commitsPerSecond: latencies.length / elapsed,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    clientCpuUsPerOp: (cpu.user + cpu.system) / Math.max(1, latencies.length),
    errors,
  };
}
