import { DecodeError, InvalidArgumentError } from '@lattice/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CounterOverflowError, DotContext } from '../src/index.js';

describe('DotContext', () => {
  it('keeps gaps in the cloud, compacts contiguous runs, and gives the cloud of a node in order', () => {
    const context = new DotContext();
    context.add('a', 5);
    context.add('a', 3);
    context.add('a', 1);
    expect(context.contiguous('a')).toBe(1);
    expect(context.cloudOf('a')).toEqual([3, 5]);
    expect(context.has('a', 2)).toBe(false);
    context.add('a', 2);
    expect(context.contiguous('a')).toBe(3);
    expect(context.cloudOf('a')).toEqual([5]);
    expect(context.cloudOf('b')).toEqual([]);
    // cloudOf hands out a copy.
    context.cloudOf('a').push(99);
    expect(context.has('a', 99)).toBe(false);
  });

  it('addUpTo records a whole version-vector entry and absorbs the cloud below and next to it', () => {
    const context = new DotContext();
    context.add('a', 7);
    context.add('a', 9);
    context.addUpTo('a', 6);
    expect(context.toJSON()).toEqual({ a: { max: 7, cloud: [9] } });
    context.addUpTo('a', 3); // below the contiguous maximum: nothing changes
    expect(context.toJSON()).toEqual({ a: { max: 7, cloud: [9] } });
    context.addUpTo('b', 0);
    expect(context.isEmpty()).toBe(false);
    expect(context.nodes()).toEqual(['a']);
  });

  it('addUpTo(n, max) is the same as adding 1..max one by one (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 12 }), fc.integer({ min: 0, max: 30 }), (counters, max) => {
        const bulk = new DotContext();
        const single = new DotContext();
        for (const c of counters) {
          bulk.add('n', c);
          single.add('n', c);
        }
        bulk.addUpTo('n', max);
        for (let c = 1; c <= max; c++) single.add('n', c);
        expect(bulk.toJSON()).toEqual(single.toJSON());
      }),
    );
  });

  it('next allocates after the largest counter seen, and refuses past 2^53 - 1 with CounterOverflowError', () => {
    const context = new DotContext();
    context.add('a', 4);
    expect(context.next('a')).toEqual({ node: 'a', counter: 5 });
    context.addUpTo('z', Number.MAX_SAFE_INTEGER);
    expect(() => context.next('z')).toThrow(CounterOverflowError);
    expect(context.contiguous('z')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('round-trips its JSON form and refuses a malformed one with DecodeError', () => {
    const context = new DotContext();
    context.addUpTo('b', 2);
    context.add('a', 3);
    const copy = DotContext.fromJSON(JSON.parse(JSON.stringify(context)));
    expect(copy.toJSON()).toEqual(context.toJSON());
    expect(copy.includes(context) && context.includes(copy)).toBe(true);
    for (const bad of [null, [], { a: 1 }, { a: { max: -1, cloud: [] } }, { a: { max: 1, cloud: [0] } }, { a: { max: 1 } }, { '': { max: 1, cloud: [] } }]) {
      expect(() => DotContext.fromJSON(bad)).toThrow(DecodeError);
    }
  });

  it('refuses wrong arguments with InvalidArgumentError', () => {
    const context = new DotContext();
    const wrong = [
      () => context.add('', 1),
      () => context.add('a', 0),
      () => context.addUpTo('', 1),
      () => context.addUpTo('a', -1),
      () => context.addUpTo('a', 1.5),
      () => context.cloudOf(1 as unknown as string),
      () => context.join({} as DotContext),
      () => context.missingFrom(context, -1),
    ];
    for (const call of wrong) expect(call).toThrow(InvalidArgumentError);
  });
});
