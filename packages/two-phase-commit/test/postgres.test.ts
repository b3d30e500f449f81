import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Timers, type NodeId, ByteReader, ByteWriter } from '@lattice/core';
import { describeWithService } from '@lattice/test-kit/vitest';
import { MemoryNetwork } from '@lattice/transport';
import { openWal, type WriteAheadLog } from '@lattice/wal';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Coordinator, encodeKvOps, InvalidGidError, MemoryKv, Participant, type PgSession, pgLiteral, PostgresResource } from '../src/index.js';

const timers: Timers = { setTimeout: (run, ms) => setTimeout(run, ms), clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout) };

/** The ops of a PostgreSQL leg: add `amount` to account `id`. */
function pgOps(id: string, amount: number): Uint8Array {
  const w = new ByteWriter();
  w.string(id);
  w.int(amount);
  return w.finish();
}

async function work(session: PgSession, ops: Uint8Array): Promise<void> {
  const r = new ByteReader(ops, 'bank ops');
  const id = r.string();
  const amount = r.int();
  r.end();
  // The CHECK constraint refuses an overdraft: the throw votes no.
  await session.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [amount, id]);
}

/** The same work as SQL text, for `statements`: an unknown account fails the NOT NULL of `moved.id`. */
function statements(ops: Uint8Array): string {
  const r = new ByteReader(ops, 'bank ops');
  const id = r.string();
  const amount = r.int();
  r.end();
  return `WITH changed AS (UPDATE accounts SET balance = balance + ${pgLiteral(amount)} WHERE id = ${pgLiteral(id)} RETURNING id) INSERT INTO moved (id) VALUES ((SELECT id FROM changed))`;
}

