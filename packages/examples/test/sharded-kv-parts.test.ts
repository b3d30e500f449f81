import { SimDisk } from '@lattice/sim';
import { seededRandom } from '@lattice/core';
import { MemoryNetwork } from '@lattice/transport';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exportedErrorClassProblems, sourceErrorClassProblems } from '../../../scripts/error-classes.js';
import * as mux from '../src/sharded-kv/group-mux.js';
import * as kvProcess from '../src/sharded-kv/kv-process.js';
import * as machine from '../src/sharded-kv/shard-machine.js';
import { DiskLogStore } from '../src/sharded-kv/disk-log-store.js';
import { decodeEnvelope, encodeEnvelope, GroupMux, MalformedEnvelopeError } from '../src/sharded-kv/group-mux.js';
import { decodeTransferOps } from '../src/sharded-kv/ops.js';
import { decodeShardCommand, encodeShardCommand, MalformedShardCommandError, type ShardCommand, ShardMachine } from '../src/sharded-kv/shard-machine.js';

const apply = (machine: ShardMachine, command: ShardCommand) => machine.apply(encodeShardCommand(command));
// Timestamps compare as strings, as formatted HLC timestamps do.
const ts = (n: number) => `t${String(n).padStart(4, '0')}`;

describe('ShardMachine', () => {
  it('makes a snapshot read wait for a transaction prepared at or below its timestamp, and not for one above', () => {
    const machine = new ShardMachine();
    expect(apply(machine, { t: 'prepare', gid: 'g1', writes: [['x', '1']], readTs: ts(1), commitTs: ts(5) })).toMatchObject({ vote: 'yes' });
    expect(apply(machine, { t: 'read', keys: ['x'], ts: ts(4) })).toMatchObject({ type: 'values', values: { x: null } });
    expect(apply(machine, { t: 'read', keys: ['x'], ts: ts(5) })).toEqual({ type: 'blocked', key: 'x', gid: 'g1' });
    apply(machine, { t: 'commit', gid: 'g1' });
    expect(apply(machine, { t: 'read', keys: ['x'], ts: ts(5) })).toMatchObject({ values: { x: { ts: ts(5), value: '1' } } });
    expect(apply(machine, { t: 'read', keys: ['x'], ts: ts(4) })).toMatchObject({ values: { x: null } });
  });

  it('without the wait (the deliberate bug) a read at a timestamp is not repeatable', () => {
    const machine = new ShardMachine({ readIgnoresPrepared: true });
    apply(machine, { t: 'prepare', gid: 'g1', writes: [['x', '1']], readTs: ts(1), commitTs: ts(5) });
    expect(apply(machine, { t: 'read', keys: ['x'], ts: ts(6) })).toMatchObject({ values: { x: null } });
    apply(machine, { t: 'commit', gid: 'g1' });
    expect(apply(machine, { t: 'read', keys: ['x'], ts: ts(6) })).toMatchObject({ values: { x: { value: '1' } } });
  });

  it('refuses a prepare below a served read, on a locked key, or after a newer version (first committer wins)', () => {
    const machine = new ShardMachine();
    apply(machine, { t: 'read', keys: ['x'], ts: ts(10) });
    expect(apply(machine, { t: 'prepare', gid: 'a', writes: [['x', '1']], readTs: ts(1), commitTs: ts(9) })).toMatchObject({ vote: 'no' });
    expect(apply(machine, { t: 'prepare', gid: 'b', writes: [['x', '1']], readTs: ts(10), commitTs: ts(11) })).toMatchObject({ vote: 'yes' });
    expect(apply(machine, { t: 'prepare', gid: 'c', writes: [['x', '2']], readTs: ts(10), commitTs: ts(12) })).toMatchObject({ vote: 'no' });
    apply(machine, { t: 'commit', gid: 'b' });
    expect(apply(machine, { t: 'txn', gid: 'd', writes: [['x', '3']], readTs: ts(10), commitTs: ts(13) })).toMatchObject({ type: 'conflict' });
    expect(apply(machine, { t: 'txn', gid: 'e', writes: [['x', '3']], readTs: ts(11), commitTs: ts(13) })).toEqual({ type: 'committed' });
    // A prepare that arrives again after its abort is refused again; an abort that overtook its prepare wins.
    expect(apply(machine, { t: 'prepare', gid: 'a', writes: [['x', '1']], readTs: ts(13), commitTs: ts(20) })).toMatchObject({ vote: 'no' });
    apply(machine, { t: 'abort', gid: 'f' });
    expect(apply(machine, { t: 'prepare', gid: 'f', writes: [['y', '1']], readTs: ts(13), commitTs: ts(20) })).toMatchObject({ vote: 'no' });
  });

  it('exports moved keys with their versions and refuses them afterwards', () => {
    const old = new ShardMachine();
    apply(old, { t: 'txn', gid: 'a', writes: [['x', '1'], ['y', '2']], readTs: ts(1), commitTs: ts(2) });
    apply(old, { t: 'read', keys: ['x'], ts: ts(9) });
    const exported = apply(old, { t: 'export', keys: ['x'], to: 's4' });
    expect(exported).toEqual({ type: 'exported', versions: [['x', [{ ts: ts(2), value: '1' }]]], marks: [['x', ts(9)]] });
    expect(apply(old, { t: 'read', keys: ['x'], ts: ts(3) })).toEqual({ type: 'moved', key: 'x', to: 's4' });
    expect(old.keys()).toEqual(['y']);
    // Retried after a lost answer: the same versions again.
    expect(apply(old, { t: 'export', keys: ['x'], to: 's4' })).toEqual(exported);
    const fresh = new ShardMachine();
    if (exported.type !== 'exported') throw new Error('not exported');
    apply(fresh, { t: 'ingest', versions: exported.versions, marks: exported.marks });
    expect(apply(fresh, { t: 'read', keys: ['x'], ts: ts(3) })).toMatchObject({ values: { x: { value: '1' } } });
    // The old owner served a read at 9: the new owner refuses a commit below it.
    expect(apply(fresh, { t: 'txn', gid: 'b', writes: [['x', '2']], readTs: ts(3), commitTs: ts(8) })).toMatchObject({ type: 'conflict' });
  });

  it('gives the same state on every replica, through snapshots too, for any command sequence (property)', () => {
    const command = fc.oneof(
      fc.record({ t: fc.constant('read' as const), keys: fc.subarray(['x', 'y', 'z'], { minLength: 1 }), ts: fc.nat(30).map(ts) }),
      fc.record({ t: fc.constant('prepare' as const), gid: fc.constantFrom('a', 'b', 'c', 'd'), writes: fc.constant([['x', 'v'], ['y', 'w']] as [string, string][]), readTs: fc.nat(15).map(ts), commitTs: fc.integer({ min: 16, max: 30 }).map(ts) }),
      fc.record({ t: fc.constantFrom('commit' as const, 'abort' as const), gid: fc.constantFrom('a', 'b', 'c', 'd') }),
    );
    fc.assert(
      fc.property(fc.array(command, { maxLength: 30 }), fc.nat(30), (commands, cut) => {
        const a = new ShardMachine();
        const b = new ShardMachine();
        commands.forEach((c, i) => {
          expect(apply(a, c)).toEqual(apply(b, c));
          if (i === cut) b.restore(a.snapshot());
        });
        expect(b.snapshot()).toEqual(a.snapshot());
      }),
    );
  });

  it('turns garbage into a typed error, and applying it changes nothing', () => {
    const machine = new ShardMachine();
    const before = machine.snapshot();
    for (const bytes of [new Uint8Array([0xff]), new TextEncoder().encode('{"t":"read","keys":[1]}'), new TextEncoder().encode('null')]) {
      expect(() => decodeShardCommand(bytes)).toThrow(expect.objectContaining({ code: MalformedShardCommandError.code }));
      expect(machine.apply(bytes)).toMatchObject({ type: 'invalid' });
    }
    expect(() => decodeTransferOps(new TextEncoder().encode('{"writes":5}'))).toThrow(expect.objectContaining({ code: MalformedShardCommandError.code }));
    expect(machine.snapshot()).toEqual(before);
  });
});

