/**
 * The harness has teeth: each deliberate protocol bug is caught within a bounded number of
 * seeds of the schedule built to expose it (the same seeds pass without the bug, in
 * random-runs.test.ts and async-writes.test.ts). Figure 8's commit rule is shown step by step in figure8.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { DeliberateBug } from '../src/index.js';
import { leaseRun } from './lease-runs.js';
import { asyncWritesRun, electionStormRun, randomRun } from './random-runs.js';

function firstFailingSeed(maxSeeds: number, run: (seed: number) => unknown): { seed: number; message: string } | undefined {
  for (let seed = 1; seed <= maxSeeds; seed++) {
    try {
      run(seed);
    } catch (error) {
      return { seed, message: (error as Error).message };
    }
  }
  return undefined;
}

const cases: { bug: DeliberateBug; within: number; run: (seed: number, bugs: DeliberateBug[]) => unknown; expected: RegExp }[] = [
  { bug: 'vote-without-sync', within: 60, run: (seed, bugs) => electionStormRun(seed, 600, bugs), expected: /election safety/ },
  { bug: 'lease-without-check-quorum', within: 20, run: (seed, bugs) => leaseRun(seed, 300, bugs), expected: /not linearizable/ },
  { bug: 'skip-log-matching', within: 150, run: (seed, bugs) => randomRun(seed, 400, bugs), expected: /log matching|state machine safety|leader completeness/ },
  { bug: 'leader-counts-unsynced-entry', within: 100, run: (seed, bugs) => asyncWritesRun(seed, 500, bugs), expected: /leader completeness|state machine safety/ },
];

describe('deliberate bugs are caught', () => {
  for (const { bug, within, run, expected } of cases) {
    it(`${bug}: within ${within} seeds`, () => {
      const caught = firstFailingSeed(within, (seed) => run(seed, [bug]));
      expect(caught, `${bug} went unnoticed for ${within} seeds`).toBeDefined();
      expect(caught!.message).toMatch(expected);
    });
  }
});
