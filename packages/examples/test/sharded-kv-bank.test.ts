import { describe, expect, it } from 'vitest';
import { runBank } from '../src/sharded-kv/bank.js';

const only = process.env.BANK_SEED === undefined ? undefined : Number(process.env.BANK_SEED);
const SEEDS = Number(process.env.BANK_SEEDS ?? 100);

describe('a bank on the sharded KV in the simulator (multi-raft shards, 2PC with a Raft-replicated coordinator, HLC snapshots)', () => {
  it(`conserves the total in every snapshot read, reads exact snapshots and stays serializable for ${only === undefined ? SEEDS : 1} seeds of crashes, partitions, loss, reordering and clock skew`, async () => {
    let committed = 0;
    let crossShard = 0;
    let aborted = 0;
    let unknown = 0;
    let reads = 0;
    let crashes = 0;
    for (const seed of only === undefined ? Array.from({ length: SEEDS }, (_, i) => i + 1) : [only]) {
      const result = await runBank({ seed });
      expect(result.problems, `seed ${seed} (replay: BANK_SEED=${seed} npx vitest run test/sharded-kv-bank.test.ts)`).toEqual([]);
      expect(result.finalTotal, `seed ${seed}`).toBe(800);
      committed += result.committed;
      crossShard += result.crossShard;
      aborted += result.aborted;
      unknown += result.unknown;
      reads += result.snapshotReads;
      crashes += result.crashes;
    }
    console.log(`${SEEDS} seeds: ${committed} transfers committed (${crossShard} across shards), ${aborted} aborted, ${unknown} unknown, ${reads} snapshot reads, ${crashes} crashes`);
    if (only === undefined) {
      // Hostile and busy enough to mean something: most transfers cross shards, processes crash.
      expect(committed).toBeGreaterThan(SEEDS * 10);
      expect(crossShard).toBeGreaterThan(SEEDS * 5);
      expect(reads).toBeGreaterThan(SEEDS * 8);
      expect(crashes).toBeGreaterThan(SEEDS / 10);
    }
  }, 600_000);

  it('catches a snapshot read that does not wait for a transaction prepared below its timestamp within 10 seeds', async () => {
    let caught: number | undefined;
    for (let seed = 1; seed <= 10 && caught === undefined; seed++) {
      const result = await runBank({ seed, bugs: { readIgnoresPrepared: true } });
      if (result.problems.some((p) => p.startsWith('conservation') || p.startsWith('exactness') || p.startsWith('isolation'))) caught = seed;
    }
    expect(caught).toBeDefined();
  }, 120_000);
});
