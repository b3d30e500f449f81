import { DecodeError, InvalidArgumentError, isLatticeError, UnsupportedVersionError } from '@lattice/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CausalOrder, VectorClock, VersionVector } from '../src/index.js';
import { execute, happenedBefore, runArbitrary } from './runs.js';

const NODES = ['a', 'b', 'c', 'd', 'e', 'f', 'node-7', 'é', '__proto__'];
const clockArb = fc
  .dictionary(fc.constantFrom(...NODES), fc.integer({ min: 0, max: 4 }), { maxKeys: NODES.length })
  .map((entries) => VectorClock.from(Object.entries(entries)));

function expectCode(fn: () => unknown, code: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(isLatticeError(thrown, code), `expected ${code}, got ${String(thrown)}`).toBe(true);
}

function naiveCompare(a: VectorClock, b: VectorClock): CausalOrder {
  let less = false;
  let greater = false;
  for (const node of new Set([...a.nodes(), ...b.nodes()])) {
    if (a.get(node) < b.get(node)) less = true;
    if (a.get(node) > b.get(node)) greater = true;
  }
  return less && greater ? 'concurrent' : less ? 'before' : greater ? 'after' : 'equal';
}

const leq = (a: VectorClock, b: VectorClock): boolean => {
  const order = a.compare(b);
  return order === 'before' || order === 'equal';
};

