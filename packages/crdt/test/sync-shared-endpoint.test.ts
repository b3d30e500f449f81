import { ByteWriter, DecodeError, type LatticeError } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import { MemoryNetwork } from '@lattice/transport';
import { describe, expect, it } from 'vitest';
import { CrdtSync, CrdtTypeMismatchError, DotContext, encodeSyncMessage, GCounter, LWWMap, ORSet, readSyncTopic, UnsupportedVersionError } from '../src/index.js';

describe('CrdtSync objects of different types on one endpoint', () => {
  it('converge on their own topics with no rejections and no errors', async () => {
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock, seed: 11 });
    const endpointA = await network.open('a');
    const endpointB = await network.open('b');
    const common = { timers: clock, intervalMs: 100 };
    const setA = new CrdtSync({ ...common, endpoint: endpointA, replica: new ORSet<string>('a'), peers: ['b'], topic: 'carts' });
    const setB = new CrdtSync({ ...common, endpoint: endpointB, replica: new ORSet<string>('b'), peers: ['a'], topic: 'carts' });
    const countA = new CrdtSync({ ...common, endpoint: endpointA, replica: new GCounter('a'), peers: ['b'], topic: 'visits' });
    const countB = new CrdtSync({ ...common, endpoint: endpointB, replica: new GCounter('b'), peers: ['a'], topic: 'visits' });
    const mapA = new CrdtSync({ ...common, endpoint: endpointA, replica: new LWWMap<string, number>('a', { clock }), peers: ['b'], topic: 'settings' });
    const mapB = new CrdtSync({ ...common, endpoint: endpointB, replica: new LWWMap<string, number>('b', { clock }), peers: ['a'], topic: 'settings' });
    const all = [setA, setB, countA, countB, mapA, mapB];
    const errors: LatticeError[] = [];
    for (const sync of all) sync.onError((error) => errors.push(error));

    setA.update((set) => set.add('apple'));
    setB.update((set) => set.add('pear'));
    countA.update((counter) => counter.increment(2));
    countB.update((counter) => counter.increment(3));
    mapA.update((map) => map.set('volume', 7));
    mapB.update((map) => map.set('theme', 1));
    // A partition makes the later writes travel by anti-entropy digests and answers, not only pushes.
    network.partition({ left: ['a'], right: ['b'] });
    setA.update((set) => set.add('plum'));
    countB.update((counter) => counter.increment(5));
    await clock.advanceAsync(250);
    network.heal();
    await clock.advanceAsync(500);

    expect(errors).toEqual([]);
    expect(all.map((sync) => sync.stats().rejected)).toEqual([0, 0, 0, 0, 0, 0]);
    expect([...setA.replica.value()].sort()).toEqual(['apple', 'pear', 'plum']);
    expect([...setB.replica.value()].sort()).toEqual(['apple', 'pear', 'plum']);
    expect(countA.replica.value()).toBe(10);
    expect(countB.replica.value()).toBe(10);
    expect(mapA.replica.value()).toEqual(new Map([['theme', 1], ['volume', 7]]));
    expect(mapB.replica.value()).toEqual(mapA.replica.value());
    for (const sync of all) await sync.close();
    await network.close();
  });

  it('still rejects a message of its own topic that carries another CRDT type', async () => {
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock });
    const sender = await network.open('x');
    const sync = new CrdtSync({ endpoint: await network.open('a'), replica: new ORSet<string>('a'), timers: clock, topic: 'carts' });
    const errors: LatticeError[] = [];
    sync.onError((error) => errors.push(error));
    const foreign = encodeSyncMessage('carts', { type: 'deltas', entries: [{ origin: 'x', seq: 1, delta: new GCounter('x').increment() }] });
    await sender.send('a', foreign);
    await clock.advanceAsync(10);
    expect(errors.map((error) => error.code)).toEqual([CrdtTypeMismatchError.code]);
    expect(sync.stats().rejected).toBe(1);
    expect(sync.replica.size).toBe(0);
    await sync.close();
    await network.close();
  });
});

describe('readSyncTopic', () => {
  it('reads the topic from the header alone, whatever the body holds', () => {
    const digest = encodeSyncMessage('carts', { type: 'digest', have: new DotContext(), reply: false });
    expect(readSyncTopic(digest)).toBe('carts');
    const deltas = encodeSyncMessage('visits', { type: 'deltas', entries: [{ origin: 'a', seq: 1, delta: new GCounter('a').increment() }] });
    // A body cut short does not matter to the header.
    expect(readSyncTopic(deltas.subarray(0, 12))).toBe('visits');
  });

  it('throws typed errors on a bad header', () => {
    expect(() => readSyncTopic(new Uint8Array([1, 2, 3, 4]))).toThrow(expect.objectContaining({ code: DecodeError.code }));
    const newer = new ByteWriter(16);
    newer.byte(0x4c);
    newer.byte(0x53);
    newer.uint(9);
    newer.byte(1);
    newer.string('carts');
    expect(() => readSyncTopic(newer.finish())).toThrow(expect.objectContaining({ code: UnsupportedVersionError.code }));
  });
});
