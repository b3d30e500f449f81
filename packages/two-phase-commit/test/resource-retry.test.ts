import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HandlerError, InvalidArgumentError, type Timers } from '@lattice/core';
import { codeOf } from '@lattice/test-kit';
import { MemoryNetwork } from '@lattice/transport';
import { openWal, type WriteAheadLog } from '@lattice/wal';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Coordinator, encodeKvOps, type Gid, MemoryKv, Participant, type ParticipantResource } from '../src/index.js';

const timers: Timers = { setTimeout: (run, ms) => setTimeout(run, ms), clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout) };

let dir: string;
let logs: WriteAheadLog[];
const open = async (name: string): Promise<WriteAheadLog> => {
  const log = await openWal(join(dir, name), { segmentSize: 64 * 1024 });
  logs.push(log);
  return log;
};
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'two-phase-retry-'));
  logs = [];
});
afterEach(async () => {
  for (const log of logs) await log.close().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

/** A MemoryKv whose commits fail while `down` is set, as a database does while it restarts. */
class FlakyKv implements ParticipantResource {
  readonly kv: MemoryKv;
  down = true;
  failures = 0;
  constructor(initial: Record<string, number>) {
    this.kv = new MemoryKv(initial);
  }
  prepare(gid: Gid, ops: Uint8Array) {
    return this.kv.prepare(gid, ops);
  }
  commit(gid: Gid) {
    if (this.down) {
      this.failures++;
      if (this.failures >= 3) this.down = false;
      throw new Error('connection refused');
    }
    this.kv.commit(gid);
  }
  abort(gid: Gid) {
    this.kv.abort(gid);
  }
  recover() {
    return this.kv.recover();
  }
}

describe('a resource that fails to commit', () => {
  it('is asked again with backoff until the commit goes through, each failure reported', async () => {
    const network = new MemoryNetwork({ timers });
    const flaky = new FlakyKv({ bob: 0 });
    const alice = new MemoryKv({ alice: 10 });
    const errors: unknown[] = [];
    const pb = await Participant.open({ endpoint: await network.open('b'), log: await open('b'), resource: flaky, timers, resourceRetry: { initialMs: 5, maxMs: 20 } });
    pb.on('error', (error) => errors.push(error));
    const pa = await Participant.open({ endpoint: await network.open('a'), log: await open('a'), resource: alice, timers });
    const coordinator = await Coordinator.open({ endpoint: await network.open('c'), log: await open('c'), timers });
    const result = await coordinator.transaction({ a: encodeKvOps([{ op: 'add', key: 'alice', amount: -4 }]), b: encodeKvOps([{ op: 'add', key: 'bob', amount: 4 }]) });
    expect(result.outcome).toBe('committed');
    await coordinator.idle();
    await Promise.all([pa.settled(), pb.settled()]);
    expect([alice.get('alice'), flaky.kv.get('bob')]).toEqual([6, 4]);
    expect(flaky.kv.preparedGids()).toEqual([]);
    expect(errors).toHaveLength(3);
    expect(errors.every((error) => (error as HandlerError).code === HandlerError.code)).toBe(true);
    await coordinator.close();
    await pa.close();
    await pb.close();
    await network.close();
  });

  it('stops repeating when the participant closes (the next open settles it from the log)', async () => {
    const network = new MemoryNetwork({ timers });
    const flaky = new FlakyKv({ bob: 0 });
    flaky.failures = Number.NEGATIVE_INFINITY; // never comes back
    const log = await open('b');
    const pb = await Participant.open({ endpoint: await network.open('b'), log, resource: flaky, timers, resourceRetry: { initialMs: 5, maxMs: 5 } });
    const failed = new Promise<void>((resolve) => pb.on('error', () => resolve()));
    const pa = await Participant.open({ endpoint: await network.open('a'), log: await open('a'), resource: new MemoryKv({ alice: 10 }), timers });
    const coordinator = await Coordinator.open({ endpoint: await network.open('c'), log: await open('c'), timers });
    expect((await coordinator.transaction({ a: encodeKvOps([{ op: 'add', key: 'alice', amount: -1 }]), b: encodeKvOps([{ op: 'add', key: 'bob', amount: 1 }]) })).outcome).toBe('committed');
    await failed; // the decision arrived and the commit failed at least once
    await coordinator.close();
    await pb.close(); // resolves although the resource is still down
    expect(flaky.kv.get('bob')).toBe(0);
    flaky.down = false;
    flaky.failures = 0;
    const reopened = await Participant.open({ endpoint: await network.open('b2'), log, resource: flaky, timers });
    await reopened.settled();
    expect(flaky.kv.get('bob')).toBe(1);
    await reopened.close();
    await pa.close();
    await network.close();
  });

  it('refuses a bad retry policy with a typed error', async () => {
    const network = new MemoryNetwork({ timers });
    const endpoint = await network.open('x');
    const code = codeOf(() => new Participant({ endpoint, resource: new MemoryKv(), storage: { persist: () => undefined }, resourceRetry: { initialMs: 0, maxMs: 5 } }));
    expect(code).toBe(InvalidArgumentError.code);
    await network.close();
  });
});
