import { describe, expect, it } from 'vitest';
import { runBank } from '../src/sharded-kv/bank.js';

describe('rebalancing the sharded KV: a fourth shard group joins while transfers run', () => {
  it('moves exactly the keys whose ring owner changed, and the bank stays conserved and serializable', async () => {
    for (const seed of [1, 2, 3]) {
      const result = await runBank({ seed, accounts: 24, faults: false, addShard: { group: 's4', at: 1_000 }, duration: 2_500 });
      expect(result.problems, `seed ${seed}`).toEqual([]);
      const { before, after, oldOwner, newOwner } = result.rebalance!;
      // Every key is where its ring says, before (old ring) and after (new ring).
      for (const [key, shard] of before) {
        expect(shard, `${key} before`).toBe(oldOwner.get(key));
        expect(after.has(key), `${key} is still held somewhere`).toBe(true);
      }
      for (const [key, shard] of after) expect(shard, `${key} after`).toBe(newOwner.get(key));
      const moved = [...before.keys()].filter((key) => after.has(key) && after.get(key) !== before.get(key)).sort();
      const ringMoved = [...before.keys()].filter((key) => oldOwner.get(key) !== newOwner.get(key)).sort();
      expect(moved).toEqual(ringMoved);
      expect(moved.length).toBeGreaterThan(0);
      expect(moved.length).toBeLessThan(before.size / 2);
      for (const key of moved) expect(after.get(key)).toBe('s4');
      expect(result.committed).toBeGreaterThan(20);
    }
  }, 120_000);
});
