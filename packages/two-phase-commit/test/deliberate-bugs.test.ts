import { describe, expect, it } from 'vitest';
import type { CoordinatorDeliberateBugs, ParticipantDeliberateBugs } from '../src/index.js';
import { bankAccounts, COORDINATOR, randomTransfers, runWorld, threeWay } from './world.js';

const PARTICIPANTS = ['p1', 'p2', 'p3'];
const accounts = bankAccounts(PARTICIPANTS);
const SEED_BUDGET = 300;

/** The first seed whose random schedule breaks a check, or undefined within the budget. */
function firstFailingSeed(bugs: { coordinator?: CoordinatorDeliberateBugs; participant?: ParticipantDeliberateBugs }): { seed: number; problems: string[] } | undefined {
  for (let seed = 1; seed <= SEED_BUDGET; seed++) {
    const result = runWorld({
      seed,
      accounts,
      transfers: randomTransfers(seed, PARTICIPANTS, 8, 1500),
      random: { crash: 0.02, drop: 0.05 },
      ...(bugs.coordinator === undefined ? {} : { coordinatorBugs: bugs.coordinator }),
      ...(bugs.participant === undefined ? {} : { participantBugs: bugs.participant }),
    });
    if (result.problems.length > 0) return { seed, problems: result.problems };
  }
  return undefined;
}

describe('deliberate bugs are caught by the bank simulation', () => {
  it(`deciding before the decision is logged breaks atomicity within ${SEED_BUDGET} seeds`, () => {
    const found = firstFailingSeed({ coordinator: { decideBeforeLogging: true } });
    expect(found, 'no seed caught it').toBeDefined();
    console.log(`decideBeforeLogging: seed ${found!.seed}: ${found!.problems[0]}`);
  });

  it(`voting yes before "prepared" is logged breaks atomicity within ${SEED_BUDGET} seeds`, () => {
    const found = firstFailingSeed({ participant: { voteBeforeLogging: true } });
    expect(found, 'no seed caught it').toBeDefined();
    console.log(`voteBeforeLogging: seed ${found!.seed}: ${found!.problems[0]}`);
  });

  it(`reading a missing decision as commit breaks atomicity within ${SEED_BUDGET} seeds`, () => {
    const found = firstFailingSeed({ coordinator: { forgetPresumedAbort: true } });
    expect(found, 'no seed caught it').toBeDefined();
    console.log(`forgetPresumedAbort: seed ${found!.seed}: ${found!.problems[0]}`);
  });
});

describe('deliberate bugs are caught by the enumerated crash points', () => {
  const clean = runWorld({ seed: 1, accounts, transfers: threeWay });
  const caught = (runs: Parameters<typeof runWorld>[0][]): number => runs.filter((run) => runWorld(run).problems.length > 0).length;

  it('deciding before logging: a coordinator crash at some boundary, a crash of p2 and the loss of some message', () => {
    const runs = [];
    for (let c = 0; c <= clean.boundaries[COORDINATOR]!; c++) {
      for (let at = 0; at <= clean.boundaries['p2']!; at++) {
        for (let d = 0; d < clean.messages; d++) {
          runs.push({ seed: 1, accounts, transfers: threeWay, crashes: [{ node: COORDINATOR, at: c }, { node: 'p2', at }], drops: [d], coordinatorBugs: { decideBeforeLogging: true } });
        }
      }
    }
    expect(caught(runs)).toBeGreaterThan(0);
  });

  it('voting before logging: a participant crash at some boundary', () => {
    const runs = [];
    for (const p of ['p1', 'p2', 'p3']) {
      for (let at = 0; at <= clean.boundaries[p]!; at++) runs.push({ seed: 1, accounts, transfers: threeWay, crashes: [{ node: p, at }], participantBugs: { voteBeforeLogging: true } });
    }
    expect(caught(runs)).toBeGreaterThan(0);
  });

  it('forgetting presumed abort: a coordinator crash at some boundary together with a participant crash', () => {
    const runs = [];
    for (let c = 0; c <= clean.boundaries[COORDINATOR]!; c++) {
      for (const p of ['p1', 'p2', 'p3']) {
        for (let at = 0; at <= clean.boundaries[p]!; at++) {
          runs.push({ seed: 1, accounts, transfers: threeWay, crashes: [{ node: COORDINATOR, at: c }, { node: p, at }], coordinatorBugs: { forgetPresumedAbort: true } });
        }
      }
    }
    expect(caught(runs)).toBeGreaterThan(0);
  });
});
