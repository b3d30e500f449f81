import { describe, expect, it } from 'vitest';
import { simKvRun } from './sim-kv.js';

const only = process.env.RAFT_SIM_SEED === undefined ? undefined : Number(process.env.RAFT_SIM_SEED);
const SEEDS = Number(process.env.RAFT_SIM_SEEDS ?? 300);

describe('a Raft KV in the simulator, on FileWal over the crashing file system', () => {
  it(`is linearizable for ${only === undefined ? SEEDS : 1} seeds of crashes, partitions, loss, delay, clock skew and membership changes`, async () => {
    let operations = 0;
    let crashes = 0;
    for (const seed of only === undefined ? Array.from({ length: SEEDS }, (_, i) => i + 1) : [only]) {
      const result = await simKvRun({ seed });
      operations += result.history.length;
      crashes += result.stats.crashes;
    }
    expect(operations).toBeGreaterThan(only === undefined ? SEEDS * 30 : 10);
    expect(crashes).toBeGreaterThan(0);
  }, 600_000);
});
