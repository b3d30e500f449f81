import { describe, expect, it } from 'vitest';
import { bankAccounts, COORDINATOR, crossedCrashPlans, randomTransfers, runWorld, threeWay } from './world.js';

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
    const plans = crossedCrashPlans(clean.boundaries, PARTICIPANTS);
    for (const crashes of plans) expectClean(runWorld({ seed: 1, accounts, transfers: threeWay, crashes }), `crashes ${JSON.stringify(crashes)}`);
    expect(plans.length).toBeGreaterThan(300);
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

describe('bank over three participants on durable prepares (the store survives a crash, no "prepared" records), deterministic world', () => {
  const durable = { durablePrepare: true } as const;

  it('stays atomic with the coordinator crashing at every step boundary, crossed with every participant crash point', () => {
    const clean = runWorld({ seed: 1, accounts, transfers: threeWay, ...durable });
    expectClean(clean, 'fault-free');
    expect(clean.committed).toBe(2);
    const plans = crossedCrashPlans(clean.boundaries, PARTICIPANTS);
    for (const crashes of plans) expectClean(runWorld({ seed: 1, accounts, transfers: threeWay, crashes, ...durable }), `crashes ${JSON.stringify(crashes)}`);
    expect(plans.length).toBeGreaterThan(300);
  });

  it('stays atomic and conserves money over 300 random schedules (crashes, loss, reordering, concurrent transfers)', () => {
    let crashes = 0;
    let committed = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const result = runWorld({ seed, accounts, transfers: randomTransfers(seed, PARTICIPANTS, 8, 1500), random: { crash: 0.02, drop: 0.05 }, ...durable });
      expectClean(result, `random seed ${seed}`);
      crashes += result.crashes;
      committed += result.committed;
    }
    expect(crashes).toBeGreaterThan(300);
    expect(committed).toBeGreaterThan(300);
  });

  it('catches the deliberate bug of rolling back on restart what the store holds without a log record, at some participant crash point', () => {
    const clean = runWorld({ seed: 1, accounts, transfers: threeWay, ...durable });
    const caught: string[] = [];
    for (const p of PARTICIPANTS) {
      for (let at = 0; at <= clean.boundaries[p]!; at++) {
        const result = runWorld({ seed: 1, accounts, transfers: threeWay, crashes: [{ node: p, at }], participantBugs: { abortHeldWithoutRecord: true }, ...durable });
        if (result.problems.length > 0) caught.push(`${p}@${at}: ${result.problems.join('; ')}`);
      }
    }
    expect(caught.length).toBeGreaterThan(0);
    // Caught as what it is: a transfer committed at one bank and rolled back at another.
    expect(caught.some((c) => c.includes('total balance')), caught.join('\n')).toBe(true);
    console.log(`durable-prepare bug caught at ${caught.length} participant crash points, e.g. ${caught[0]}`);
    // Without the bug, the same crash points are all clean.
    for (const p of PARTICIPANTS) {
      for (let at = 0; at <= clean.boundaries[p]!; at++) expectClean(runWorld({ seed: 1, accounts, transfers: threeWay, crashes: [{ node: p, at }], ...durable }), `${p}@${at}`);
    }
  });
});
