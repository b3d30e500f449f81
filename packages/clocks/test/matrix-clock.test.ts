import { DecodeError, isLatticeError, UnsupportedVersionError } from '@lattice/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MatrixClock, type MatrixClockJson, VectorClock } from '../src/index.js';
import { execute, runArbitrary } from './runs.js';

describe('MatrixClock', () => {
  it('computes the stable point as the column minimum', () => {
    const a = new MatrixClock('a', ['b']);
    const b = new MatrixClock('b', ['a']);
    expect(a.stable().toJSON()).toEqual({});
    b.receive('a', a.send());
    expect(a.stable().get('a')).toBe(0); // a does not know b has seen it
    a.receive('b', b.send());
    expect(a.stable().get('a')).toBe(1);
    expect(a.isStable('a', 1)).toBe(true);
    expect(a.isStable('a', 2)).toBe(false);
    expect(a.row('b').toJSON()).toEqual({ a: 1, b: 2 });
    expect(a.vector.toJSON()).toEqual({ a: 2, b: 2 });
    a.removeMember('b');
    expect(a.members()).toEqual(['a']);
    expect(a.stable().toJSON()).toEqual({ a: 2, b: 2 });
  });

  it('a new member holds the stable point back until heard from', () => {
    const a = new MatrixClock('a');
    a.tick();
    expect(a.stable().get('a')).toBe(1);
    a.addMember('c');
    expect(a.stable().get('a')).toBe(0);
  });

  it('property: own row is the vector clock, and the stable point never overclaims', () => {
    const nodes = 3;
    const names = ['n0', 'n1', 'n2'];
    fc.assert(
      fc.property(runArbitrary(nodes, 60), (steps) => {
        const matrices = names.map((n) => new MatrixClock(n, names));
        const vectors = names.map(() => new VectorClock());
        execute<{ m: MatrixClockJson; v: VectorClock; from: string }, null>(nodes, steps, {
          local: (i) => {
            matrices[i]!.tick();
            vectors[i]!.increment(names[i]!);
            return null;
          },
          send: (i) => {
            const m = matrices[i]!.send();
            const v = vectors[i]!.increment(names[i]!).clone();
            return { stamp: null, message: { m: JSON.parse(JSON.stringify(m)), v, from: names[i]! } };
          },
          receive: (i, message) => {
            matrices[i]!.receive(message.from, message.m);
            vectors[i]!.merge(message.v).increment(names[i]!);
            return null;
          },
        });
        for (let i = 0; i < nodes; i++) {
          expect(matrices[i]!.vector.compare(vectors[i]!)).toBe('equal');
          const stable = matrices[i]!.stable();
          // What i believes everyone has seen, everyone really has seen.
          for (const v of vectors) expect(v.descends(stable)).toBe(true);
          // What i believes j knows, j really knows.
          for (let j = 0; j < nodes; j++) expect(vectors[j]!.descends(matrices[i]!.row(names[j]!))).toBe(true);
        }
      }),
    );
  });

  it('encodes to JSON and binary and back; malformed input is a DecodeError', () => {
    const a = new MatrixClock('a', ['b', 'c']);
    const b = new MatrixClock('b');
    b.receive('a', a.send());
    b.tick();
    const json = JSON.parse(JSON.stringify(b));
    expect(MatrixClock.fromJSON(json, 'b').toJSON()).toEqual(b.toJSON());
    expect(MatrixClock.decode(b.encode(), 'b').toJSON()).toEqual(b.toJSON());
    const bytes = b.encode();
    for (let cut = 0; cut < bytes.length; cut++) {
      let error: unknown;
      try {
        MatrixClock.decode(bytes.subarray(0, cut), 'b');
      } catch (e) {
        error = e;
      }
      expect(isLatticeError(error, DecodeError.code)).toBe(true);
    }
    const newer = bytes.slice();
    newer[0] = 2;
    expect(() => MatrixClock.decode(newer, 'b')).toThrow(expect.objectContaining({ code: UnsupportedVersionError.code, version: 2, supported: 1 }));
    const never = bytes.slice();
    never[0] = 0;
    expect(() => MatrixClock.decode(never, 'b')).toThrow(expect.objectContaining({ code: DecodeError.code }));
    for (const bad of [null, [], { a: { a: -1 } }, { '': {} }, { a: 'x' }]) {
      const before = b.toJSON();
      expect(() => b.receive('a', bad as unknown as MatrixClockJson)).toThrow(expect.objectContaining({ code: DecodeError.code }));
      expect(b.toJSON()).toEqual(before);
    }
  });
});
