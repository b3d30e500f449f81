import { ClosedError, DecodeError, type LatticeError, seededRandom } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import { MemoryNetwork } from '@lattice/transport';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Crdt, CrdtSync, DotContext, encodeSyncMessage, GSet, ORSet, UnsupportedVersionError } from '../src/index.js';
import { canonical, specs, syncCluster, type TypeSpec } from './specs.js';

const NODES = ['a', 'b', 'c', 'd'];

const cluster = (spec: TypeSpec, seed: number, options: { maxLogEntries?: number } = {}) => syncCluster(spec, NODES, seed, options);

function converged(syncs: CrdtSync<Crdt>[]): boolean {
  const first = canonical(syncs[0]!.replica);
  return syncs.every((sync) => canonical(sync.replica) === first);
}

describe.each(specs)('CrdtSync of $name over a faulty MemoryNetwork', (spec) => {
  it('converges after drops, duplicates, reordering and a partition heal', async () => {
    const scenario = fc.record({
      seed: fc.integer({ min: 1, max: 1_000_000 }),
      ops: fc.array(fc.tuple(fc.integer({ min: 0, max: NODES.length - 1 }), spec.op, fc.integer({ min: 0, max: 40 })), { minLength: 1, maxLength: 40 }),
      partitionAt: fc.integer({ min: 0, max: 39 }),
    });
    await fc.assert(
      fc.asyncProperty(scenario, async ({ seed, ops, partitionAt }) => {
        const { clock, network, syncs } = await cluster(spec, seed, { maxLogEntries: 16 });
        network.configure({ dropRate: 0.3, duplicateRate: 0.2, reorderRate: 0.3, latency: { min: 0, max: 30 } });
        const deltas: Crdt[] = [];
        for (const [index, [node, op, wait]] of ops.entries()) {
          if (index === partitionAt) network.partition({ left: ['a', 'b'], right: ['c', 'd'] });
          deltas.push(syncs[node]!.update(op).clone());
          await clock.advanceAsync(wait);
        }
        await clock.advanceAsync(300);
        network.heal();
        network.configure({ dropRate: 0.3, duplicateRate: 0.2, reorderRate: 0.3, latency: { min: 0, max: 30 } });
        for (let round = 0; round < 100 && !converged(syncs); round++) await clock.advanceAsync(100);
        expect(converged(syncs)).toBe(true);
        const everything = deltas.reduce((acc, delta) => acc.join(delta), syncs[0]!.replica.empty());
        expect(canonical(syncs[0]!.replica)).toBe(canonical(everything));
        expect(network.stats().dropped).toBeGreaterThan(0);
        for (const sync of syncs) await sync.close();
        await network.close();
      }),
      { numRuns: 6 },
    );
  });
});

describe('CrdtSync', () => {
  it('lets a replica that was offline catch up, by deltas or by full state', async () => {
    const spec = specs.find((s) => s.name === 'ORSet')!;
    const { clock, network, syncs } = await cluster(spec, 7, { maxLogEntries: 8 });
    const [a, b, c, d] = syncs as unknown as [CrdtSync<ORSet>, CrdtSync<ORSet>, CrdtSync<ORSet>, CrdtSync<ORSet>];
    network.isolate('d');
    for (let i = 0; i < 30; i++) [a, b, c][i % 3]!.update((set) => set.add(`item-${i}`));
    await clock.advanceAsync(500);
    a.update((set) => set.remove('item-4'));
    await clock.advanceAsync(500);
    expect(d.replica.size).toBe(0);
    expect(a.replica.size).toBe(29);
    d.update((set) => set.add('offline-write'));
    network.heal();
    await clock.advanceAsync(250);
    expect(converged(syncs)).toBe(true);
    expect(d.replica.has('offline-write') && d.replica.has('item-29') && !d.replica.has('item-4')).toBe(true);
    await network.close();
  });

  it('reports garbage and newer-version messages as typed errors and leaves the replica untouched', async () => {
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock, random: seededRandom(3) });
    const sender = await network.open('x');
    const sync = new CrdtSync({ endpoint: await network.open('a'), replica: new ORSet<string>('a'), timers: clock });
    sync.update((set) => set.add('kept'));
    const before = canonical(sync.replica);
    const errors: LatticeError[] = [];
    sync.onError((error) => errors.push(error));
    await sender.send('a', new Uint8Array([1, 2, 3, 4, 5]));
    const valid = encodeSyncMessage('crdt', { type: 'digest', have: new DotContext(), reply: false });
    const newer = valid.slice();
    newer[2] = 9;
    await sender.send('a', newer);
    const truncated = encodeSyncMessage('crdt', { type: 'deltas', entries: [{ origin: 'x', seq: 1, delta: new ORSet<string>('x').add('evil') }] });
    await sender.send('a', truncated.subarray(0, truncated.length - 2));
    await clock.advanceAsync(10);
    expect(errors.map((error) => error.code)).toEqual([DecodeError.code, UnsupportedVersionError.code, DecodeError.code]);
    expect(sync.stats().rejected).toBe(3);
    expect(sync.rejected).toBe(sync.stats().rejected);
    expect(canonical(sync.replica)).toBe(before);
    await sync.close();
    await network.close();
  });

  it('syncs types without a node id, logging their deltas under the endpoint id', async () => {
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock });
    const a = new CrdtSync({ endpoint: await network.open('a'), replica: new GSet<string>(), peers: ['b'], timers: clock });
    const b = new CrdtSync({ endpoint: await network.open('b'), replica: new GSet<string>(), peers: ['a'], timers: clock });
    a.update((set) => set.add('x'));
    b.update((set) => set.add('y'));
    await clock.advanceAsync(10);
    expect(a.protocol.origin).toBe('a');
    expect([...b.replica.value()].sort()).toEqual(['x', 'y']);
    expect([...a.replica.value()].sort()).toEqual(['x', 'y']);
    await network.close();
  });

  it('ignores messages of another topic and stops sending after close', async () => {
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock });
    const a = new CrdtSync({ endpoint: await network.open('a'), replica: new ORSet<string>('a'), peers: ['b'], timers: clock, topic: 'one' });
    const b = new CrdtSync({ endpoint: await network.open('b'), replica: new ORSet<string>('b'), peers: ['a'], timers: clock, topic: 'two' });
    a.update((set) => set.add('x'));
    await clock.advanceAsync(2500);
    expect(b.replica.size).toBe(0);
    await a.close();
    await b.close();
    const sent = network.stats().sent;
    await clock.advanceAsync(5000);
    expect(network.stats().sent).toBe(sent);
    expect(() => a.update((set) => set.add('y'))).toThrow(expect.objectContaining({ code: ClosedError.code }));
    await network.close();
  });
});
