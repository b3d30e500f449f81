import { describe, expect, it } from 'vitest';
import { randomRun } from './random-runs.js';

describe('random runs', () => {
  it('200 seeds: a crashed member is dead at every live one, every other member stays alive', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const result = randomRun(seed);
      expect(result.problems, `seed ${seed}`).toEqual([]);
    }
  });
});
