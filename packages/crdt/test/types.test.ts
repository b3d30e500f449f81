import { InvalidArgumentError } from '@lattice/core';
import { describe, expect, it } from 'vitest';
import {
  CausalCounter,
  GCounter,
  GSet,
  LWWMap,
  LWWRegister,
  MVRegister,
  ORMap,
  ORSet,
  PNCounter,
  ReadOnlyReplicaError,
  TwoPhaseSet,
} from '../src/index.js';
import { steppingClock } from './specs.js';

const sorted = <T>(values: Iterable<T>): T[] => [...values].sort();

describe('counters', () => {
  it('GCounter and PNCounter sum per-node contributions; deltas carry only the changed node', () => {
    const a = new GCounter('a');
    const b = new GCounter('b');
    const delta = a.increment(2);
    expect(delta.totals).toEqual(new Map([['a', 2]]));
    b.join(delta).join(a.increment(3));
    b.increment();
    expect(b.value()).toBe(6);
    expect(() => a.increment(-1)).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
    expect(() => new GCounter().increment()).toThrow(expect.objectContaining({ code: ReadOnlyReplicaError.code }));
    const p = new PNCounter('p');
    const q = new PNCounter('q');
    q.join(p.increment(5)).join(p.decrement(7));
    q.increment(-1);
    expect(q.value()).toBe(-3);
  });

  it('CausalCounter keeps one dot per node; a concurrent increment re-asserts that node\'s running total over a reset', () => {
    const a = new CausalCounter('a');
    const b = new CausalCounter('b');
    b.join(a.increment(5));
    const reset = b.reset();
    const concurrent = a.increment(2);
    a.join(reset);
    b.join(concurrent);
    // a's new dot carries its whole running total (5 + 2), which the reset had not observed.
    expect(a.value()).toBe(7);
    expect(b.value()).toBe(7);
    expect(a.store).toHaveLength(1);
    // A reset that has observed everything clears it everywhere.
    a.join(b.join(a.reset()));
    expect(a.value()).toBe(0);
    expect(b.value()).toBe(0);
  });
});

describe('registers', () => {
  it('LWWRegister keeps the later write and breaks timestamp ties by node id', () => {
    const clock = steppingClock();
    const a = new LWWRegister<string>('a', { clock });
    const b = new LWWRegister<string>('b', { clock });
    const x = a.set('from-a');
    const y = b.set('from-b'); // same wall time and logical counter: node id decides
    a.join(y);
    b.join(x);
    expect(a.value()).toBe('from-b');
    expect(b.value()).toBe('from-b');
    const later = a.set('after');
    b.join(later);
    expect(b.value()).toBe('after');
    expect(b.timestamp?.node).toBe('a');
  });

  it('LWWRegister writes after observing a remote write win even if the local clock lags', () => {
    let now = 1_000_000;
    const fast = new LWWRegister<number>('fast', { clock: { now: () => now + 5000, monotonic: () => now } });
    const slow = new LWWRegister<number>('slow', { clock: { now: () => now, monotonic: () => now } });
    slow.join(fast.set(1));
    now += 1;
    const answer = slow.set(2);
    fast.join(answer);
    expect(fast.value()).toBe(2);
  });

  it('MVRegister keeps concurrent writes as siblings until a write that has seen them', () => {
    const a = new MVRegister<string>('a');
    const b = new MVRegister<string>('b');
    const x = a.set('red');
    const y = b.set('blue');
    a.join(y);
    b.join(x);
    expect(a.value()).toEqual(['red', 'blue']);
    expect(b.value()).toEqual(['red', 'blue']);
    b.join(a.set('purple'));
    expect(b.value()).toEqual(['purple']);
    expect(b.clear().store).toEqual([]);
    expect(b.value()).toEqual([]);
  });
});

