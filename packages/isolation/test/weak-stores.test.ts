import { describe, expect, it } from 'vitest';
import { type AnomalyType, check, type DataModel } from '../src/index.js';
import { type Isolation, runWeakStore } from './helpers/stores.js';

const SEEDS = 60;

/**
 * What each weak store may produce, and the anomaly that shows it is that weak: the checker must
 * never report more than the store allows, and must find the characteristic one on some seed.
 */
const CASES: readonly { isolation: Isolation; allowed: readonly AnomalyType[]; characteristic: readonly AnomalyType[] }[] = [
  { isolation: 'snapshot-isolation', allowed: ['G2-item'], characteristic: ['G2-item'] },
  { isolation: 'read-committed', allowed: ['G-single', 'G2-item', 'lost-update'], characteristic: ['G-single', 'lost-update'] },
  {
    isolation: 'none',
    allowed: ['G0', 'G1a', 'G1b', 'G1c', 'G-single', 'G2-item', 'lost-update', 'internal', 'incompatible-order'],
    characteristic: ['G1a', 'G1b', 'G1c'],
  },
];

describe('histories of deliberately weak stores', () => {
  for (const model of ['list-append', 'rw-register'] as DataModel[]) {
    for (const { isolation, allowed, characteristic } of CASES) {
      it(`${model}, ${isolation}: only the anomalies the store allows, and its characteristic ones across ${SEEDS} seeds`, () => {
        const seen = new Set<AnomalyType>();
        for (let seed = 1; seed <= SEEDS; seed++) {
          const history = runWeakStore({ isolation, model, seed });
          const result = check(history, { model });
          for (const type of result.anomalyTypes) {
            if (!allowed.includes(type)) throw new Error(`seed ${seed}: ${isolation} store cannot produce ${type}, yet it was reported:\n${result.anomalies.find((a) => a.type === type)!.explanation}`);
            seen.add(type);
          }
          // What the store guarantees is never refuted.
          if (isolation !== 'none') expect(result.models.find((m) => m.model === isolation)!.verdict, `seed ${seed}`).toBe('compatible');
        }
        for (const type of characteristic) expect([...seen], `${type} never appeared`).toContain(type);
      });
    }
  }

  it('a snapshot-isolation store is refuted as serializable with a write-skew cycle in words', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const result = check(runWeakStore({ isolation: 'snapshot-isolation', model: 'list-append', seed }));
      if (result.valid) continue;
      const verdict = result.models.find((m) => m.model === 'serializable')!;
      expect(verdict.verdict).toBe('incompatible');
      expect(verdict.counterexample!.type).toBe('G2-item');
      expect(verdict.counterexample!.explanation).toMatch(/^G2-item: .*\n {2}T\d+ < T\d+ \(rw\): T\d+ read \d+ = \[.*\] without \d+, which T\d+ appended/);
      return;
    }
    throw new Error('no seed produced write skew');
  });
});
