import { DecodeError, isLatticeError } from '@lattice/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DottedVersionVector, DottedVersionVectorSet, VersionVector } from '../src/index.js';

describe('DottedVersionVector', () => {
  it('orders versions by whether one dot is in the other context', () => {
    const first = new DottedVersionVector({ node: 's', counter: 1 });
    const second = new DottedVersionVector({ node: 's', counter: 2 });
    const third = new DottedVersionVector({ node: 's', counter: 3 }, VersionVector.from({ s: 2 }));
    expect(first.compare(second)).toBe('concurrent'); // a plain version vector would say 'before'
    expect(first.compare(third)).toBe('before');
    expect(third.compare(second)).toBe('after');
    expect(third.compare(new DottedVersionVector({ node: 's', counter: 3 }))).toBe('equal');
    expect(first.happenedBefore(third)).toBe(true);
    expect(third.toVersionVector().toJSON()).toEqual({ s: 3 });
    expect(() => new DottedVersionVector({ node: 's', counter: 0 })).toThrow(/counter/);
  });
});

describe('DottedVersionVectorSet', () => {
  it('keeps concurrent writes as siblings and replaces what the client saw', () => {
    const key = new DottedVersionVectorSet<string>();
    key.put('s1', 'v1');
    const ctx = key.context();
    key.put('s1', 'v2');
    key.put('s1', 'v3', ctx);
    expect(key.values()).toEqual(['v2', 'v3']);
    key.put('s1', 'merged', key.context());
    expect(key.values()).toEqual(['merged']);
    expect(key.context().toJSON()).toEqual({ s1: 4 });
    key.discard(key.context());
    expect(key.values()).toEqual([]);
  });

  it('syncs replicas, keeping writes the other side has not seen', () => {
    const r1 = new DottedVersionVectorSet<string>();
    const r2 = new DottedVersionVectorSet<string>();
    r1.put('r1', 'a');
    r2.sync(r1);
    const ctx = r2.context();
    r2.put('r2', 'b', ctx); // replaces a
    r1.put('r1', 'c'); // concurrent with b
    r1.sync(r2);
    expect(r1.values().sort()).toEqual(['b', 'c']);
    r2.sync(r1);
    expect(r2.toJSON()).toEqual(r1.toJSON());
  });

  it('JSON round-trips and rejects malformed input with DecodeError', () => {
    const key = new DottedVersionVectorSet<number>();
    key.put('s', 1);
    key.put('t', 2);
    const json = JSON.parse(JSON.stringify(key));
    const back = DottedVersionVectorSet.fromJSON(json, (v): v is number => typeof v === 'number');
    expect(back.toJSON()).toEqual(key.toJSON());
    for (const bad of [
      null,
      '{',
      { context: { s: 1 } },
      { context: { s: -1 }, siblings: [] },
      { context: { s: 1 }, siblings: [{ node: 's', counter: 2, value: 1 }] }, // not covered
      { context: { s: 1 }, siblings: [{ node: 's', counter: 1, value: 1 }, { node: 's', counter: 1, value: 1 }] },
      { context: { s: 1 }, siblings: [{ node: '', counter: 1, value: 1 }] },
      { context: { s: 1 }, siblings: [{ node: 's', counter: 1.5, value: 1 }] },
      { context: { s: 1 }, siblings: [{ node: 's', counter: 1, value: 'x' }] },
    ]) {
      let error: unknown;
      try {
        DottedVersionVectorSet.fromJSON(bad, (v): v is number => typeof v === 'number');
      } catch (e) {
        error = e;
      }
      expect(isLatticeError(error, DecodeError.code), JSON.stringify(bad)).toBe(true);
    }
  });

  it('property: replicas converge to exactly the writes no later write has seen', () => {
    const replicas = 3;
    const clients = 3;
    const op = fc.oneof(
      fc.record({ kind: fc.constant('read' as const), client: fc.nat(clients - 1), replica: fc.nat(replicas - 1) }),
      fc.record({ kind: fc.constant('write' as const), client: fc.nat(clients - 1), replica: fc.nat(replicas - 1) }),
      fc.record({ kind: fc.constant('sync' as const), from: fc.nat(replicas - 1), to: fc.nat(replicas - 1) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const stores = Array.from({ length: replicas }, () => new DottedVersionVectorSet<number>());
        const sessions: ({ context: VersionVector; values: number[] } | undefined)[] = new Array(clients).fill(undefined);
        const superseded: Set<number>[] = [];
        for (const o of ops) {
          if (o.kind === 'read') {
            const store = stores[o.replica]!;
            sessions[o.client] = { context: store.context(), values: store.values() };
          } else if (o.kind === 'write') {
            const id = superseded.length;
            const session = sessions[o.client];
            const seen = new Set<number>();
            for (const value of session?.values ?? []) {
              seen.add(value);
              for (const older of superseded[value]!) seen.add(older);
            }
            superseded.push(seen);
            stores[o.replica]!.put(`r${o.replica}`, id, session?.context);
            sessions[o.client] = undefined;
          } else {
            stores[o.to]!.sync(stores[o.from]!);
          }
        }
        // Anti-entropy until quiescent: two rounds of all-to-all suffice.
        for (let round = 0; round < 2; round++) for (const a of stores) for (const b of stores) a.sync(b);
        const expected = superseded.map((_, id) => id).filter((id) => !superseded.some((seen) => seen.has(id)));
        for (const store of stores) {
          expect(store.values().sort((x, y) => x - y)).toEqual(expected);
          expect(store.toJSON()).toEqual(stores[0]!.toJSON());
        }
      }),
    );
  });

  it('property: sync is commutative, associative and idempotent', () => {
    const stateArb = fc
      .array(fc.record({ server: fc.constantFrom('a', 'b'), seeContext: fc.boolean() }), { maxLength: 6 })
      .map((writes) => writes);
    fc.assert(
      fc.property(stateArb, stateArb, stateArb, fc.nat(2), (w1, w2, w3, shared) => {
        // Build three replicas from a common history, then diverge.
        const base = new DottedVersionVectorSet<string>();
        for (let i = 0; i < shared; i++) base.put('a', `base${i}`, base.context());
        const build = (writes: typeof w1, tag: string) => {
          const s = base.clone();
          for (const [i, w] of writes.entries()) s.put(`${w.server}${tag}`, `${tag}${i}`, w.seeContext ? s.context() : undefined);
          return s;
        };
        const [x, y, z] = [build(w1, 'x'), build(w2, 'y'), build(w3, 'z')];
        const join = (p: DottedVersionVectorSet<string>, q: DottedVersionVectorSet<string>) => p.clone().sync(q);
        expect(join(x, y).toJSON()).toEqual(join(y, x).toJSON());
        expect(join(join(x, y), z).toJSON()).toEqual(join(x, join(y, z)).toJSON());
        expect(join(x, x).toJSON()).toEqual(x.toJSON());
      }),
    );
  });
});
