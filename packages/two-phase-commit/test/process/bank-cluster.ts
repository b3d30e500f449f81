/**
 * A bank over three private PostgreSQL instances: one `Participant` per instance (in this
 * process, each with its own fsync'd write-ahead log; bank-0 and bank-2 on PostgreSQL's durable
 * prepare, bank-1 logging "prepared" before it votes) and the coordinator in a child process
 * (`bank-coordinator.ts`), all over TCP on loopback. The coordinator and the databases can be
 * SIGKILLed and restarted on their own data.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Timers } from '@lattice/core';
import { freePort, type PostgresService, startService } from '@lattice/test-kit';
import { TcpTransport } from '@lattice/transport/tcp';
import { openWal, type WriteAheadLog } from '@lattice/wal';
import pg from 'pg';
import { Participant, PostgresResource } from '../../src/index.js';
import { createBank, legStatement, legWork, lockTimeoutOption } from './bank-schema.js';

const coordinatorScript = fileURLToPath(new URL('./bank-coordinator.ts', import.meta.url));
export const timers: Timers = { setTimeout: (run, ms) => setTimeout(run, ms), clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout) };
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Bank {
  readonly id: string;
  readonly postgres: PostgresService;
  readonly pool: pg.Pool;
  readonly log: WriteAheadLog;
  participant: Participant;
}

export interface BankClusterOptions {
  readonly banks: number;
  readonly accountsPerBank: number;
  readonly balance: number;
  /** Most connections each participant's pool opens. */
  readonly poolSize: number;
  /** Participant compaction: the coordinator announces forgotten, participants ask again after 500 ms. */
  readonly compaction?: boolean;
}

export class BankCluster {
  readonly banks: Bank[] = [];
  readonly root = mkdtempSync(join(tmpdir(), 'two-phase-bank-'));
  readonly options: BankClusterOptions;
  #transport: TcpTransport | undefined;
  #coordinator: ChildProcess | undefined;
  #coordinatorReady = false;
  #peers = '';
  httpPort = 0;
  /** Problems reported by participants that are not expected while databases restart. */
  readonly errors: string[] = [];

  constructor(options: BankClusterOptions) {
    this.options = options;
  }

  /** True once the coordinator process serves, until it is killed. */
  get coordinatorUp(): boolean {
    return this.#coordinatorReady;
  }

  async init(): Promise<void> {
    const ids = Array.from({ length: this.options.banks }, (_, i) => `bank-${i}`);
    const ports = new Map<string, number>();
    for (const id of ['coordinator', ...ids]) ports.set(id, await freePort());
    this.httpPort = await freePort();
    this.#peers = [...ports].map(([id, port]) => `${id}=127.0.0.1:${port}`).join(',');
    this.#transport = new TcpTransport({
      secret: 'two-phase-bank-test-secret',
      peers: { coordinator: `127.0.0.1:${ports.get('coordinator')}` },
      timers,
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    });
    const services = await Promise.all(ids.map(() => startService('postgres', { maxPreparedTransactions: 256 })));
    for (const [i, id] of ids.entries()) {
      const postgres = services[i]!;
      const pool = new pg.Pool({ connectionString: postgres.url, max: this.options.poolSize, options: lockTimeoutOption(300) });
      // Connections die with a killed server: the pool replaces idle ones, and a late "error"
      // event on a checked-out client (its query fails on its own) must not be uncaught.
      pool.on('error', () => undefined);
      pool.on('connect', (client) => client.on('error', () => undefined));
      await createBank(pool, this.options.accountsPerBank, this.options.balance);
      const log = await openWal(join(this.root, id), { segmentSize: 1024 * 1024 });
      const bank: Bank = { id, postgres, pool, log, participant: undefined as unknown as Participant };
      bank.participant = await this.#openParticipant(bank, ports.get(id)!);
      this.banks.push(bank);
    }
  }

  async #openParticipant(bank: Bank, port: number): Promise<Participant> {
    const participant = await Participant.open({
      endpoint: await this.#transport!.open(bank.id, { listen: { host: '127.0.0.1', port } }),
      log: bank.log,
      // Both kinds of participant in every transfer's reach: even banks on PostgreSQL's durable
      // prepare with a leg in one round trip, odd ones logging "prepared" first, a round trip per statement.
      resource: Number(bank.id.slice('bank-'.length)) % 2 === 0
        ? new PostgresResource({ pool: bank.pool, statements: legStatement, durablePrepare: true })
        : new PostgresResource({ pool: bank.pool, work: legWork }),
      timers,
      voteTimeoutMs: 2000,
      inquiry: { initialMs: 200, maxMs: 1000 },
      resourceRetry: { initialMs: 50, maxMs: 500 },
      ...(this.options.compaction === true ? { settledInquiryMs: 500 } : {}),
    });
    participant.on('error', (error) => {
      if (process.env['TWO_PHASE_DEBUG']) console.error(`[${bank.id}] ${error.code}: ${error.message}`);
    });
    return participant;
  }

  startCoordinator(): Promise<void> {
    const child = spawn(process.execPath, ['--conditions=@lattice/source', '--import', 'tsx', coordinatorScript, join(this.root, 'coordinator'), String(this.httpPort), this.#peers], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, BANK_COMPACTION: this.options.compaction === true ? '1' : '' },
    });
    this.#coordinator = child;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the coordinator did not start within 30 s')), 30_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) {
          clearTimeout(timer);
          if (this.#coordinator === child) this.#coordinatorReady = true;
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (this.#coordinator === child) {
          this.#coordinator = undefined;
          this.#coordinatorReady = false;
        }
        reject(new Error(`the coordinator exited with ${code ?? signal}`));
      });
    });
  }

  killCoordinator(): Promise<void> {
    const child = this.#coordinator;
    if (child === undefined) return Promise.resolve();
    this.#coordinator = undefined;
    this.#coordinatorReady = false;
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** What the coordinator still holds, or undefined while it does not answer. */
  async coordinatorStatus(): Promise<{ active: number; inDoubt: string[] } | undefined> {
    if (this.#coordinator === undefined) return undefined;
    try {
      const response = await fetch(`http://127.0.0.1:${this.httpPort}/status`, { signal: AbortSignal.timeout(1000) });
      return (await response.json()) as { active: number; inDoubt: string[] };
    } catch {
      return undefined;
    }
  }

  async preparedCount(bank: Bank): Promise<number> {
    return Number((await bank.pool.query('SELECT count(*) AS n FROM pg_prepared_xacts')).rows[0].n);
  }

  async close(): Promise<void> {
    await this.killCoordinator();
    for (const bank of this.banks) await bank.participant.close().catch(() => undefined);
    await this.#transport?.close();
    for (const bank of this.banks) {
      await bank.log.close().catch(() => undefined);
      await bank.pool.end().catch(() => undefined);
      await bank.postgres.stop();
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}