describeWithService('postgres', 'PostgresResource against a real PostgreSQL 15', (postgres) => {
  let pool: pg.Pool;
  let dir: string;
  const logs: WriteAheadLog[] = [];
  const balance = async (id: string): Promise<number> => Number((await pool.query('SELECT balance FROM accounts WHERE id = $1', [id])).rows[0].balance);

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: postgres().url, max: 4 });
    await pool.query('CREATE TABLE accounts (id text PRIMARY KEY, balance integer NOT NULL CHECK (balance >= 0))');
    await pool.query("INSERT INTO accounts VALUES ('carol', 100), ('heidi', 100), ('ivan', 100)");
    await pool.query('CREATE TABLE moved (id text NOT NULL)');
    dir = await mkdtemp(join(tmpdir(), 'two-phase-pg-'));
  });
  afterAll(async () => {
    for (const log of logs) await log.close().catch(() => undefined);
    await pool?.end();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('prepares with PREPARE TRANSACTION, commits and rolls back idempotently, votes no on a constraint', async () => {
    const resource = new PostgresResource({ pool, work });
    expect(await resource.prepare("it's-1", pgOps('carol', -10))).toBe('yes');
    expect(await resource.recover()).toEqual(["it's-1"]);
    expect(await resource.prepare("it's-1", pgOps('carol', -10))).toBe('yes'); // idempotent
    expect(await balance('carol')).toBe(100); // not visible before the commit
    await resource.commit("it's-1");
    await resource.commit("it's-1");
    expect(await balance('carol')).toBe(90);
    expect(await resource.prepare('overdraft', pgOps('carol', -1000))).toBe('no');
    expect(await resource.prepare('rolled-back', pgOps('carol', -5))).toBe('yes');
    await resource.abort('rolled-back');
    await resource.abort('rolled-back');
    expect(await resource.recover()).toEqual([]);
    expect(await balance('carol')).toBe(90);
  });

  it('prepares over the one session it holds: a pool of one connection does not deadlock, however many prepare at once', async () => {
    const single = new pg.Pool({ connectionString: postgres().url, max: 1 });
    try {
      await single.query("INSERT INTO accounts VALUES ('erin', 10), ('frank', 10), ('gina', 10) ON CONFLICT DO NOTHING");
      const resource = new PostgresResource({ pool: single, work });
      const votes = await Promise.all(['erin', 'frank', 'gina'].map((id) => resource.prepare(`one-pool-${id}`, pgOps(id, -1))));
      expect(votes).toEqual(['yes', 'yes', 'yes']);
      expect(await resource.prepare('one-pool-erin', pgOps('erin', -1))).toBe('yes'); // already prepared
      for (const id of ['erin', 'frank', 'gina']) await resource.abort(`one-pool-${id}`);
      expect(await resource.recover()).toEqual([]);
    } finally {
      await single.end();
    }
  }, 20_000);

  it('with statements, prepares in one round trip; a constraint or an unknown account votes no; a repeated prepare votes yes once its lock wait ends', async () => {
    const waiting = new pg.Pool({ connectionString: postgres().url, max: 2, options: '-c lock_timeout=200' });
    const queries: string[] = [];
    const counted = {
      connect: async () => {
        const session = await waiting.connect();
        const counting: PgSession = {
          query: (text, values) => {
            queries.push(text);
            return session.query(text, values as unknown[]);
          },
          release: (error) => session.release(error),
        };
        return counting;
      },
      query: (text: string) => waiting.query(text),
    };
    try {
      const resource = new PostgresResource({ pool: counted, statements });
      expect(await resource.prepare('one-trip', pgOps('heidi', -10))).toBe('yes');
      expect(queries).toHaveLength(1);
      expect(queries[0]).toMatch(/^BEGIN; WITH changed .*; PREPARE TRANSACTION 'one-trip'$/);
      expect(await resource.prepare('one-trip', pgOps('heidi', -10))).toBe('yes'); // waits on its own lock, then finds it prepared
      expect(await resource.prepare('too-much', pgOps('ivan', -1000))).toBe('no');
      expect(await resource.prepare('nobody', pgOps('nobody', 5))).toBe('no');
      expect(await resource.recover()).toEqual(['one-trip']);
      await resource.commit('one-trip');
      expect(await balance('heidi')).toBe(90);
      expect(await balance('ivan')).toBe(100);
      expect(() => new PostgresResource({ pool, work, statements })).toThrow(/exactly one of work and statements/);
      expect(() => pgLiteral(1.5)).toThrow(/safe integers/);
      expect(pgLiteral("it's")).toBe("'it''s'");
    } finally {
      await waiting.end();
    }
  }, 20_000);

  it('with durablePrepare, the PostgreSQL gid names the coordinator and the participants, and a new resource finishes it by its gid', async () => {
    const context = { participant: 'pg a', coordinator: 'co%1', participants: ['other', 'pg a'] };
    const resource = new PostgresResource({ pool, statements, durablePrepare: true });
    expect(resource.durablePrepare).toBe(true);
    expect(await resource.prepare('durable 1', pgOps('heidi', -1), context)).toBe('yes');
    expect(await resource.prepare('durable-2', pgOps('ivan', -1), context)).toBe('yes');
    const names = (await pool.query('SELECT gid FROM pg_prepared_xacts ORDER BY gid')).rows.map((row) => row.gid);
    expect(names).toEqual(['durable%201 co%251 pg%20a other', 'durable-2 co%251 pg%20a other']);
    // After a restart: a fresh resource reads them back, and commits and aborts them by gid.
    const restarted = new PostgresResource({ pool, statements, durablePrepare: true });
    expect(await restarted.recoverHeld()).toEqual([
      { gid: 'durable 1', coordinator: 'co%1', participants: ['pg a', 'other'] },
      { gid: 'durable-2', coordinator: 'co%1', participants: ['pg a', 'other'] },
    ]);
    expect(await restarted.recover()).toEqual(['durable 1', 'durable-2']);
    await restarted.commit('durable 1');
    // One it has not recovered is found in pg_prepared_xacts; one that is not there is no error.
    await new PostgresResource({ pool, statements, durablePrepare: true }).abort('durable-2');
    await restarted.abort('never-prepared');
    expect(await restarted.recover()).toEqual([]);
    expect([await balance('heidi'), await balance('ivan')]).toEqual([89, 100]);
    // Too long for PostgreSQL's 200 bytes once the coordinator and participants are in: refused.
    await expect(resource.prepare('g'.repeat(150), pgOps('heidi', -1), { participant: 'a', coordinator: 'c'.repeat(60), participants: ['a'] })).rejects.toBeInstanceOf(InvalidGidError);
  });

  it('moves money between PostgreSQL and a MemoryKv participant, and a prepared transaction survives a participant restart', async () => {
    const network = new MemoryNetwork({ timers });
    const open = async (name: string) => {
      const log = await openWal(join(dir, name), { segmentSize: 64 * 1024 });
      logs.push(log);
      return log;
    };
    const kv = new MemoryKv({ dave: 0 });
    const kvParticipant = await Participant.open({ endpoint: await network.open('kv'), log: await open('kv'), resource: kv, timers });
    const pgLog = await open('pg');
    const pgParticipant = await Participant.open({ endpoint: await network.open('pg'), log: pgLog, resource: new PostgresResource({ pool, work }), timers });
    const coordinator = await Coordinator.open({ endpoint: await network.open('c'), log: await open('c'), timers });
    const pay = (amount: number, gid: string) =>
      coordinator.transaction(new Map<NodeId, Uint8Array>([['pg', pgOps('carol', -amount)], ['kv', encodeKvOps([{ op: 'add', key: 'dave', amount }])]]), { gid });
    expect((await pay(40, 'pay-1')).outcome).toBe('committed');
    expect((await pay(400, 'pay-2')).outcome).toBe('aborted');
    await coordinator.idle();
    await Promise.all([kvParticipant.settled(), pgParticipant.settled()]);
    expect([await balance('carol'), kv.get('dave')]).toEqual([50, 40]);

    // A transaction prepared in PostgreSQL and in the log, then the participant process "dies":
    const resource = new PostgresResource({ pool, work });
    expect(await resource.prepare('in-doubt', pgOps('carol', -1))).toBe('yes');
    await pgParticipant.close();
    const { WalRecordStorage, participantRecordCodec } = await import('../src/index.js');
    const store = await WalRecordStorage.open(pgLog, participantRecordCodec());
    await store.storage.persist([{ type: 'prepared', gid: 'in-doubt', coordinator: 'c', participants: ['pg'], ops: pgOps('carol', -1) }], { sync: true });
    await store.storage.persist([{ type: 'outcome', gid: 'in-doubt', outcome: 'committed' }], { sync: true });
    // Reopened: the log says committed, PostgreSQL still holds it prepared: it is committed on open.
    const reopened = await Participant.open({ endpoint: await network.open('pg2'), log: pgLog, resource: new PostgresResource({ pool, work }), timers });
    await reopened.settled();
    expect(await resource.recover()).toEqual([]);
    expect(await balance('carol')).toBe(49);
    await reopened.close();
    await coordinator.close();
    await kvParticipant.close();
    await network.close();
  });
});
