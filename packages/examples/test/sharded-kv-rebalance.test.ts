import { describe, expect, it } from 'vitest';
import { runBank } from '../src/sharded-kv/bank.js';

describe('rebalancing the sharded KV: a fourth shard group joins while transfers run', () => {
  it('moves exactly the keys whose ring owner changed, and the bank stays conserved and serializable, under partitions, loss, delay, reordering and clock jumps', async () => {
    let moves = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      // Seeds 4 and 5 caught a transaction placing its writes by a ring that changed under it (a write sent to no shard).
      const result = await runBank({ seed, accounts: 24, faultKinds: ['partition', 'drop', 'delay', 'reorder', 'clock-jump'], preload: true, addShard: { group: 's4', at: 1_500 }, duration: 3_000 });
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
      expect(moved.length).toBeLessThanOrEqual(before.size / 2);
      moves += moved.length;
      for (const key of moved) expect(after.get(key)).toBe('s4');
      expect(result.committed).toBeGreaterThan(5);
    }
    console.log(`rebalance: ${moves} keys moved over 6 seeds`);
    expect(moves).toBeGreaterThan(6 * 3);
  }, 120_000);
});
