import { InvalidArgumentError, isNodeId } from '@lattice/core';
import { InvalidGidError } from './errors.js';
import { assertGid, MAX_GID_BYTES } from './gid.js';
import type { HeldTransaction, TransactionContext } from './participant-core.js';
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
  work?: (session: PgSession, ops: Uint8Array, gid: Gid) => Promise<unknown>;
  /**
   * Instead of `work`: the work as SQL text, run in the one round trip of
   * `BEGIN; <statements>; PREPARE TRANSACTION 'gid'` (a leg then costs the database two round
   * trips in all, with the commit). No parameters: quote values with {@link pgLiteral}. Only
   * statements that change data — no transaction control. Nothing is read from their results,
   * so a refusal must be an error (a constraint, a `NOT NULL` column fed an empty subquery), and
   * a repeated prepare of a gid already prepared waits for its locks: give the pool a
   * `lock_timeout`, then it is found prepared and votes yes.
   */
  statements?: (ops: Uint8Array, gid: Gid) => string;
  /**
   * Which prepared transactions of this database belong to this participant (after a restart,
   * the ones it does not own are left alone). Default: every one — give each participant its
   * own database, or a gid prefix here, when several share one.
   */
  ownsGid?: (gid: Gid) => boolean;
  /**
   * The prepared transaction is the participant's record (no "prepared" log record and sync of
   * its own before the yes vote): its PostgreSQL gid carries the coordinator and the
   * participants — `gid coordinator participant…`, this participant first, each with `%` and
   * spaces escaped — which
   * `recoverHeld` reads back from `pg_prepared_xacts`, so that after a restart the participant
   * knows whom to ask. That whole string must fit PostgreSQL's 200 bytes (a longer one votes
   * no). Do not switch a database between the two modes while it holds prepared transactions.
   * Default false.
   */
  durablePrepare?: boolean;
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
  readonly #statements: PostgresResourceOptions['statements'];
  readonly #owns: (gid: Gid) => boolean;
  readonly durablePrepare: boolean;
  /** Committed work lives in PostgreSQL: a participant's log of forgotten transactions may be compacted. */
  readonly durableCommits = true;
  /** With durablePrepare: the PostgreSQL gid of each transaction prepared (or being prepared) here. */
  readonly #names = new Map<Gid, string>();

  constructor(options: PostgresResourceOptions) {
    if (typeof options?.pool?.connect !== 'function' || typeof options.pool.query !== 'function') {
      throw new InvalidArgumentError('options.pool must be a pg Pool (connect, query)');
    }
    if ((typeof options.work === 'function') === (typeof options.statements === 'function')) {
      throw new InvalidArgumentError('options needs exactly one of work and statements, as functions');
    }
    if (options.ownsGid !== undefined && typeof options.ownsGid !== 'function') throw new InvalidArgumentError('options.ownsGid must be a function');
    this.#pool = options.pool;
    this.#work = options.work;
    this.#statements = options.statements;
    this.#owns = options.ownsGid ?? (() => true);
    if (options.durablePrepare !== undefined && typeof options.durablePrepare !== 'boolean') throw new InvalidArgumentError('options.durablePrepare must be a boolean');
    this.durablePrepare = options.durablePrepare === true;
  }

  async prepare(gid: Gid, ops: Uint8Array, context?: TransactionContext): Promise<Vote> {
    assertGid(gid);
    let name = gid;
    if (this.durablePrepare) {
      if (context === undefined || !isNodeId(context.coordinator)) throw new InvalidArgumentError('A durable prepare needs the coordinator and participants');
      name = heldName(gid, context);
      if (encoder.encode(name).length > MAX_GID_BYTES) {
        throw new InvalidGidError(`"${gid}" with its coordinator and participants takes more than PostgreSQL's ${MAX_GID_BYTES} bytes: ${name}`);
      }
      this.#names.set(gid, name);
    }
    if (this.#statements !== undefined) return this.#prepareInOneTrip(gid, name, this.#statements(ops, gid));
    return this.#voting(async (session, broken) => {
      // Whether it is prepared already (a repeated prepare must not run the work again: it would
      // wait on the earlier one's locks), asked in the round trip that begins the transaction.
      const begun = await session.query(`SELECT 1 FROM pg_prepared_xacts WHERE gid = ${literal(name)} AND database = current_database(); BEGIN`);
      const check = Array.isArray(begun) ? (begun[0] as PgQueryResult | undefined) : begun;
      if ((check?.rows.length ?? 0) > 0) {
        await session.query('ROLLBACK');
        return 'yes';
      }
      let vote: unknown;
      try {
        vote = await this.#work!(session, ops, gid);
      } catch {
        vote = 'no';
      }
      if (vote !== 'no') {
        let prepared: PgQueryResult | undefined;
        try {
          prepared = await session.query(`PREPARE TRANSACTION ${literal(name)}`);
        } catch (error) {
          if (broken() || (error as { code?: unknown } | null)?.code !== GID_IN_USE) throw error;
        }
        // PREPARE on a failed transaction rolls back instead of preparing: its tag says ROLLBACK.
        if (prepared !== undefined && typeof prepared.command === 'string' && prepared.command.toUpperCase() === 'PREPARE') return 'yes';
      }
      await session.query('ROLLBACK');
      // Not prepared by this call; a concurrent call with the same gid may have (PREPARE found it
      // in use), and a driver that gives no command tag leaves the question to the server.
      return (await isPrepared(session, name)) ? 'yes' : 'no';
    });
  }

  /** `BEGIN; statements; PREPARE TRANSACTION` in one round trip; only a failure asks whether it is prepared already. */
  async #prepareInOneTrip(gid: Gid, name: string, statements: string): Promise<Vote> {
    if (typeof statements !== 'string' || statements.trim().length === 0) throw new InvalidArgumentError(`options.statements gave no SQL for "${gid}"`);
    return this.#voting(async (session, broken) => {
      let prepared = false;
      try {
        const results = await session.query(`BEGIN; ${statements}; PREPARE TRANSACTION ${literal(name)}`);
        const last = Array.isArray(results) ? (results.at(-1) as PgQueryResult | undefined) : results;
        // PREPARE on a failed transaction rolls back instead of preparing: its tag says ROLLBACK.
        prepared = typeof last?.command === 'string' && last.command.toUpperCase() === 'PREPARE';
      } catch (error) {
        if (broken()) throw error;
      }
      if (prepared) return 'yes';
      // Refused, or the gid is prepared already (a repeated prepare): which one, the server says.
      const check = await session.query(`ROLLBACK; SELECT 1 FROM pg_prepared_xacts WHERE gid = ${literal(name)} AND database = current_database()`);
      const found = Array.isArray(check) ? (check.at(-1) as PgQueryResult | undefined) : check;
      return (found?.rows.length ?? 0) > 0 ? 'yes' : 'no';
    });
  }

  /**
   * Runs one prepare on one pooled session. Every query of a prepare goes over that session:
   * asking the pool for a second connection while holding one deadlocks once every connection is
   * held by a prepare. A session error (`broken()` says whether one came) or a throw rolls back and
   * votes no, and a broken session goes back to the pool as broken.
   */
  async #voting(prepare: (session: PgSession, broken: () => boolean) => Promise<Vote>): Promise<Vote> {
    const session = await this.#pool.connect();
    let broken: Error | undefined;
    // The next query fails with the same cause, which votes no.
    const onError = (error: Error): void => {
      broken ??= error;
    };
    session.on?.('error', onError);
    try {
      return await prepare(session, () => broken !== undefined);
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
    await this.#finish('COMMIT PREPARED', gid);
  }

  async abort(gid: Gid): Promise<void> {
    await this.#finish('ROLLBACK PREPARED', gid);
  }

  async recover(): Promise<Gid[]> {
    return (await this.#held()).map((held) => held.gid);
  }

  /** The prepared transactions of this database it owns, with the coordinator and participants their names carry. */
  async recoverHeld(): Promise<HeldTransaction[]> {
    const held: HeldTransaction[] = [];
    for (const { gid, context } of await this.#held()) if (context !== undefined) held.push({ gid, coordinator: context.coordinator, participants: context.participants });
    return held;
  }

  async #held(): Promise<{ gid: Gid; name: string; context: TransactionContext | undefined }[]> {
    const result = await this.#pool.query('SELECT gid FROM pg_prepared_xacts WHERE database = current_database() ORDER BY prepared');
    const held: { gid: Gid; name: string; context: TransactionContext | undefined }[] = [];
    for (const row of result.rows) {
      const name = String(row['gid']);
      const parsed = this.durablePrepare ? parseHeldName(name) : undefined;
      const gid = parsed?.gid ?? name;
      if (!this.#owns(gid)) continue;
      if (parsed !== undefined) this.#names.set(gid, name);
      held.push({ gid, name, context: parsed === undefined ? undefined : { participant: parsed.participants[0]!, coordinator: parsed.coordinator, participants: parsed.participants } });
    }
    return held;
  }

  async #finish(verb: string, gid: Gid): Promise<void> {
    let name: string | undefined = gid;
    if (this.durablePrepare) {
      // Not prepared by this object (nor recovered): look for it, or there is nothing to finish.
      name = this.#names.get(gid) ?? (await this.#held()).find((held) => held.gid === gid)?.name;
      if (name === undefined) return;
    }
    try {
      await this.#pool.query(`${verb} ${literal(name)}`);
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code !== NO_SUCH_PREPARED) throw error;
    }
    this.#names.delete(gid);
  }
}

