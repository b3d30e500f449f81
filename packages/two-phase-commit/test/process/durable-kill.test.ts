/**
 * A participant on PostgreSQL's durable prepare keeps no "prepared" record of its own: after a
 * SIGKILL it learns what it holds in doubt from `pg_prepared_xacts`, whose gids name the
 * coordinator and the participants. Here the participant is a real process (TCP, an fsync'd log
 * for its outcomes), killed after both participants voted yes and before the coordinator's commit
 * decision is durable; restarted, it finds the transaction in PostgreSQL, asks the coordinator,
 * and commits it — and with the deliberate bug of rolling back what the resource holds without a
 * log record (right for a participant that logs "prepared" before it votes, wrong here), the
 * check of the money catches it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@lattice/test-kit';
import { describeWithService } from '@lattice/test-kit/vitest';
import { TcpTransport } from '@lattice/transport/tcp';
import { openWal, type WriteAheadLog } from '@lattice/wal';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { Coordinator, Participant, PostgresResource, type TwoPhaseLogStore } from '../../src/index.js';
import { accountName, createBank, encodeLeg, legStatement, lockTimeoutOption } from './bank-schema.js';
import { sleep, timers } from './bank-cluster.js';

const participantScript = fileURLToPath(new URL('./durable-participant.ts', import.meta.url));
const ACCOUNTS = 4;
const BALANCE = 1000;

/** A log whose appends wait while `hold` is set: the coordinator's commit decision stays undecided. */
class GatedLog implements TwoPhaseLogStore {
  hold: Promise<void> | undefined;
  constructor(readonly inner: WriteAheadLog) {}
  get firstIndex(): number {
    return this.inner.firstIndex;
  }
  get lastIndex(): number {
    return this.inner.lastIndex;
  }
  async append(records: readonly Uint8Array[]): Promise<number[]> {
    while (this.hold !== undefined) await this.hold;
    return this.inner.append(records);
  }
  entries(from?: number, to?: number): AsyncIterable<{ readonly index: number; readonly data: Uint8Array }> {
    return this.inner.entries(from, to);
  }
}

