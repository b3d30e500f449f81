import { seededRandom } from '@lattice/core';
import { describe, expect, it } from 'vitest';
import { crashRound, newCrashState } from './crash-harness.js';
import { tempDir } from './helpers.js';

const ROUNDS = 8;

describe('crash recovery with real processes', () => {
  // Half the rounds write through the log's writer thread from the start (two writes in
  // flight), the others start on libuv's pool and switch to the thread as appends queue up.
  it(`keeps every acknowledged record through ${ROUNDS} SIGKILLs at random moments`, { timeout: 120_000 }, async () => {
    const { dir, cleanup } = await tempDir('crash');
    const random = seededRandom(20261121);
    const state = newCrashState();
    try {
      let total = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const report = await crashRound(dir, state, 30 + random.int(400), 16, round % 2 === 0 ? 'always' : 'auto');
        total += report.acknowledged;
        expect(report.lastIndex).toBeGreaterThanOrEqual(report.firstIndex - 1);
      }
      // The child must actually have been acknowledging writes when it was killed.
      expect(total).toBeGreaterThan(ROUNDS * 10);
    } finally {
      await cleanup();
    }
  });
});