const encoder = new TextEncoder();

function escapeField(field: string): string {
  return field.replaceAll('%', '%25').replaceAll(' ', '%20');
}

function unescapeField(field: string): string {
  return field.replaceAll('%20', ' ').replaceAll('%25', '%');
}

/**
 * The PostgreSQL gid of a durable prepare: `gid coordinator participant…`, escaped, this
 * participant first (gids are one namespace per server: two participants in two databases of one
 * server need two names).
 */
function heldName(gid: Gid, context: TransactionContext): string {
  const others = context.participants.filter((p) => p !== context.participant);
  return [gid, context.coordinator, context.participant, ...others].map(escapeField).join(' ');
}

function parseHeldName(name: string): HeldTransaction | undefined {
  const fields = name.split(' ').map(unescapeField);
  if (fields.length < 3) return undefined;
  const [gid, coordinator, ...participants] = fields as [string, string, ...string[]];
  if (gid.length === 0 || !isNodeId(coordinator) || !participants.every((p) => isNodeId(p))) return undefined;
  return { gid, coordinator, participants };
}


async function isPrepared(session: PgSession, gid: Gid): Promise<boolean> {
  const result = await session.query('SELECT 1 FROM pg_prepared_xacts WHERE gid = $1 AND database = current_database()', [gid]);
  return result.rows.length > 0;
}

/** A SQL string literal (PREPARE TRANSACTION takes no parameters). */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * A value as a SQL literal for {@link PostgresResourceOptions.statements}: a string quoted (with
 * `standard_conforming_strings` on, PostgreSQL's default since 9.1; a NUL byte is refused), a
 * safe integer as it is. Anything else is an `InvalidArgumentError`.
 */
export function pgLiteral(value: string | number): string {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new InvalidArgumentError(`pgLiteral takes safe integers, got ${value}`);
    return String(value);
  }
  if (typeof value !== 'string') throw new InvalidArgumentError('pgLiteral takes a string or a safe integer');
  if (value.includes('\0')) throw new InvalidArgumentError('A PostgreSQL string cannot hold a NUL byte');
  return literal(value);
}
