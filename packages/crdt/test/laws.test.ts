import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Crdt } from '../src/index.js';
import { canonical, run, specs, steps } from './specs.js';

const join = (a: Crdt, b: Crdt): Crdt => a.clone().join(b.clone());

describe.each(specs)('$name satisfies the join-semilattice laws', (spec) => {
  const threeStates = fc
    .tuple(steps(spec, 3), fc.nat(), fc.nat(), fc.nat())
    .map(([history, i, j, k]) => {
      const { snapshots, replicas, deltas } = run(spec, 3, history);
      const pool = [...snapshots, ...replicas, ...deltas, spec.create('n0', { now: () => 0, monotonic: () => 0 }).empty()];
      return [pool[i % pool.length]!, pool[j % pool.length]!, pool[k % pool.length]!] as const;
    });

  it('join is commutative', () => {
    fc.assert(
      fc.property(threeStates, ([a, b]) => {
        expect(canonical(join(a, b))).toBe(canonical(join(b, a)));
      }),
      { numRuns: 150 },
    );
  });

  it('join is associative', () => {
    fc.assert(
      fc.property(threeStates, ([a, b, c]) => {
        expect(canonical(join(join(a, b), c))).toBe(canonical(join(a, join(b, c))));
      }),
      { numRuns: 150 },
    );
  });

  it('join is idempotent', () => {
    fc.assert(
      fc.property(threeStates, ([a, b]) => {
        expect(canonical(join(a, a))).toBe(canonical(a));
        const ab = join(a, b);
        expect(canonical(join(ab, b))).toBe(canonical(ab));
      }),
      { numRuns: 150 },
    );
  });

  it('any permutation, duplication and grouping of delta deliveries converges (SEC)', () => {
    const scenario = steps(spec, 3, 30).chain((history) => {
      const { replicas, deltas } = run(spec, 3, history);
      const n = deltas.length;
      return fc.record({
        replicas: fc.constant(replicas),
        deltas: fc.constant(deltas),
        order: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
        duplicates: fc.array(fc.nat({ max: Math.max(0, n - 1) }), { maxLength: n === 0 ? 0 : 5 }),
        groupCuts: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      });
    });
    fc.assert(
      fc.property(scenario, ({ replicas, deltas, order, duplicates, groupCuts }) => {
        const everything = replicas.reduce((acc, r) => acc.join(r.clone()), replicas[0]!.empty());
        // Deltas, in a random order, some delivered twice, some grouped into one joined delta.
        const deliveries = [...order, ...duplicates.filter((d) => d < deltas.length)];
        const receiver = replicas[0]!.empty();
        let group: Crdt | undefined;
        deliveries.forEach((index, position) => {
          group = group === undefined ? deltas[index]!.clone() : group.join(deltas[index]!.clone());
          if (groupCuts[position % Math.max(1, groupCuts.length)] !== false) {
            receiver.join(group);
            group = undefined;
          }
        });
        if (group !== undefined) receiver.join(group);
        expect(canonical(receiver)).toBe(canonical(everything));
        expect(receiver.value()).toEqual(everything.value());
        // And every replica that receives all deltas reaches the same state.
        for (const replica of replicas) {
          const caughtUp = replica.clone();
          for (const delta of deltas) caughtUp.join(delta.clone());
          expect(canonical(caughtUp)).toBe(canonical(everything));
        }
      }),
      { numRuns: 120 },
    );
  });
});
