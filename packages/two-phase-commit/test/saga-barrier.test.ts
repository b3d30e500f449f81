/**
 * The sub-transaction barrier's cases — a repeated request runs once, a compensation that arrives
 * first (or alone) is a no-op that blocks the late action, a refusal or a throw rolls the barrier
 * row back with the business logic, any order of deliveries runs each half at most once and the
 * compensation only after its action — against the in-memory barrier and against a real PostgreSQL.
 */
import { InvalidArgumentError } from '@lattice/core';
import { codeOf } from '@lattice/test-kit';
import { describeWithService } from '@lattice/test-kit/vitest';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BarrierRecord,
  BarrierBusyError,
  type BarrierRequest,
  type BarrierResult,
  InvalidBarrierRequestError,
  MemoryBarrier,
  PostgresBarrier,
  type SagaOp,
} from '../src/index.js';

/** A barrier under test, with business logic that records each time it ran. */
interface Subject {
  /** Runs `op` of branch `branch` of saga `gid`; the business logic answers `answer` (or throws). */
  run(request: BarrierRequest, answer?: 'succeeded' | 'failed' | 'throw'): Promise<BarrierResult>;
  /** How many times the business logic of each op committed. */
  ran(gid: string, branch: string): Promise<Record<SagaOp, number>>;
  records(gid: string): Promise<BarrierRecord[]>;
}

class Boom extends Error {}

function memorySubject(): Subject {
  const barrier = new MemoryBarrier();
  const committed: string[] = [];
  return {
    run: (request, answer = 'succeeded') =>
      barrier.run(request, () => {
        if (answer === 'throw') throw new Boom('business logic failed');
        if (answer === 'succeeded') committed.push(`${request.gid}/${request.branch}/${request.op}`);
        return answer;
      }),
    ran: async (gid, branch) => ({
      action: committed.filter((c) => c === `${gid}/${branch}/action`).length,
      compensate: committed.filter((c) => c === `${gid}/${branch}/compensate`).length,
    }),
    records: async (gid) => barrier.records().filter((r) => r.gid === gid),
  };
}

