import { InvalidArgumentError } from '@lattice/core';
import type { PgPool, PgSession } from '../postgres-resource.js';
import { assertBarrierRequest, type BarrierRecord, type BarrierRequest, type BarrierResult, barrierVerdict } from './barrier.js';
import type { SagaOp, SagaReply } from './types.js';

/** Options of {@link PostgresBarrier}. */
export interface PostgresBarrierOptions {
  /** Where sessions come from: a `pg` `Pool` fits. */
  pool: PgPool;
  /** The barrier table, in the participant's own database (`name` or `schema.name`). Default `saga_barrier`. */
  table?: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$/;

/**
 * The sub-transaction barrier in PostgreSQL: each request inserts its `(gid, branch, op)` row with
 * `INSERT … ON CONFLICT DO NOTHING` in the same local transaction as its business logic, so the
 * row commits exactly when the business logic does. The primary key serializes concurrent requests
 * of one branch: a compensation racing its action waits on the action's uncommitted row and then
 * sees whether it committed. Repeats do nothing; a compensation whose action never committed is a
 * no-op that inserts the action's row itself (blocking the action if it arrives later).
 *
 * @example
 * ```ts
 * const barrier = new PostgresBarrier({ pool });
 * await barrier.createTable();
 * const { reply } = await barrier.run(request, async (session) => {
 *   await session.query('UPDATE accounts SET balance = balance - $1 WHERE id = $2', [30, 'alice']);
 *   return 'succeeded';
 * });
 * ```
 */
export class PostgresBarrier {
  readonly #pool: PgPool;
  readonly #table: string;

  constructor(options: PostgresBarrierOptions) {
    if (typeof options?.pool?.connect !== 'function' || typeof options.pool.query !== 'function') {
      throw new InvalidArgumentError('options.pool must be a pg Pool (connect, query)');
    }
    const table = options.table ?? 'saga_barrier';
    if (typeof table !== 'string' || !IDENTIFIER.test(table)) throw new InvalidArgumentError(`options.table must be a lower-case SQL identifier (name or schema.name), got ${JSON.stringify(table)}`);
    this.#pool = options.pool;
    this.#table = table;
  }

  /** The table's name. */
  get table(): string {
    return this.#table;
  }

  /** Creates the barrier table if it does not exist (run it once, before the participant serves requests). */
  async createTable(): Promise<void> {
    await this.#pool.query(
      `CREATE TABLE IF NOT EXISTS ${this.#table} (
        gid text NOT NULL,
        branch text NOT NULL,
        op text NOT NULL CHECK (op IN ('action', 'compensate')),
        reason text NOT NULL CHECK (reason IN ('action', 'compensate')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (gid, branch, op)
      )`,
    );
  }

  /**
   * Runs `work` in one local transaction with the barrier rows: `BEGIN`, the inserts, `work`
   * (unless the barrier says it already ran, or must not), then `COMMIT` — or `ROLLBACK` when
   * `work` answers "failed" or throws (the throw is passed on). Throws `InvalidBarrierRequestError`
   * on a bad request.
   */
  async run(request: BarrierRequest, work: (session: PgSession) => Promise<SagaReply>): Promise<BarrierResult> {
    assertBarrierRequest(request);
    if (typeof work !== 'function') throw new InvalidArgumentError('work must be a function');
    const session = await this.#pool.connect();
    let open = false;
    let broken = false;
    try {
      await session.query('BEGIN');
      open = true;
      const insertedOrigin = request.op === 'compensate' ? await this.#insert(session, request, 'action') : false;
      const insertedCurrent = await this.#insert(session, request, request.op);
      let existing: SagaOp | undefined;
      if (!insertedCurrent && request.op === 'action') {
        const rows = (await session.query(`SELECT reason FROM ${this.#table} WHERE gid = $1 AND branch = $2 AND op = 'action'`, [request.gid, request.branch])).rows;
        existing = rows[0]?.['reason'] as SagaOp | undefined;
      }
      const verdict = barrierVerdict(request, insertedOrigin, insertedCurrent, existing);
      if (verdict !== 'run') {
        // A null compensation commits its rows: they are what blocks the late action.
        await session.query('COMMIT');
        open = false;
        return { status: verdict, reply: 'succeeded' };
      }
      const reply = await work(session);
      if (reply === 'succeeded') {
        await session.query('COMMIT');
        open = false;
        return { status: 'applied', reply };
      }
      await session.query('ROLLBACK');
      open = false;
      if (reply !== 'failed') throw new InvalidArgumentError(`The business logic answered ${JSON.stringify(reply)}, not "succeeded" or "failed" (rolled back)`);
      return { status: 'refused', reply: 'failed' };
    } catch (error) {
      if (open) {
        try {
          await session.query('ROLLBACK');
        } catch {
          broken = true;
        }
      }
      throw error;
    } finally {
      // A session whose rollback failed is in an unknown state: pg destroys it instead of pooling it.
      session.release(broken);
    }
  }

  /** The barrier rows, of one saga or of all (for checks and audits). */
  async records(gid?: string): Promise<BarrierRecord[]> {
    const result =
      gid === undefined
        ? await this.#pool.query(`SELECT gid, branch, op, reason FROM ${this.#table} ORDER BY gid, branch, op`)
        : await this.#pool.query(`SELECT gid, branch, op, reason FROM ${this.#table} WHERE gid = $1 ORDER BY branch, op`, [gid]);
    return result.rows.map((row) => ({ gid: String(row['gid']), branch: String(row['branch']), op: row['op'] as SagaOp, reason: row['reason'] as SagaOp }));
  }

  async #insert(session: PgSession, request: BarrierRequest, op: SagaOp): Promise<boolean> {
    const result = await session.query(`INSERT INTO ${this.#table} (gid, branch, op, reason) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1 AS taken`, [
      request.gid,
      request.branch,
      op,
      request.op,
    ]);
    return result.rows.length === 1;
  }
}
