import { describe, expect, it } from 'vitest';
import type { AnomalyType } from '@lattice/isolation';
import { runRegisterWorkload } from '../src/sharded-kv/register-workload.js';

const only = process.env.REGISTER_SEED === undefined ? undefined : Number(process.env.REGISTER_SEED);
const SEEDS = Number(process.env.REGISTER_SEEDS ?? 100);

describe("@lattice/isolation's generated rw-register workload on the sharded KV in the simulator", () => {
  it(`stays snapshot-isolated under crashes, partitions, loss, reordering and clock skew for ${only === undefined ? SEEDS : 1} seeds, write skew being the one anomaly it shows`, async () => {
    const seen = new Set<AnomalyType>();
    let committed = 0;
    let crossShard = 0;
    let readOnlyKeys = 0;
    let crashes = 0;
    for (const seed of only === undefined ? Array.from({ length: SEEDS }, (_, i) => i + 1) : [only]) {
      const result = await runRegisterWorkload({ seed });
      const replay = `seed ${seed} (replay: REGISTER_SEED=${seed} npx vitest run test/sharded-kv-register-workload.test.ts)`;
      expect(result.problems, replay).toEqual([]);
      const si = result.verdict.models.find((m) => m.model === 'snapshot-isolation')!;
      expect(si.verdict, `${replay}: ${si.counterexample?.explanation ?? ''}`).toBe('compatible');
      // Snapshot isolation allows exactly one of the anomalies the checker names here: write skew.
      for (const type of result.verdict.anomalyTypes) {
        expect(type, replay).toBe('G2-item');
        seen.add(type);
      }
      committed += result.committed;
      crossShard += result.crossShard;
      readOnlyKeys += result.readOnlyKeys;
      crashes += result.crashes;
    }
    console.log(`${SEEDS} seeds: ${committed} transactions committed (${crossShard} writing several shards, ${readOnlyKeys} reading a key they did not write), ${crashes} crashes; anomalies: ${[...seen].join(', ') || 'none'}`);
    if (only === undefined) {
      expect(committed).toBeGreaterThan(SEEDS * 15);
      expect(crossShard).toBeGreaterThan(SEEDS * 2);
      expect(crashes).toBeGreaterThan(0);
      // The store's first-committer-wins covers written keys only, so transactions that read a key
      // they do not write can skew (README.md, "Guarantees"): the checker must see it.
      expect([...seen]).toEqual(['G2-item']);
    }
  }, 300_000);

  it('catches a snapshot read that does not wait for a transaction prepared below its timestamp within 10 seeds', async () => {
    let caught: string | undefined;
    for (let seed = 1; seed <= 10 && caught === undefined; seed++) {
      const result = await runRegisterWorkload({ seed, bugs: { readIgnoresPrepared: true } });
      const si = result.verdict.models.find((m) => m.model === 'snapshot-isolation')!;
      if (si.verdict === 'incompatible') caught = si.counterexample!.explanation;
    }
    expect(caught).toBeDefined();
  }, 120_000);
});