/** The cases both barriers must pass; `subject` is built once the suite's resources exist. */
function barrierCases(subject: () => Subject, prefix: string): void {
  let n = 0;
  const fresh = (): string => `${prefix}-${++n}`;
  const req = (gid: string, op: SagaOp, branch = '0'): BarrierRequest => ({ gid, branch, op });

  it('a repeated action runs once; a compensation after it runs once', async () => {
    const gid = fresh();
    expect(await subject().run(req(gid, 'action'))).toEqual({ status: 'applied', reply: 'succeeded' });
    expect(await subject().run(req(gid, 'action'))).toEqual({ status: 'duplicate', reply: 'succeeded' });
    expect(await subject().run(req(gid, 'compensate'))).toEqual({ status: 'applied', reply: 'succeeded' });
    expect(await subject().run(req(gid, 'compensate'))).toEqual({ status: 'duplicate', reply: 'succeeded' });
    expect(await subject().run(req(gid, 'action'))).toEqual({ status: 'duplicate', reply: 'succeeded' });
    expect(await subject().ran(gid, '0')).toEqual({ action: 1, compensate: 1 });
    expect((await subject().records(gid)).map((r) => `${r.op}:${r.reason}`).sort()).toEqual(['action:action', 'compensate:compensate']);
  });

  it('a null compensation (no action before it) runs nothing and blocks the late action (hanging)', async () => {
    const gid = fresh();
    expect(await subject().run(req(gid, 'compensate'))).toEqual({ status: 'null-compensation', reply: 'succeeded' });
    expect(await subject().run(req(gid, 'action'))).toEqual({ status: 'hanging', reply: 'succeeded' });
    expect(await subject().run(req(gid, 'compensate'))).toEqual({ status: 'duplicate', reply: 'succeeded' });
    expect(await subject().ran(gid, '0')).toEqual({ action: 0, compensate: 0 });
    expect((await subject().records(gid)).map((r) => `${r.op}:${r.reason}`).sort()).toEqual(['action:compensate', 'compensate:compensate']);
  });

  it('a refused action rolls its barrier row back: a retry runs again, a compensation after it is null', async () => {
    const gid = fresh();
    expect(await subject().run(req(gid, 'action'), 'failed')).toEqual({ status: 'refused', reply: 'failed' });
    expect(await subject().records(gid)).toEqual([]);
    expect(await subject().run(req(gid, 'action'), 'succeeded')).toEqual({ status: 'applied', reply: 'succeeded' });
    const other = fresh();
    await subject().run(req(other, 'action'), 'failed');
    expect((await subject().run(req(other, 'compensate'))).status).toBe('null-compensation');
    expect(await subject().ran(other, '0')).toEqual({ action: 0, compensate: 0 });
  });

  it('business logic that throws rolls back and passes the throw on', async () => {
    const gid = fresh();
    await expect(subject().run(req(gid, 'action'), 'throw')).rejects.toBeInstanceOf(Boom);
    expect(await subject().records(gid)).toEqual([]);
    expect((await subject().run(req(gid, 'action'))).status).toBe('applied');
  });

  it('branches and sagas are keyed apart', async () => {
    const gid = fresh();
    await subject().run(req(gid, 'action', '0'));
    expect((await subject().run(req(gid, 'action', '1'))).status).toBe('applied');
    expect((await subject().run(req(fresh(), 'action', '0'))).status).toBe('applied');
  });

  it('concurrent deliveries of both halves, in any order: each runs at most once, the compensation only after its action', async () => {
    const orders = fc.sample(fc.array(fc.constantFrom<SagaOp>('action', 'compensate'), { minLength: 1, maxLength: 6 }), { numRuns: 25, seed: 7 });
    for (const order of orders) {
      const gid = fresh();
      // All at once: the barrier alone orders them (the row lock in PostgreSQL).
      const results = await Promise.all(order.map((op) => subject().run(req(gid, op))));
      const ran = await subject().ran(gid, '0');
      const firstAction = results.findIndex((r, i) => order[i] === 'action' && r.status === 'applied');
      expect(ran.action, order.join(',')).toBeLessThanOrEqual(1);
      expect(ran.compensate, order.join(',')).toBeLessThanOrEqual(1);
      if (ran.compensate === 1) expect(ran.action).toBe(1);
      if (order.includes('compensate')) expect(ran.action - ran.compensate, order.join(',')).toBe(0);
      else expect(ran.action).toBe(1);
      expect(firstAction >= 0).toBe(ran.action === 1);
    }
  });

  it('bad requests are InvalidBarrierRequestError', async () => {
    for (const bad of [null, { gid: '', branch: '0', op: 'action' }, { gid: 'g', branch: '', op: 'action' }, { gid: 'g', branch: 'b'.repeat(201), op: 'action' }, { gid: 'g', branch: '0', op: 'undo' }, { gid: 7, branch: '0', op: 'action' }]) {
      await expect(subject().run(bad as never)).rejects.toMatchObject({ code: InvalidBarrierRequestError.code });
    }
  });
}

describe('MemoryBarrier', () => {
  const subject = memorySubject();
  barrierCases(() => subject, 'memory');

  it('runSync: the same cases without waiting, and refuses a branch with an asynchronous request in progress', async () => {
    const barrier = new MemoryBarrier();
    expect(barrier.runSync({ gid: 'g', branch: '0', op: 'compensate' }, () => 'succeeded').status).toBe('null-compensation');
    expect(barrier.runSync({ gid: 'g', branch: '0', op: 'action' }, () => 'succeeded').status).toBe('hanging');
    let release: (() => void) | undefined;
    const slow = barrier.run({ gid: 'g', branch: '1', op: 'action' }, () => new Promise((resolve) => (release = () => resolve('succeeded'))));
    expect(codeOf(() => barrier.runSync({ gid: 'g', branch: '1', op: 'compensate' }, () => 'succeeded'))).toBe(BarrierBusyError.code);
    for (let turns = 0; release === undefined && turns < 100; turns++) await Promise.resolve();
    expect(codeOf(() => barrier.runSync({ gid: 'g', branch: '1', op: 'compensate' }, () => 'succeeded'))).toBe(BarrierBusyError.code);
    release!();
    expect((await slow).status).toBe('applied');
    expect(barrier.runSync({ gid: 'g', branch: '1', op: 'compensate' }, () => 'succeeded').status).toBe('applied');
    expect(codeOf(() => barrier.runSync({ gid: 'g', branch: '', op: 'action' }, () => 'succeeded'))).toBe(InvalidBarrierRequestError.code);
    expect(codeOf(() => barrier.runSync({ gid: 'g', branch: '2', op: 'action' }, () => 'perhaps' as never))).toBe(InvalidArgumentError.code);
    expect(barrier.records().filter((r) => r.branch === '2')).toEqual([]);
  });

  it('any sequence of repeated and reordered deliveries: each half at most once, and the net effect is the saga outcome (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom<SagaOp>('action', 'compensate'), { minLength: 1, maxLength: 12 }), (order) => {
        const barrier = new MemoryBarrier();
        let balance = 0;
        for (const op of order) {
          barrier.runSync({ gid: 'g', branch: '0', op }, () => {
            balance += op === 'action' ? 1 : -1;
            return 'succeeded';
          });
        }
        const firstCompensate = order.indexOf('compensate');
        const actionBefore = firstCompensate < 0 ? order.length > 0 : order.slice(0, firstCompensate).includes('action');
        // Compensated: back to zero whether or not the action ran; else the action ran once.
        expect(balance).toBe(firstCompensate >= 0 ? 0 : 1);
        const rows = barrier.records();
        expect(rows.find((r) => r.op === 'action')?.reason).toBe(actionBefore ? 'action' : 'compensate');
      }),
      { numRuns: 500 },
    );
  });
});

