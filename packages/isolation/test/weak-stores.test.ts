import { describe, expect, it } from 'vitest';
import { type AnomalyType, check, type DataModel } from '../src/index.js';
import { ALLOWED, runWeakStore } from './helpers/stores.js';

const SEEDS = 60;

describe('histories of deliberately weak stores', () => {
  for (const model of ['list-append', 'rw-register'] as DataModel[]) {
    for (const { isolation, allowed } of ALLOWED[model]) {
      it(`${model}, ${isolation}: exactly the anomalies the store allows (${allowed.join(', ')}) across ${SEEDS} seeds`, () => {
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
        expect([...seen].sort(), 'anomaly types seen across the seeds').toEqual([...allowed].sort());
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