function startParticipant(args: string[]): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(process.execPath, ['--conditions=@lattice/source', '--import', 'tsx', participantScript, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the participant did not start within 30 s')), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.length > 0) lines.push(line);
      if (lines.includes('ready')) {
        clearTimeout(timer);
        resolve({ child, lines });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the participant exited with ${code ?? signal}`));
    });
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function until(condition: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(20);
  }
}

describeWithService('postgres', 'a durable-prepare participant SIGKILLed in doubt (real process, TCP, PostgreSQL 15)', (postgres) => {
  const root = mkdtempSync(join(tmpdir(), 'two-phase-durable-'));
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    // Each step at most 5 s: after a failure, a close may wait on what never settles.
    for (const cleanup of cleanups.reverse()) await Promise.race([cleanup().catch(() => undefined), sleep(5000)]);
    rmSync(root, { recursive: true, force: true });
  }, 30_000);

  /** Runs the scenario on fresh databases; returns both banks' totals and what is left prepared. */
  const scenario = async (name: string, bug: boolean) => {
    const admin = new pg.Pool({ connectionString: postgres().url, max: 1 });
    cleanups.push(() => admin.end());
    const pools: pg.Pool[] = [];
    for (const bank of ['a', 'b']) {
      await admin.query(`CREATE DATABASE ${name}_${bank}`);
      const pool = new pg.Pool({ connectionString: postgres().url.replace(/\/postgres$/, `/${name}_${bank}`), max: 4, options: lockTimeoutOption(300) });
      pool.on('error', () => undefined);
      cleanups.push(() => pool.end());
      await createBank(pool, ACCOUNTS, BALANCE);
      pools.push(pool);
    }
    const [poolA, poolB] = pools as [pg.Pool, pg.Pool];
    const ports = { coordinator: await freePort(), a: await freePort(), b: await freePort() };
    const peers = Object.entries(ports).map(([id, port]) => `${id}=127.0.0.1:${port}`).join(',');
    const transport = new TcpTransport({ secret: 'two-phase-durable-test-secret', peers: { a: `127.0.0.1:${ports.a}` }, timers, reconnect: { initialDelayMs: 20, maxDelayMs: 200 } });
    cleanups.push(() => transport.close());
    const log = (dir: string) =>
      openWal(join(root, name, dir), { segmentSize: 1024 * 1024 }).then((opened) => {
        cleanups.push(() => opened.close());
        return opened;
      });
    const gated = new GatedLog(await log('coordinator'));
    const coordinator = await Coordinator.open({ endpoint: await transport.open('coordinator', { listen: { host: '127.0.0.1', port: ports.coordinator } }), log: gated, timers, retry: { initialMs: 50, maxMs: 300 } });
    cleanups.push(() => coordinator.close());
    const b = await Participant.open({
      endpoint: await transport.open('b', { listen: { host: '127.0.0.1', port: ports.b } }),
      log: await log('b'),
      resource: new PostgresResource({ pool: poolB, statements: legStatement, durablePrepare: true }),
      timers,
      inquiry: { initialMs: 100, maxMs: 500 },
    });
    cleanups.push(() => b.close());
    if (process.env['TWO_PHASE_DEBUG']) b.on('error', (error) => console.error('[b]', error.message));
    const args = ['a', postgres().url.replace(/\/postgres$/, `/${name}_a`), join(root, name, 'a'), peers];
    let a = await startParticipant(args);
    cleanups.push(() => kill(a.child));
    const transfer = (gid: string, amount: number, account: number) =>
      coordinator.transaction(
        new Map([
          ['a', encodeLeg({ transfer: gid, account: accountName(account), delta: -amount })],
          ['b', encodeLeg({ transfer: gid, account: accountName(account), delta: amount })],
        ]),
        { gid },
      );

    const warm = await transfer('warm-up', 5, 0);
    expect(warm.outcome, JSON.stringify(warm)).toBe('committed');
    await until(() => coordinator.core.activeCount === 0, 10_000, 'the warm-up acknowledged by both');
    // Held: both vote yes, the commit decision waits for the log.
    let open!: () => void;
    gated.hold = new Promise<void>((resolve) => {
      open = resolve;
    });
    const pending = transfer('in-doubt', 7, 1);
    await until(() => coordinator.core.state('in-doubt') === 'committing', 10_000, 'both votes in');
    const held = (await poolA.query('SELECT gid FROM pg_prepared_xacts WHERE database = current_database()')).rows.map((row) => String(row.gid));
    expect(held).toEqual(['in-doubt coordinator a b']); // the gid names the coordinator and the participants
    await kill(a.child);
    gated.hold = undefined;
    open();
    expect((await pending).outcome).toBe('committed');
    await until(async () => (await poolB.query('SELECT 1 FROM ledger WHERE transfer = $1', ['in-doubt'])).rows.length === 1, 10_000, 'b committed');

    a = await startParticipant(bug ? [...args, 'abortHeldWithoutRecord'] : args);
    const prepared = async () => Number((await poolA.query('SELECT count(*) AS n FROM pg_prepared_xacts')).rows[0].n);
    await until(async () => (await prepared()) === 0, 15_000, 'nothing prepared at a');
    const total = async (pool: pg.Pool) => Number((await pool.query('SELECT sum(balance) AS s FROM accounts')).rows[0].s);
    const applied = async (pool: pg.Pool) => (await pool.query('SELECT transfer FROM ledger ORDER BY transfer')).rows.map((row) => String(row.transfer));
    if (!bug) await until(() => coordinator.core.activeCount === 0, 15_000, 'the coordinator forgot it (every participant acknowledged)');
    const result = { total: (await total(poolA)) + (await total(poolB)), a: await applied(poolA), b: await applied(poolB), lines: a.lines };
    await kill(a.child);
    return result;
  };

  it('restarted, it finds the transaction in pg_prepared_xacts, asks the coordinator and commits it', async () => {
    const result = await scenario('durable_ok', false);
    expect(result.total).toBe(2 * ACCOUNTS * BALANCE);
    expect(result.a).toEqual(['in-doubt', 'warm-up']);
    expect(result.b).toEqual(['in-doubt', 'warm-up']);
    expect(result.lines).toContain('applied commit in-doubt');
  }, 60_000);

  it('catches the deliberate bug of rolling back what PostgreSQL holds without a log record', async () => {
    const result = await scenario('durable_bug', true);
    expect(result.a).toEqual(['warm-up']); // rolled back at a, committed at b: not atomic
    expect(result.b).toEqual(['in-doubt', 'warm-up']);
    expect(result.total).not.toBe(2 * ACCOUNTS * BALANCE);
  }, 60_000);
});
