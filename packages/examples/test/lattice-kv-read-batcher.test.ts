import { describe, expect, it } from 'vitest';
import { ReadBarrierBatcher } from '../src/lattice-kv/read-batcher.js';

describe('ReadBarrierBatcher', () => {
  it('covers every read waiting together with one round, and a read arriving mid-round with the next round', async () => {
    const rounds: { resolve: () => void; reject: (error: unknown) => void }[] = [];
    const batcher = new ReadBarrierBatcher(() => new Promise<void>((resolve, reject) => rounds.push({ resolve, reject })));
    const done: string[] = [];
    const first = Array.from({ length: 100 }, (_, i) => batcher.barrier().then(() => done.push(`first${i}`)));
    expect(rounds).toHaveLength(1); // one round for the first read; the other 99 wait for it to end...
    const late = batcher.barrier().then(() => done.push('late'));
    rounds[0]!.resolve();
    await first[0];
    expect(done).not.toContain('late'); // ...a read that arrived during round 1 is not covered by it
    expect(rounds).toHaveLength(2); // the waiting reads share round 2
    rounds[1]!.resolve();
    await Promise.all([...first, late]);
    expect(done).toHaveLength(101);
    expect(rounds).toHaveLength(2);
  });

  it('rejects the reads of a failed round and starts the next one for later reads', async () => {
    let calls = 0;
    const batcher = new ReadBarrierBatcher(() => (++calls === 1 ? Promise.reject(new Error('no leader')) : Promise.resolve()));
    await expect(batcher.barrier()).rejects.toThrow('no leader');
    await expect(batcher.barrier()).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });
});
