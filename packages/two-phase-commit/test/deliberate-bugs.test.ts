import { describe, expect, it } from 'vitest';
import type { CoordinatorDeliberateBugs, ParticipantDeliberateBugs } from '../src/index.js';
import { bankAccounts, randomTransfers, runWorld } from './world.js';

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