describe('sets', () => {
  it('GSet and TwoPhaseSet: removal in a 2P-Set is forever', () => {
    const g = new GSet<number>();
    expect(new GSet<number>().join(g.add(1)).has(1)).toBe(true);
    const a = new TwoPhaseSet<string>();
    const b = new TwoPhaseSet<string>();
    b.join(a.add('x'));
    b.join(a.remove('x'));
    expect(b.has('x')).toBe(false);
    b.add('x');
    expect(b.value().size).toBe(0);
    expect(a.remove('never').removed.size).toBe(0);
  });

  it('ORSet: add wins over a concurrent remove; a remove of an observed add wins', () => {
    const a = new ORSet<string>('a');
    const b = new ORSet<string>('b');
    b.join(a.add('milk'));
    const removed = a.remove('milk');
    const added = b.add('milk');
    a.join(added);
    b.join(removed);
    expect(a.has('milk') && b.has('milk')).toBe(true);
    b.join(a.remove('milk'));
    expect(b.has('milk')).toBe(false);
    expect(() => a.add(Number.NaN as unknown as string)).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
  });

  it('ORSet leaves no tombstones: add/remove cycles keep the store empty and the context compact', () => {
    const a = new ORSet<number>('a');
    const b = new ORSet<number>('b');
    for (let i = 0; i < 1000; i++) {
      b.join(a.add(i % 10));
      a.join(b.remove(i % 10));
    }
    expect(a.size).toBe(0);
    expect(b.store.size).toBe(0);
    expect(a.context.cloudSize).toBe(0);
    expect(b.context.toJSON()).toEqual({ a: { max: 1000, cloud: [] } });
  });
});

describe('maps', () => {
  it('LWWMap: later write or delete wins per key, tombstones are counted', () => {
    const clock = steppingClock();
    const a = new LWWMap<string, number>('a', { clock });
    const b = new LWWMap<string, number>('b', { clock });
    b.join(a.set('x', 1));
    clock.tick();
    const deletion = b.delete('x');
    clock.tick();
    const write = a.set('y', 2);
    a.join(deletion);
    b.join(write);
    expect([...a.value()]).toEqual([['y', 2]]);
    expect([...b.value()]).toEqual([['y', 2]]);
    expect(a.tombstones).toBe(1);
    expect(a.has('x')).toBe(false);
  });

  it('ORMap nests CRDTs: values merge, an update concurrent with a remove survives', () => {
    const a = new ORMap<string, ORSet>('a', ORSet.kind);
    const b = new ORMap<string, ORSet>('b', ORSet.kind);
    b.join(a.update('alice', (items) => items.add('apple')));
    const removal = a.remove('alice');
    const update = b.update('alice', (items) => items.add('pear'));
    a.join(update);
    b.join(removal);
    expect(sorted(a.get('alice') ?? [])).toEqual(['pear']);
    expect(sorted(b.get('alice') ?? [])).toEqual(['pear']);
    expect(() => a.update('alice', (items) => items)).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
  });

  it('ORMap of ORMaps of counters: deep updates replicate as small deltas', () => {
    const a = new ORMap<string, ORMap<string, CausalCounter>>('a', ORMap.kindOf(CausalCounter.kind));
    const b = new ORMap<string, ORMap<string, CausalCounter>>('b', ORMap.kindOf(CausalCounter.kind));
    const d1 = a.update('eu', (m) => m.update('visits', (c) => c.increment(3)));
    const d2 = b.update('eu', (m) => m.update('visits', (c) => c.increment(4)));
    const d3 = b.update('us', (m) => m.update('visits', (c) => c.increment()));
    a.join(d2).join(d3);
    b.join(d1);
    expect(a.get('eu')?.get('visits')).toBe(7);
    expect(b.get('eu')?.get('visits')).toBe(7);
    expect(d1.store.size).toBe(1);
    expect(a.keys().sort()).toEqual(['eu', 'us']);
    b.join(a.remove('us'));
    expect(b.has('us')).toBe(false);
  });

  it('ORMap of MV-Registers keeps concurrent writes per key', () => {
    const a = new ORMap<string, MVRegister>('a', MVRegister.kind);
    const b = new ORMap<string, MVRegister>('b', MVRegister.kind);
    const x = a.update('title', (r) => r.set('A'));
    const y = b.update('title', (r) => r.set('B'));
    a.join(y);
    b.join(x);
    expect(a.value()).toEqual(new Map([['title', ['A', 'B']]]));
    expect(b.value()).toEqual(a.value());
  });
});
