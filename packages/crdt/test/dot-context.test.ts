import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as clocks from '@lattice/clocks';
import { CounterOverflowError, DotContext } from '../src/index.js';

const dot = fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 12 }));

describe('DotContext', () => {
  it('is the one DotContext of @lattice/clocks, with its CounterOverflowError (re-exported, not a copy)', () => {
    expect(DotContext).toBe(clocks.DotContext);
    expect(CounterOverflowError).toBe(clocks.CounterOverflowError);
  });

  it('keeps gaps in the cloud and compacts only contiguous runs', () => {
    const context = new DotContext();
    context.add('a', 1);
    context.add('a', 3);
    context.add('a', 5);
    expect(context.contiguous('a')).toBe(1);
    expect(context.has('a', 2)).toBe(false);
    expect(context.has('a', 4)).toBe(false);
    expect(context.max('a')).toBe(5);
    context.add('a', 2);
    expect(context.contiguous('a')).toBe(3);
    expect(context.cloudSize).toBe(1);
    context.add('a', 4);
    expect(context.toJSON()).toEqual({ a: { max: 5, cloud: [] } });
  });

  it('does not absorb a cloud dot into the vector when joined with a gap (the delta-crdts bug)', () => {
    const left = new DotContext();
    left.add('a', 1);
    const right = new DotContext();
    right.add('a', 3);
    left.join(right);
    expect(left.has('a', 2)).toBe(false);
    expect(left.toJSON()).toEqual({ a: { max: 1, cloud: [3] } });
  });

  it('behaves like the plain set of its dots under any adds and joins', () => {
    fc.assert(
      fc.property(fc.array(dot), fc.array(dot), (xs, ys) => {
        const x = new DotContext();
        const y = new DotContext();
        for (const [node, counter] of xs) x.add(node, counter);
        for (const [node, counter] of ys) y.add(node, counter);
        const model = new Set([...xs, ...ys].map(([node, counter]) => `${node}:${counter}`));
        const joined = x.clone().join(y);
        for (const node of ['a', 'b', 'c']) {
          for (let counter = 1; counter <= 13; counter++) {
            expect(joined.has(node, counter)).toBe(model.has(`${node}:${counter}`));
          }
          // Compact form: nothing at or below the vector entry sits in the cloud, and the next dot is absent.
          const json = joined.toJSON()[node];
          if (json !== undefined) {
            expect(json.cloud.every((c) => c > json.max + 1)).toBe(true);
          }
        }
        expect(joined.includes(x) && joined.includes(y)).toBe(true);
        expect(x.includes(joined)).toBe(y.includes(x) || x.includes(y) ? x.includes(joined) : false);
        const missing = joined.missingFrom(x) ?? [];
        expect(missing.every((d) => !x.has(d.node, d.counter) && joined.has(d.node, d.counter))).toBe(true);
        const repaired = x.clone();
        for (const d of missing) repaired.add(d.node, d.counter);
        expect(repaired.toJSON()).toEqual(joined.toJSON());
        expect(DotContext.fromJSON(JSON.parse(JSON.stringify(joined))).toJSON()).toEqual(joined.toJSON());
      }),
    );
  });

  it('allocates the next dot past every seen counter and reports missing dots up to a limit', () => {
    const context = new DotContext();
    context.add('a', 7);
    expect(context.next('a')).toEqual({ node: 'a', counter: 8 });
    const empty = new DotContext();
    expect(context.missingFrom(empty)).toEqual([
      { node: 'a', counter: 7 },
      { node: 'a', counter: 8 },
    ]);
    expect(context.missingFrom(empty, 1)).toBeUndefined();
  });
});
