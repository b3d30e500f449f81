import { describe, expect, it } from 'vitest';
import { bankAccounts, COORDINATOR, randomTransfers, runWorld, threeWay } from './world.js';

const PARTICIPANTS = ['p1', 'p2', 'p3'];
const accounts = bankAccounts(PARTICIPANTS);


function expectClean(result: ReturnType<typeof runWorld>, replay: string): void {
  expect(result.problems, replay).toEqual([]);
}

describe('bank over three participants, deterministic world', () => {
  it('commits both transfers when nothing fails, and says how many step boundaries each node crosses', () => {
    const result = runWorld({ seed: 1, accounts, transfers: threeWay });
    expectClean(result, 'fault-free');
    expect(result.committed).toBe(2);
    expect(result.boundaries[COORDINATOR]).toBeGreaterThan(10);
  });

  it('stays atomic with the coordinator crashing at every step boundary, crossed with every participant crash point', () => {
    const clean = runWorld({ seed: 1, accounts, transfers: threeWay });
    let runs = 0;
    for (let c = 0; c <= clean.boundaries[COORDINATOR]!; c++) {
      for (const p of [undefined, ...PARTICIPANTS]) {
        const points = p === undefined ? [undefined] : Array.from({ length: clean.boundaries[p]! + 1 }, (_, i) => i);
        for (const at of points) {
          const crashes = [{ node: COORDINATOR, at: c }, ...(p === undefined || at === undefined ? [] : [{ node: p, at }])];
          const result = runWorld({ seed: 1, accounts, transfers: threeWay, crashes });
          expectClean(result, `crashes ${JSON.stringify(crashes)}`);
          runs++;
        }
      }
    }
    expect(runs).toBeGreaterThan(300);
  });

  it('stays atomic with the coordinator crashing at every step boundary, crossed with the loss of every message', () => {
    const clean = runWorld({ seed: 1, accounts, transfers: threeWay });
    for (let c = 0; c <= clean.boundaries[COORDINATOR]!; c++) {
      for (let d = -1; d < clean.messages; d++) {
        const result = runWorld({ seed: 1, accounts, transfers: threeWay, crashes: [{ node: COORDINATOR, at: c }], drops: d < 0 ? [] : [d] });
        expectClean(result, `coordinator crash at ${c}, drop ${d}`);
      }
    }
  });

  it('stays atomic and conserves money over 300 random schedules (crashes, loss, reordering, concurrent transfers)', () => {
    let committed = 0;
    let aborted = 0;
    let crashes = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const result = runWorld({ seed, accounts, transfers: randomTransfers(seed, PARTICIPANTS, 8, 1500), random: { crash: 0.02, drop: 0.05 } });
      expectClean(result, `random seed ${seed}`);
      committed += result.committed;
      aborted += result.aborted;
      crashes += result.crashes;
    }
    // Hostile enough to matter (a crash a seed on average), and both outcomes are exercised often.
    console.log(`300 seeds: ${committed} transfers committed, ${aborted} aborted, ${crashes} crashes`);
    expect(crashes).toBeGreaterThan(300);
    expect(committed).toBeGreaterThan(300);
    expect(aborted).toBeGreaterThan(300);
  });
});