describe('VectorClock', () => {
  it('increments, merges and compares', () => {
    const a = new VectorClock().increment('a');
    const b = a.clone().increment('b');
    expect(a.compare(b)).toBe('before');
    expect(b.compare(a)).toBe('after');
    a.increment('a');
    expect(a.compare(b)).toBe('concurrent');
    expect(a.isConcurrent(b)).toBe(true);
    expect(a.compare(a.clone())).toBe('equal');
    b.merge(a).increment('b');
    expect(b.toJSON()).toEqual({ a: 2, b: 2 });
    expect(a.happenedBefore(b)).toBe(true);
    expect(b.happenedBefore(a)).toBe(false);
    expect(b.descends(a)).toBe(true);
    expect(new VectorClock().compare(new VectorClock())).toBe('equal');
    expect(VersionVector.from({ r1: 2 }).descends(VersionVector.from({ r1: 1 }))).toBe(true);
  });

  it('keeps equal and concurrent apart (unlike the npm vectorclock package)', () => {
    const x = VectorClock.from({ a: 1, b: 0 });
    const y = VectorClock.from({ a: 1 });
    expect(x.compare(y)).toBe('equal');
    expect(VectorClock.from({ a: 2 }).compare(VectorClock.from({ b: 1 }))).toBe('concurrent');
  });

  it('handles hundreds of entries', () => {
    const big = new VectorClock();
    for (let i = 0; i < 300; i++) big.increment(`node-${i}`);
    const other = big.clone().increment('node-150');
    expect(big.compare(other)).toBe('before');
    expect(big.size).toBe(300);
    big.increment('node-299').increment('zzz');
    expect(big.compare(other)).toBe('concurrent');
    expect(VectorClock.join(big, other).compare(big)).toBe('after');
  });

  it('set, delete and entries', () => {
    const clock = VectorClock.from([['b', 2], ['a', 1]]);
    expect([...clock.entries()]).toEqual([['a', 1], ['b', 2]]);
    clock.set('a', 0).set('c', 5).delete('b');
    expect(clock.toJSON()).toEqual({ c: 5 });
    expect(clock.toString()).toBe('{"c":5}');
    expectCode(() => VectorClock.from([['a', 1], ['a', 2]]), InvalidArgumentError.code);
    expectCode(() => clock.increment(''), InvalidArgumentError.code);
    expectCode(() => clock.set('a', -1), InvalidArgumentError.code);
  });

  it('prunes departed members, non-members, by age and by size, never protected entries', () => {
    const clock = VectorClock.from({ a: 1, b: 2, c: 3, d: 4, e: 5 });
    const updated: Record<string, number> = { a: 100, b: 900, c: 500, d: 950, e: 10 };
    expect(clock.clone().prune({ departed: ['b', 'x'] })).toEqual(['b']);
    expect(clock.clone().prune({ members: ['a', 'b'], protect: ['c'] })).toEqual(['d', 'e']);
    const aged = clock.clone();
    expect(aged.prune({ lastUpdated: (n) => updated[n], now: 1000, maxAgeMs: 600, protect: ['e'] })).toEqual(['a']);
    expect(aged.toJSON()).toEqual({ b: 2, c: 3, d: 4, e: 5 });
    const small = clock.clone();
    expect(small.prune({ lastUpdated: (n) => updated[n], maxEntries: 2, protect: ['e'] }).sort()).toEqual(['a', 'b', 'c']);
    expect(small.toJSON()).toEqual({ d: 4, e: 5 }); // the oldest went first; protected e stayed
    expectCode(() => clock.prune({ maxAgeMs: 5 }), InvalidArgumentError.code);
    // The documented risk: a pruned clock reads as 'before' one that kept the entry.
    const pruned = clock.clone();
    pruned.prune({ departed: ['e'] });
    pruned.increment('a');
    expect(pruned.compare(clock)).toBe('concurrent');
    expect(VectorClock.from({ a: 1 }).compare(VectorClock.from({ a: 1, e: 5 }))).toBe('before');
  });

  it('property: compare agrees with the definition and is a partial order', () => {
    fc.assert(
      fc.property(clockArb, clockArb, clockArb, (a, b, c) => {
        expect(a.compare(b)).toBe(naiveCompare(a, b));
        expect(a.compare(a)).toBe('equal');
        const flipped: Record<CausalOrder, CausalOrder> = { before: 'after', after: 'before', equal: 'equal', concurrent: 'concurrent' };
        expect(b.compare(a)).toBe(flipped[a.compare(b)]);
        if (leq(a, b) && leq(b, a)) expect(a.compare(b)).toBe('equal');
        if (leq(a, b) && leq(b, c)) expect(leq(a, c)).toBe(true);
      }),
    );
  });

  it('property: merge is commutative, associative, idempotent and the least upper bound', () => {
    fc.assert(
      fc.property(clockArb, clockArb, clockArb, (a, b, c) => {
        const ab = VectorClock.join(a, b);
        expect(ab.compare(VectorClock.join(b, a))).toBe('equal');
        expect(VectorClock.join(ab, c).compare(VectorClock.join(a, VectorClock.join(b, c)))).toBe('equal');
        expect(VectorClock.join(a, a).compare(a)).toBe('equal');
        expect(leq(a, ab) && leq(b, ab)).toBe(true);
        if (leq(a, c) && leq(b, c)) expect(leq(ab, c)).toBe(true);
        // Merging must not disturb its argument.
        const before = b.toJSON();
        a.clone().merge(b).increment('a');
        expect(b.toJSON()).toEqual(before);
      }),
    );
  });

  it('property: in random message-passing runs, clocks order exactly the causally related pairs', () => {
    const nodes = 4;
    fc.assert(
      fc.property(runArbitrary(nodes, 60), (steps) => {
        const clocks = [0, 1, 2, 3].map(() => new VectorClock());
        const names = ['n0', 'n1', 'n2', 'n3'];
        const events = execute<VectorClock, VectorClock>(nodes, steps, {
          local: (i) => clocks[i]!.increment(names[i]!).clone(),
          send: (i) => {
            const stamp = clocks[i]!.increment(names[i]!).clone();
            return { stamp, message: stamp.clone() };
          },
          receive: (i, message) => clocks[i]!.merge(message).increment(names[i]!).clone(),
        });
        for (const e of events) {
          for (const f of events) {
            const expected: CausalOrder =
              e === f ? 'equal' : happenedBefore(e, f) ? 'before' : happenedBefore(f, e) ? 'after' : 'concurrent';
            expect(e.stamp.compare(f.stamp)).toBe(expected);
          }
        }
      }),
    );
  });

  it('property: JSON and binary encodings round-trip', () => {
    fc.assert(
      fc.property(clockArb, (clock) => {
        expect(VectorClock.decode(clock.encode()).compare(clock)).toBe('equal');
        expect([...VectorClock.decode(clock.encode()).entries()]).toEqual([...clock.entries()]);
        expect(VectorClock.fromJSON(JSON.parse(JSON.stringify(clock))).compare(clock)).toBe('equal');
        expect(VectorClock.fromJSON(clock.toString()).compare(clock)).toBe('equal');
      }),
    );
    const big = VectorClock.from({ a: Number.MAX_SAFE_INTEGER, é: 1 });
    expect(VectorClock.decode(big.encode()).get('a')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('property: decoding any truncation or corruption gives a DecodeError (UnsupportedVersionError for a newer format byte) or a valid clock, never a half-built one', () => {
    fc.assert(
      fc.property(clockArb, fc.nat(), fc.nat(255), (clock, position, value) => {
        const bytes = clock.encode();
        for (let cut = 0; cut < bytes.length; cut++) expectCode(() => VectorClock.decode(bytes.subarray(0, cut)), DecodeError.code);
        const corrupt = bytes.slice();
        corrupt[position % corrupt.length] = value;
        try {
          const decoded = VectorClock.decode(corrupt);
          // If it decodes, it is a well-formed clock that re-encodes to the same bytes.
          expect(decoded.encode()).toEqual(corrupt);
        } catch (error) {
          expect(isLatticeError(error, (corrupt[0] ?? 0) > 1 ? UnsupportedVersionError.code : DecodeError.code)).toBe(true);
        }
      }),
    );
  });

  it('bad input gives a typed DecodeError', () => {
    const bytes = (...values: number[]) => new Uint8Array(values);
    for (const bad of [
      bytes(),
      bytes(0, 0), // format 0 was never written
      bytes(1, 1, 1, 97), // truncated counter
      bytes(1, 1, 1, 97, 0), // zero counter
      bytes(1, 2, 1, 98, 1, 1, 97, 1), // unsorted
      bytes(1, 2, 1, 97, 1, 1, 97, 1), // duplicate
      bytes(1, 1, 1, 97, 1, 0), // trailing bytes
      bytes(1, 1, 1, 97, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 1), // varint too long
      bytes(1, 1, 1, 97, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), // above 2^53
      bytes(1, 1, 1, 97, 0x81, 0), // non-canonical varint
      bytes(1, 1, 0, 1), // empty node id
      bytes(1, 1, 1, 0, 1), // control character in node id
      bytes(1, 1, 2, 0xc3, 0x28, 1), // invalid UTF-8
      bytes(1, 0xff, 0xff, 0xff, 0xff, 0x0f), // oversized entry count
    ]) {
      expectCode(() => VectorClock.decode(bad), DecodeError.code);
    }
    expectCode(() => VectorClock.decode(bytes(2, 0)), UnsupportedVersionError.code); // a newer format
    expectCode(() => VectorClock.decode('abc' as unknown as Uint8Array), DecodeError.code);
    expectCode(() => VectorClock.decode(VectorClock.from({ a: 1, b: 1 }).encode(), { maxEntries: 1 }), DecodeError.code);
    for (const bad of ['{', '[]', 'null', '{"a":-1}', '{"a":1.5}', '{"a":"1"}', '{"":1}', '{"a":1e300}', 42]) {
      expectCode(() => VectorClock.fromJSON(bad), DecodeError.code);
    }
  });
});
