import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, type Timers } from '@lattice/core';
import { MemoryNetwork } from '@lattice/transport';
import { openWal, type WriteAheadLog } from '@lattice/wal';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Coordinator,
  coordinatorRecordCodec,
  encodeKvOps,
  InvalidGidError,
  MemoryKv,
  Participant,
  participantRecordCodec,
  WalRecordStorage,
} from '../src/index.js';

const timers: Timers = { setTimeout: (run, ms) => setTimeout(run, ms), clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout) };

let dir: string;
let logs: WriteAheadLog[];
const open = async (name: string): Promise<WriteAheadLog> => {
  const log = await openWal(join(dir, name), { segmentSize: 64 * 1024 });
  logs.push(log);
  return log;
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'two-phase-'));
  logs = [];
});
afterEach(async () => {
  for (const log of logs) await log.close().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

const debit = (key: string, amount: number) => encodeKvOps([{ op: 'add', key, amount: -amount }]);
const credit = (key: string, amount: number) => encodeKvOps([{ op: 'add', key, amount }]);

describe('Coordinator and Participant on write-ahead logs', () => {
  it('commits concurrent transfers, and a restarted participant rebuilds its store from its log', async () => {
    const network = new MemoryNetwork({ timers });
    const a = new MemoryKv({ alice: 100 });
    const b = new MemoryKv({ bob: 0 });
    const pa = await Participant.open({ endpoint: await network.open('a'), log: await open('a'), resource: a, timers });
    const pb = await Participant.open({ endpoint: await network.open('b'), log: await open('b'), resource: b, timers });
    const coordinator = await Coordinator.open({ endpoint: await network.open('c'), log: await open('c'), timers });
    const results = await Promise.all([1, 2, 3].map((n) => coordinator.begin({ gid: `pay-${n}` }).enlist('a', debit('alice', 10)).enlist('b', credit('bob', 10)).commit()));
    // No-wait locking: concurrent transfers on one account may refuse each other; each is all or nothing.
    const committed = results.filter((r) => r.outcome === 'committed').length;
    expect(committed).toBeGreaterThanOrEqual(1);
    await coordinator.idle();
    await Promise.all([pa.settled(), pb.settled()]);
    expect([a.get('alice'), b.get('bob')]).toEqual([100 - 10 * committed, 10 * committed]);
    await coordinator.close();
    await pa.close();
    await pb.close();
    await logs[0]!.close();
    // A crash loses the in-memory store: the participant's log brings it back.
    const network2 = new MemoryNetwork({ timers });
    const again = new MemoryKv({ alice: 100 });
    const reopened = await Participant.open({ endpoint: await network2.open('a'), log: await open('a'), resource: again, timers });
    await reopened.settled();
    expect(again.get('alice')).toBe(100 - 10 * committed);
    expect(reopened.core.inDoubt()).toEqual([]);
    await reopened.close();
    await network.close();
    await network2.close();
  });

  it('a restarted coordinator re-drives a logged commit to an in-doubt participant', async () => {
    const ops = credit('bob', 5);
    const coordinatorStore = await WalRecordStorage.open(await open('c'), coordinatorRecordCodec());
    await coordinatorStore.storage.persist([{ type: 'decision', gid: 'g', outcome: 'committed', participants: ['b'] }], { sync: true });
    const participantStore = await WalRecordStorage.open(await open('b'), participantRecordCodec());
    await participantStore.storage.persist([{ type: 'prepared', gid: 'g', coordinator: 'c', participants: ['b'], ops }], { sync: true });
    for (const log of logs.splice(0)) await log.close();

    const network = new MemoryNetwork({ timers });
    const b = new MemoryKv({ bob: 1 });
    const participant = await Participant.open({ endpoint: await network.open('b'), log: await open('b'), resource: b, timers });
    expect(participant.core.inDoubt()).toEqual(['g']);
    const coordinator = await Coordinator.open({ endpoint: await network.open('c'), log: await open('c'), timers, retry: { initialMs: 5, maxMs: 20 } });
    expect(coordinator.core.inDoubt()).toEqual(['g']);
    await coordinator.idle();
    await participant.settled();
    expect(b.get('bob')).toBe(6);
    expect(participant.core.state('g')).toBe('committed');
    await coordinator.close();
    await participant.close();
    await network.close();
  });

  it('refuses bad input with typed errors', async () => {
    const network = new MemoryNetwork({ timers });
    const coordinator = await Coordinator.open({ endpoint: await network.open('c'), log: await open('c'), timers });
    await expect(coordinator.transaction({ a: new Uint8Array() }, { gid: 'x'.repeat(201) })).rejects.toMatchObject({ code: InvalidGidError.code });
    await expect(coordinator.transaction({})).rejects.toMatchObject({ code: InvalidArgumentError.code });
    expect(() => coordinator.begin().enlist('a', 'ops' as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
    await expect(
      Participant.open({ endpoint: await network.open('p'), log: await open('p'), resource: {} as never, timers }),
    ).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await coordinator.close();
    await network.close();
  });
});