describeWithService('postgres', 'PostgresBarrier against a real PostgreSQL', (postgres) => {
  let pool: pg.Pool;
  let barrier: PostgresBarrier;
  let subject: Subject;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: postgres().url, max: 8 });
    // pool.end() resolves before every backend has gone: the server's shutdown then reaches a
    // client already ended (57P01), which is no failure of the test.
    pool.on('error', (error) => {
      if ((error as { code?: string }).code !== '57P01') throw error;
    });
    barrier = new PostgresBarrier({ pool, table: 'barrier_cases' });
    await barrier.createTable();
    await barrier.createTable(); // idempotent
    await pool.query('CREATE TABLE IF NOT EXISTS business_log (gid text NOT NULL, branch text NOT NULL, op text NOT NULL)');
    subject = {
      run: (request, answer = 'succeeded') =>
        barrier.run(request, async (session) => {
          await session.query('INSERT INTO business_log VALUES ($1, $2, $3)', [request.gid, request.branch, request.op]);
          if (answer === 'throw') throw new Boom('business logic failed');
          return answer;
        }),
      ran: async (gid, branch) => {
        const rows = (await pool.query('SELECT op, count(*)::int AS n FROM business_log WHERE gid = $1 AND branch = $2 GROUP BY op', [gid, branch])).rows;
        const count = (op: SagaOp): number => Number(rows.find((r) => r.op === op)?.n ?? 0);
        return { action: count('action'), compensate: count('compensate') };
      },
      records: (gid) => barrier.records(gid),
    };
  });
  afterAll(async () => {
    await pool?.end();
  });

  barrierCases(() => subject, 'pg');

  it('a compensation racing its action waits on the action\'s uncommitted row and then sees whether it committed', async () => {
    for (const actionCommits of [true, false]) {
      const gid = `race-${actionCommits}`;
      let release: () => void = () => undefined;
      let inserted: () => void = () => undefined;
      const rowTaken = new Promise<void>((resolve) => (inserted = resolve));
      const action = barrier.run({ gid, branch: '0', op: 'action' }, async (session) => {
        await session.query('INSERT INTO business_log VALUES ($1, $2, $3)', [gid, '0', 'action']);
        inserted();
        await new Promise<void>((resolve) => (release = resolve));
        return actionCommits ? 'succeeded' : 'failed';
      });
      await rowTaken;
      const compensation = barrier.run({ gid, branch: '0', op: 'compensate' }, async (session) => {
        await session.query('INSERT INTO business_log VALUES ($1, $2, $3)', [gid, '0', 'compensate']);
        return 'succeeded';
      });
      // The compensation is blocked on the action's row until the action's transaction ends.
      const early = await Promise.race([compensation.then(() => 'finished'), new Promise((resolve) => setTimeout(() => resolve('blocked'), 200))]);
      expect(early).toBe('blocked');
      release();
      expect((await action).status).toBe(actionCommits ? 'applied' : 'refused');
      expect((await compensation).status).toBe(actionCommits ? 'applied' : 'null-compensation');
      expect(await subject.ran(gid, '0')).toEqual(actionCommits ? { action: 1, compensate: 1 } : { action: 0, compensate: 0 });
    }
  });

  it('refuses a bad table name or pool with InvalidArgumentError', () => {
    expect(codeOf(() => new PostgresBarrier({ pool, table: 'x; DROP TABLE y' }))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => new PostgresBarrier({ pool: {} as never }))).toBe(InvalidArgumentError.code);
  });
});
