import { InvalidArgumentError } from '@lattice/core';
import { assertGid } from './gid.js';
import type { ParticipantResource } from './resource.js';
import type { Gid, Vote } from './types.js';

/** A query result as `pg` returns it (only `rows` is read). */
export interface PgQueryResult {
  readonly rows: readonly Record<string, unknown>[];
  /** The command tag's verb as `pg` gives it ("PREPARE", "ROLLBACK"), when the driver gives one. */
  readonly command?: string | null;
}

/** One session: a `pg` `PoolClient` fits. */
export interface PgSession {
  query(text: string, values?: readonly unknown[]): Promise<PgQueryResult>;
  release(error?: Error | boolean): void;
  /**
   * `pg`'s client emits "error" when its server goes away between two queries; with no listener
   * that would be an uncaught exception, so the resource listens while it holds the session.
   */
  on?(event: 'error', listener: (error: Error) => void): unknown;
  removeListener?(event: 'error', listener: (error: Error) => void): unknown;
}

/** Where sessions come from: a `pg` `Pool` fits (`pg` is an optional peer dependency). */
export interface PgPool {
  connect(): Promise<PgSession>;
  query(text: string, values?: readonly unknown[]): Promise<PgQueryResult>;
}

/** Options of {@link PostgresResource}. */
export interface PostgresResourceOptions {
  pool: PgPool;
  /**
   * Runs a transaction's work inside `BEGIN` on `session` (the ops are yours to encode). Resolve
   * to "no" to refuse (anything else prepares); a throw (a constraint, a serialization failure)
   * votes no too.
   */
  work: (session: PgSession, ops: Uint8Array, gid: Gid) => Promise<unknown>;
  /**
   * Which prepared transactions of this database belong to this participant (after a restart,
   * the ones it does not own are left alone). Default: every one — give each participant its
   * own database, or a gid prefix here, when several share one.
   */
  ownsGid?: (gid: Gid) => boolean;
}

// SQLSTATE 42704 undefined_object: "prepared transaction with identifier … does not exist".
const NO_SUCH_PREPARED = '42704';
// SQLSTATE 42710 duplicate_object: "transaction identifier … is already in use".
const GID_IN_USE = '42710';

/**
 * A PostgreSQL database as a {@link ParticipantResource}, on prepared transactions:
 * `prepare` runs the work and `PREPARE TRANSACTION 'gid'` (the work then survives a crash of
 * the server and of this process), `commit`/`abort` are `COMMIT PREPARED`/`ROLLBACK PREPARED`
 * (idempotent: a gid that is no longer prepared is not an error), and `recover` reads
 * `pg_prepared_xacts`.
 *
 * Caveats: the server needs `max_prepared_transactions` > 0 (the default is 0, which makes every
 * prepare fail and vote no); a prepared transaction keeps its locks and holds back vacuum until
 * it is committed or rolled back — while 2PC is blocked, so is that. Gids are at most 200 bytes.
 */
export class PostgresResource implements ParticipantResource {
  readonly #pool: PgPool;
  readonly #work: PostgresResourceOptions['work'];
  readonly #owns: (gid: Gid) => boolean;

  constructor(options: PostgresResourceOptions) {
    if (typeof options?.pool?.connect !== 'function' || typeof options.pool.query !== 'function') {
      throw new InvalidArgumentError('options.pool must be a pg Pool (connect, query)');
    }
    if (typeof options.work !== 'function') throw new InvalidArgumentError('options.work must be a function');
    if (options.ownsGid !== undefined && typeof options.ownsGid !== 'function') throw new InvalidArgumentError('options.ownsGid must be a function');
    this.#pool = options.pool;
    this.#work = options.work;
    this.#owns = options.ownsGid ?? (() => true);
  }

  async prepare(gid: Gid, ops: Uint8Array): Promise<Vote> {
    assertGid(gid);
    // Every query of a prepare goes over the one session it holds: asking the pool for a second
    // connection while holding one deadlocks once every connection is held by a prepare.
    const session = await this.#pool.connect();
    let broken: Error | undefined;
    // The next query fails with the same cause, which votes no.
    const onError = (error: Error): void => {
      broken ??= error;
    };
    session.on?.('error', onError);
    try {
      // Whether it is prepared already (a repeated prepare must not run the work again: it would
      // wait on the earlier one's locks), asked in the round trip that begins the transaction.
      const begun = await session.query(`SELECT 1 FROM pg_prepared_xacts WHERE gid = ${literal(gid)} AND database = current_database(); BEGIN`);
      const check = Array.isArray(begun) ? (begun[0] as PgQueryResult | undefined) : begun;
      if ((check?.rows.length ?? 0) > 0) {
        await session.query('ROLLBACK');
        return 'yes';
      }
      let vote: unknown;
      try {
        vote = await this.#work(session, ops, gid);
      } catch {
        vote = 'no';
      }
      if (vote !== 'no') {
        let prepared: PgQueryResult | undefined;
        try {
          prepared = await session.query(`PREPARE TRANSACTION ${literal(gid)}`);
        } catch (error) {
          if (broken !== undefined || (error as { code?: unknown } | null)?.code !== GID_IN_USE) throw error;
        }
        // PREPARE on a failed transaction rolls back instead of preparing: its tag says ROLLBACK.
        if (prepared !== undefined && typeof prepared.command === 'string' && prepared.command.toUpperCase() === 'PREPARE') return 'yes';
      }
      await session.query('ROLLBACK');
      // Not prepared by this call; a concurrent call with the same gid may have (PREPARE found it
      // in use), and a driver that gives no command tag leaves the question to the server.
      return (await isPrepared(session, gid)) ? 'yes' : 'no';
    } catch (error) {
      broken = error instanceof Error ? error : new Error(String(error));
      await session.query('ROLLBACK').catch(() => undefined);
      return 'no';
    } finally {
      session.removeListener?.('error', onError);
      session.release(broken);
    }
  }

  async commit(gid: Gid): Promise<void> {
    await this.#finish(`COMMIT PREPARED ${literal(gid)}`);
  }

  async abort(gid: Gid): Promise<void> {
    await this.#finish(`ROLLBACK PREPARED ${literal(gid)}`);
  }

  async recover(): Promise<Gid[]> {
    const result = await this.#pool.query('SELECT gid FROM pg_prepared_xacts WHERE database = current_database() ORDER BY prepared');
    return result.rows.map((row) => String(row['gid'])).filter((gid) => this.#owns(gid));
  }

  async #finish(statement: string): Promise<void> {
    try {
      await this.#pool.query(statement);
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code !== NO_SUCH_PREPARED) throw error;
    }
  }
}

async function isPrepared(session: PgSession, gid: Gid): Promise<boolean> {
  const result = await session.query('SELECT 1 FROM pg_prepared_xacts WHERE gid = $1 AND database = current_database()', [gid]);
  return result.rows.length > 0;
}

/** A SQL string literal (PREPARE TRANSACTION takes no parameters). */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
