import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Timers } from '@lattice/core';
import { MemoryNetwork } from '@lattice/transport';
import { openWal, type WriteAheadLog } from '@lattice/wal';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Coordinator, encodeKvOps, MemoryKv, Participant, type ParticipantResource } from '../src/index.js';

const timers: Timers = { setTimeout: (run, ms) => setTimeout(run, ms), clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout) };

let dir: string;
let logs: WriteAheadLog[];
const open = async (name: string): Promise<WriteAheadLog> => {
  const log = await openWal(join(dir, name), { segmentSize: 4 * 1024 });
  logs.push(log);
  return log;
};
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'two-phase-compaction-'));
  logs = [];
});
afterEach(async () => {
  for (const log of logs) await log.close().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

/** A store that keeps committed work itself (it outlives the participant, as a database does). */
function durableStore(initial: Record<string, number>): MemoryKv & { durableCommits: true } {
  return Object.assign(new MemoryKv(initial), { durableCommits: true as const });
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe('Participant compaction on write-ahead logs', () => {
  it('forgets announced transactions, drops their records from a durable-commit participant\'s log, and reopens from what is left; a MemoryKv participant keeps its log', async () => {
    const network = new MemoryNetwork({ timers });
    const a = durableStore({ alice: 1000 });
    const b = new MemoryKv({ bob: 0 });
    const logA = await open('a');
    const logB = await open('b');
    const ea = await network.open('a');
    const eb = await network.open('b');
    let pa = await Participant.open({ endpoint: ea, log: logA, resource: a as ParticipantResource, timers, settledInquiryMs: 50 });
    let pb = await Participant.open({ endpoint: eb, log: logB, resource: b, timers, settledInquiryMs: 50 });
    const coordinator = await Coordinator.open({ endpoint: await network.open('c'), log: await open('c'), timers, announceForgotten: true });
    const debit = encodeKvOps([{ op: 'add', key: 'alice', amount: -1 }]);
    const credit = encodeKvOps([{ op: 'add', key: 'bob', amount: 1 }]);
    for (let i = 0; i < 60; i++) {
      const result = await coordinator.begin({ gid: `pay-${i}` }).enlist('a', debit).enlist('b', credit).commit();
      expect(result.outcome).toBe('committed');
    }
    await coordinator.idle();
    await until(() => pa.core.knownCount === 0 && pb.core.knownCount === 0, 'both participants to forget');
    await Promise.all([pa.settled(), pb.settled()]);
    // The durable-commit participant's log lost its forgotten prefix (the last forgotten records
    // wait for a synced append or close); the MemoryKv participant's log is its store: whole.
    const keptA = logA.lastIndex - logA.firstIndex + 1;
    const keptB = logB.lastIndex - logB.firstIndex + 1;
    expect(logA.firstIndex).toBeGreaterThan(60);
    expect(keptA).toBeLessThan(20);
    expect(logB.firstIndex).toBe(1);
    expect(keptB).toBeGreaterThanOrEqual(60 * 2);
    await pa.close();
    await pb.close();
    await ea.close();
    await eb.close();
    expect(logA.lastIndex - logA.firstIndex + 1).toBeLessThanOrEqual(keptA);
    // Reopened: nothing remembered, the stores as they were (b rebuilt from its log).
    const rebuilt = new MemoryKv({ bob: 0 });
    pa = await Participant.open({ endpoint: await network.open('a'), log: logA, resource: a as ParticipantResource, timers });
    pb = await Participant.open({ endpoint: await network.open('b'), log: logB, resource: rebuilt, timers });
    await Promise.all([pa.settled(), pb.settled()]);
    expect(pa.core.knownCount).toBe(0);
    expect(pb.core.knownCount).toBe(0);
    expect([a.get('alice'), rebuilt.get('bob')]).toEqual([940, 60]);
    // And it still works after the compaction.
    expect((await coordinator.begin({ gid: 'pay-after' }).enlist('a', debit).enlist('b', credit).commit()).outcome).toBe('committed');
    await coordinator.close();
    await pa.close();
    await pb.close();
    await network.close();
  });
});
