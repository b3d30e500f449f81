import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { casRegisterModel, check, kvModel } from '../src/index.js';
import { bruteForce, casInput, casOutput, historyArbitrary, kvInput, kvOutput } from './helpers/reference.js';

describe('the checker agrees with brute force on random small histories', () => {
  it('compare-and-set register', () => {
    fc.assert(
      fc.property(historyArbitrary(casInput, casOutput), (history) => {
        const expected = bruteForce(casRegisterModel, history);
        expect(check(casRegisterModel, history).verdict).toBe(expected ? 'linearizable' : 'not linearizable');
      }),
      { numRuns: 1500 },
    );
  });

  it('key-value store, partitioned and not', () => {
    fc.assert(
      fc.property(historyArbitrary(kvInput, kvOutput), (history) => {
        const expected = bruteForce(kvModel, history) ? 'linearizable' : 'not linearizable';
        expect(check(kvModel, history).verdict).toBe(expected);
        expect(check(kvModel, history, { noPartition: true }).verdict).toBe(expected);
      }),
      { numRuns: 1500 },
    );
  });
});
