import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mix32 } from '../src/search.js';
import { VisitedSet } from '../src/visited-set.js';

/** The window representation the search maintains: all-ones words below lo, zeros above hi. */
function window(bits: Uint32Array): { lo: number; hi: number } {
  let lo = 0;
  while (lo < bits.length && bits[lo] === 0xffffffff) lo++;
  let hi = bits.length - 1;
  while (hi >= 0 && bits[hi] === 0) hi--;
  return { lo, hi };
}

describe('VisitedSet', () => {
  it('agrees with a set of strings on random multi-word configurations', () => {
    const words = 5;
    const config = fc.record({
      // A placed prefix plus a few scattered operations, like a real search.
      prefix: fc.nat(words * 32),
      extra: fc.array(fc.nat(words * 32 - 1), { maxLength: 6 }),
      state: fc.nat(3),
    });
    fc.assert(
      fc.property(fc.array(config, { minLength: 1, maxLength: 60 }), (configs) => {
        const set = new VisitedSet();
        const reference = new Set<string>();
        for (const { prefix, extra, state } of configs) {
          const bits = new Uint32Array(words);
          let hash = 0;
          const ids = new Set([...Array.from({ length: prefix }, (_, i) => i), ...extra]);
          for (const id of ids) {
            bits[id >>> 5]! |= 1 << (id & 31);
            hash ^= mix32(Math.imul(id + 1, 0x9e3779b1));
          }
          const { lo, hi } = window(bits);
          const key = `${Array.from(bits).join(',')}/${state}`;
          expect(set.add(bits, lo, hi, hash, state)).toBe(!reference.has(key));
          reference.add(key);
        }
        expect(set.size).toBe(reference.size);
      }),
      { numRuns: 300 },
    );
  });
});