describe('GroupMux (multi-raft on one endpoint)', () => {
  it('carries each group on its own channel, addresses a group role at every replica, and reports garbage as a typed error', async () => {
    const network = new MemoryNetwork();
    const [e1, e2] = [await network.open('n1'), await network.open('n2')];
    const placement = () => new Map([['g', ['n1', 'n2']]]);
    const [m1, m2] = [new GroupMux(e1, placement), new GroupMux(e2, placement)];
    const got: string[] = [];
    m2.raftEndpoint('g').onMessage(({ from, payload }) => got.push(`raft g from ${from}: ${payload[0]}`));
    m2.raftEndpoint('h').onMessage(({ from, payload }) => got.push(`raft h from ${from}: ${payload[0]}`));
    m2.groupEndpoint('g').onMessage(({ from, payload }) => got.push(`role g from ${from}: ${payload[0]}`));
    const errors: string[] = [];
    m2.onError((error) => errors.push(error.code));
    await m1.raftEndpoint('g').send('n2', new Uint8Array([1]));
    await m1.raftEndpoint('h').send('n2', new Uint8Array([2]));
    await m1.groupEndpoint('coord').send('g', new Uint8Array([3]));
    await e1.send('n2', new Uint8Array([9, 9]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(got.sort()).toEqual(['raft g from n1: 1', 'raft h from n1: 2', 'role g from coord: 3']);
    expect(errors).toEqual([MalformedEnvelopeError.code]);
    expect(() => decodeEnvelope(new Uint8Array([1, 200]))).toThrow(expect.objectContaining({ code: MalformedEnvelopeError.code }));
    expect(decodeEnvelope(encodeEnvelope('raft/g', 'n1', new Uint8Array([7])))).toEqual({ channel: 'raft/g', from: 'n1', payload: new Uint8Array([7]) });
    m1.close();
    m2.close();
    await network.close();
  });
});

describe('DiskLogStore', () => {
  it('keeps what was appended across a crash and after compaction', async () => {
    const disk = new SimDisk({ tornWrites: true });
    const log = new DiskLogStore(disk, 'raft-g');
    expect(await log.append([new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])])).toEqual([1, 2, 3]);
    await log.dropPrefix(3);
    await log.append([new Uint8Array([4])]);
    // A write the process never synced is lost (torn) in the crash; the store never acknowledged it.
    disk.append('raft-g', new Uint8Array([0, 0, 0, 9, 1, 2]));
    disk.crash(seededRandom(1));
    const reopened = new DiskLogStore(disk, 'raft-g');
    const entries: number[][] = [];
    for await (const { index, data } of reopened.entries()) entries.push([index, data[0]!]);
    expect(entries).toEqual([
      [3, 3],
      [4, 4],
    ]);
    expect(await reopened.append([new Uint8Array([5])])).toEqual([5]);
    expect(new DiskLogStore(disk, 'raft-g').lastIndex).toBe(5);
  });
});

describe('sharded-kv error classes', () => {
  it('are declared in the house form, with a literal name and a static code equal to their instances\' code', () => {
    expect(sourceErrorClassProblems(new URL('../src/sharded-kv/', import.meta.url))).toEqual([]);
    expect(exportedErrorClassProblems([mux, kvProcess, machine])).toEqual([]);
  });
});
