/**
 * The orchestrator crashes at every step boundary of the enumerated scenario (before and after each
 * batch of early messages, each write, each batch of messages), crossed with the loss of each single
 * message, restarts from its log, and every saga still ends committed or fully compensated with
 * every request applied at most once (test/saga-world.ts says what is checked). Each deliberate
 * defect is caught by these plans and by random seeds.
 */
import { describe, expect, it } from 'vitest';
import type { SagaDeliberateBugs } from '../src/index.js';
import { bankAccounts, randomSagas, runSagaWorld, SCENARIO, SCENARIO_BANKS, type SagaWorldOptions } from './saga-world.js';

const accounts = bankAccounts(SCENARIO_BANKS);
// One unanswered try compensates: a lost message then turns a saga backward, which is what the defects need.
const base = { seed: 1, accounts, sagas: SCENARIO, maxAttempts: 1 } as const;

function firstFailingPlan(extra: Partial<SagaWorldOptions>): { crash: number; drop: number; problems: string[] } | undefined {
  const clean = runSagaWorld({ ...base, ...extra });
  if (clean.problems.length > 0) return { crash: -1, drop: -1, problems: clean.problems };
  for (let crash = 0; crash <= clean.boundaries; crash++) {
    for (let drop = -1; drop < clean.messages; drop++) {
      const run = runSagaWorld({ ...base, ...extra, crashes: [crash], drops: drop < 0 ? [] : [drop] });
      if (run.problems.length > 0) return { crash, drop, problems: run.problems };
    }
  }
  return undefined;
}

describe('saga orchestrator crash recovery', () => {
  it('the clean scenario commits two sagas and compensates two (one from its third stage)', () => {
    const run = runSagaWorld(base);
    expect(run.problems).toEqual([]);
    expect(run.committed).toBe(2);
    expect(run.compensated).toBe(2);
    expect(run.barrier['null-compensation']).toBeGreaterThan(0);
  });

  it('a crash at every step boundary × the loss of each single message: every saga commits or is fully compensated, each request applied once', () => {
    const clean = runSagaWorld(base);
    let plans = 0;
    let restarts = 0;
    const outcomes = { committed: 0, compensated: 0 };
    for (let crash = 0; crash <= clean.boundaries; crash++) {
      for (let drop = -1; drop < clean.messages; drop++) {
        const run = runSagaWorld({ ...base, crashes: [crash], drops: drop < 0 ? [] : [drop] });
        expect(run.problems, `crash at boundary ${crash}, message ${drop} lost`).toEqual([]);
        expect(run.committed + run.compensated).toBe(SCENARIO.length);
        plans++;
        restarts += run.crashes;
        outcomes.committed += run.committed;
        outcomes.compensated += run.compensated;
      }
    }
    console.log(`${plans} fault plans (${clean.boundaries + 1} crash points × ${clean.messages + 1} loss choices), ${restarts} restarts: ${outcomes.committed} sagas committed, ${outcomes.compensated} compensated`);
    expect(restarts).toBeGreaterThan(clean.boundaries * clean.messages * 0.9);
  });

  it('two crashes (one during recovery) at every pair of early boundaries', () => {
    for (let first = 0; first < 30; first++) {
      for (let second = first + 1; second < first + 30; second++) {
        const run = runSagaWorld({ ...base, crashes: [first, second] });
        expect(run.problems, `crashes at ${first} and ${second}`).toEqual([]);
      }
    }
  });
});

describe('deliberate defects are caught', () => {
  const cases: [string, Partial<SagaWorldOptions>][] = [
    ['compensating before the compensating record is durable', { bugs: { compensateBeforeLogging: true } satisfies SagaDeliberateBugs }],
    ["starting a stage before the previous stage's completion is durable", { bugs: { nextStageBeforeLogging: true } }],
    ['not compensating the step that failed or did not answer', { bugs: { skipUncertainStep: true } }],
    ['participants without a barrier', { noBarrier: true }],
  ];
  for (const [name, extra] of cases) {
    it(`${name}: by the enumerated crash points`, () => {
      expect(firstFailingPlan(extra)).toBeDefined();
    });
    it(`${name}: within 300 random seeds`, () => {
      let found: number | undefined;
      for (let seed = 1; seed <= 300 && found === undefined; seed++) {
        const run = runSagaWorld({ seed, accounts, sagas: randomSagas(seed, SCENARIO_BANKS, 8), random: { crash: 0.01, drop: 0.05, duplicate: 0.05, fail: 0.1 }, ...extra });
        if (run.problems.length > 0) found = seed;
      }
      expect(found, 'no seed caught it').toBeDefined();
    });
  }
});
