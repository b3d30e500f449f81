/**
 * The bank the real-process test and the benchmark share: accounts in PostgreSQL databases, one
 * database per participant, and a ledger of transfer ids beside them, so that a transfer applied
 * twice (or once where it should not be) shows in the data itself.
 */
import { ByteReader, ByteWriter } from '@lattice/core';
import type pg from 'pg';
import { type PgSession, pgLiteral } from '../../src/index.js';

/** One leg of a transfer at one bank: add `delta` to `account`, recorded under `transfer`. */
export interface Leg {
  readonly transfer: string;
  readonly account: string;
  readonly delta: number;
}

export function encodeLeg(leg: Leg): Uint8Array {
  const w = new ByteWriter();
  w.string(leg.transfer);
  w.string(leg.account);
  w.int(leg.delta);
  return w.finish();
}

export function decodeLeg(bytes: Uint8Array): Leg {
  const r = new ByteReader(bytes, 'bank leg');
  const leg = { transfer: r.string(), account: r.string(), delta: r.int() };
  r.end();
  return leg;
}

/**
 * The work of a leg inside the participant's `BEGIN`, one statement: the balance change and the
 * ledger row. The CHECK refuses an overdraft and the ledger's primary key a second application;
 * either throws, which votes no, and so does an unknown account. Give the pool a `lock_timeout`
 * (`lockTimeoutOption`): a row lock held by another prepared transaction is waited for, and two
 * transfers crossing two banks in opposite orders would otherwise wait on each other for ever.
 */
export async function legWork(session: PgSession, ops: Uint8Array): Promise<unknown> {
  const leg = decodeLeg(ops);
  const applied = await session.query(
    'WITH changed AS (UPDATE accounts SET balance = balance + $1 WHERE id = $2 RETURNING id) INSERT INTO ledger (transfer, account, delta) SELECT $3, id, $1 FROM changed RETURNING 1',
    [leg.delta, leg.account, leg.transfer],
  );
  return applied.rows.length === 1 ? 'yes' : 'no';
}

/**
 * The same leg as {@link legWork} as SQL text, for `PostgresResource`'s `statements` (one round
 * trip with BEGIN and PREPARE). Nothing reads its result, so an unknown account must fail: the
 * ledger's NOT NULL account is fed the (then empty) list of changed rows.
 */
export function legStatement(ops: Uint8Array): string {
  const leg = decodeLeg(ops);
  const delta = pgLiteral(leg.delta);
  return `WITH changed AS (UPDATE accounts SET balance = balance + ${delta} WHERE id = ${pgLiteral(leg.account)} RETURNING id) INSERT INTO ledger (transfer, account, delta) VALUES (${pgLiteral(leg.transfer)}, (SELECT id FROM changed), ${delta})`;
}

/** The `options` of a `pg` pool whose sessions wait at most `ms` for a row lock. */
export function lockTimeoutOption(ms: number): string {
  return `-c lock_timeout=${Math.max(1, Math.round(ms))}`;
}

/** Creates the tables (afresh) with `accounts` accounts of `balance` each. */
export async function createBank(pool: pg.Pool, accounts: number, balance: number): Promise<void> {
  await pool.query('DROP TABLE IF EXISTS accounts, ledger');
  await pool.query('CREATE TABLE accounts (id text PRIMARY KEY, balance bigint NOT NULL CHECK (balance >= 0))');
  await pool.query('CREATE TABLE ledger (transfer text PRIMARY KEY, account text NOT NULL, delta bigint NOT NULL)');
  await pool.query('INSERT INTO accounts SELECT $1 || i, $2 FROM generate_series(0, $3 - 1) AS i', ['acct-', balance, accounts]);
}

export function accountName(index: number): string {
  return `acct-${index}`;
}
