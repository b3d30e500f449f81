/**
 * `npm run bench -w @lattice/two-phase-commit`
 *
 * The price of atomic commit: bank transfers between accounts in three PostgreSQL 15 instances
 * (fsync on), each a `Participant` with `PostgresResource` and its own fsync'd write-ahead log,
 * under one `Coordinator` with an fsync'd decision log, all over TCP on loopback in this process;
 * side by side with the same transfers as local transactions in one database of one of those
 * instances (BEGIN; per leg one statement that changes the balance and writes the ledger row —
 * the same statement a participant runs; COMMIT). Closed loop with 1, 16 and 64
 * transfers in flight; the two alternate round by round. Transfers/s, p50 and p99 latency
 * (median of the rounds; the range in the note). dtm's published figure (935 global
 * transactions/s) is quoted beside, not run.
 *
 * Environment: TPC_BENCH_SECONDS (per round, default 4), TPC_BENCH_ROUNDS (default 3),
 * TPC_BENCH_INFLIGHT (default "1,16,64"), TPC_BENCH_POOL (connections per database, default 32).
 * Writes bench/results.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchResult, median, report, result } from '@lattice/bench-kit';
import { seededRandom, type Timers } from '@lattice/core';
import { freePort, type PostgresService, startService } from '@lattice/test-kit';
import { TcpTransport } from '@lattice/transport/tcp';
import { openWal, type WriteAheadLog } from '@lattice/wal';
import pg from 'pg';
import { Coordinator, Participant, PostgresResource } from '../src/index.js';
import { accountName, createBank, encodeLeg, legWork, lockTimeoutOption } from '../test/process/bank-schema.js';

const SECONDS = Number(process.env['TPC_BENCH_SECONDS'] ?? 4);
const ROUNDS = Number(process.env['TPC_BENCH_ROUNDS'] ?? 3);
const IN_FLIGHT = (process.env['TPC_BENCH_INFLIGHT'] ?? '1,16,64').split(',').map(Number);
const POOL = Number(process.env['TPC_BENCH_POOL'] ?? 32);
const BANKS = 3;
const ACCOUNTS = 10_000;
const BALANCE = 1_000_000;
const DTM_PUBLISHED = 935;
const resultsPath = fileURLToPath(new URL('./results.json', import.meta.url));
const timers: Timers = { setTimeout: (run, ms) => setTimeout(run, ms), clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout) };

interface Transfer {
  readonly id: string;
  readonly from: number;
  readonly fromAccount: string;
  readonly to: number;
  readonly toAccount: string;
  readonly amount: number;
}

let serial = 0;
const random = seededRandom(42);
function nextTransfer(): Transfer {
  const from = random.int(BANKS);
  return {
    id: `bench-${serial++}`,
    from,
    fromAccount: accountName(random.int(ACCOUNTS)),
    to: (from + 1 + random.int(BANKS - 1)) % BANKS,
    toAccount: accountName(random.int(ACCOUNTS)),
    amount: 1 + random.int(100),
  };
}

interface Run {
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  readonly committed: number;
  readonly failed: number;
}

/** Runs `transfer` closed loop with `inFlight` at a time for `seconds`. */
async function closedLoop(inFlight: number, seconds: number, transfer: (t: Transfer) => Promise<boolean>): Promise<Run> {
  const latencies: number[] = [];
  let failed = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        const t = nextTransfer();
        const began = performance.now();
        if (await transfer(t)) latencies.push(performance.now() - began);
        else failed++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return { rate: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), committed: latencies.length, failed };
}

const root = mkdtempSync(join(tmpdir(), 'two-phase-bench-'));
const services: PostgresService[] = [];
const pools: pg.Pool[] = [];
const logs: WriteAheadLog[] = [];
let transport: TcpTransport | undefined;
const closers: (() => Promise<void>)[] = [];

try {
  services.push(...(await Promise.all(Array.from({ length: BANKS }, () => startService('postgres', { maxPreparedTransactions: 256 })))));
  const ids = Array.from({ length: BANKS }, (_, i) => `bank-${i}`);
  transport = new TcpTransport({ secret: 'two-phase-bench-cluster-secret', timers });
  for (const [i, id] of ids.entries()) {
    const pool = new pg.Pool({ connectionString: services[i]!.url, max: POOL, options: lockTimeoutOption(1000) });
    pool.on('error', () => undefined);
    pools.push(pool);
    await createBank(pool, ACCOUNTS, BALANCE);
    const log = await openWal(join(root, id));
    logs.push(log);
    const participant = await Participant.open({
      endpoint: await transport.open(id, { listen: { host: '127.0.0.1', port: await freePort() } }),
      log,
      resource: new PostgresResource({ pool, work: legWork }),
      timers,
    });
    closers.push(() => participant.close());
  }
  const coordinatorLog = await openWal(join(root, 'coordinator'));
  logs.push(coordinatorLog);
  const coordinator = await Coordinator.open({ endpoint: await transport.open('coordinator', { listen: { host: '127.0.0.1', port: await freePort() } }), log: coordinatorLog, timers });
  closers.unshift(() => coordinator.close());

  // The local baseline: every account of every bank in one database of the first instance.
  await pools[0]!.query('CREATE DATABASE local_bank');
  const localPool = new pg.Pool({ connectionString: services[0]!.url.replace(/\/postgres$/, '/local_bank'), max: POOL, options: lockTimeoutOption(1000) });
  localPool.on('error', () => undefined);
  pools.push(localPool);
  await createBank(localPool, BANKS * ACCOUNTS, BALANCE);
  const localAccount = (bank: number, account: string) => accountName(bank * ACCOUNTS + Number(account.slice('acct-'.length)));

  const distributed = async (t: Transfer): Promise<boolean> => {
    const outcome = await coordinator.transaction(
      new Map([
        [`bank-${t.from}`, encodeLeg({ transfer: t.id, account: t.fromAccount, delta: -t.amount })],
        [`bank-${t.to}`, encodeLeg({ transfer: t.id, account: t.toAccount, delta: t.amount })],
      ]),
      { gid: t.id },
    );
    return outcome.outcome === 'committed';
  };
  const local = async (t: Transfer): Promise<boolean> => {
    const session = await localPool.connect();
    try {
      await session.query('BEGIN');
      for (const [bank, account, delta] of [[t.from, t.fromAccount, -t.amount], [t.to, t.toAccount, t.amount]] as const) {
        // The same statement as a participant's leg.
        if ((await legWork(session, encodeLeg({ transfer: `${t.id}/${bank}`, account: localAccount(bank, account), delta }))) !== 'yes') throw new Error('no such account');
      }
      await session.query('COMMIT');
      return true;
    } catch {
      await session.query('ROLLBACK').catch(() => undefined);
      return false;
    } finally {
      session.release();
    }
  };

  // Warm-up of both.
  await closedLoop(16, 1, distributed);
  await closedLoop(16, 1, local);

  const results: BenchResult[] = [];
  for (const inFlight of IN_FLIGHT) {
    const ours: Run[] = [];
    const theirs: Run[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order: [typeof distributed, Run[]][] = [[distributed, ours], [local, theirs]];
      if (round % 2 === 1) order.reverse();
      for (const [transfer, runs] of order) runs.push(await closedLoop(inFlight, SECONDS, transfer));
      console.log(`${inFlight} in flight, round ${round + 1}: 2PC ${ours.at(-1)!.rate.toFixed(0)}/s, local ${theirs.at(-1)!.rate.toFixed(0)}/s`);
    }
    const range = (runs: Run[], pick: (r: Run) => number) => `${Math.min(...runs.map(pick)).toFixed(2)}–${Math.max(...runs.map(pick)).toFixed(2)}`;
    const failures = `; aborted/failed: 2PC ${ours.reduce((n, r) => n + r.failed, 0)}, local ${theirs.reduce((n, r) => n + r.failed, 0)}`;
    const note = (pick: (r: Run) => number) => `${ROUNDS} rounds of ${SECONDS} s, pools of ${POOL}; 2PC ${range(ours, pick)}, local ${range(theirs, pick)}`;
    const peer = 'local transactions in one PostgreSQL 15 database (fsync on)';
    const oursRate = median(ours.map((r) => r.rate));
    results.push(result({ case: `transfer over 3 PostgreSQL participants, ${inFlight} in flight: transfers/s`, unit: 'transfers/s', betterIs: 'higher', ours: round2(oursRate), peer, peerValue: round2(median(theirs.map((r) => r.rate))), note: note((r) => r.rate) + failures }));
    results.push(result({ case: `transfer over 3 PostgreSQL participants, ${inFlight} in flight: p50`, unit: 'ms', betterIs: 'lower', ours: round2(median(ours.map((r) => r.p50))), peer, peerValue: round2(median(theirs.map((r) => r.p50))), note: note((r) => r.p50) }));
    results.push(result({ case: `transfer over 3 PostgreSQL participants, ${inFlight} in flight: p99`, unit: 'ms', betterIs: 'lower', ours: round2(median(ours.map((r) => r.p99))), peer, peerValue: round2(median(theirs.map((r) => r.p99))), note: note((r) => r.p99) }));
    if (inFlight === Math.max(...IN_FLIGHT)) {
      results.push(
        result({
          case: `transfer over 3 PostgreSQL participants, ${inFlight} in flight: global transactions/s against dtm's published figure`,
          unit: 'transfers/s',
          betterIs: 'higher',
          ours: round2(oursRate),
          peer: "dtm (dtm-labs/dtm), published figure, not run here",
          peerValue: DTM_PUBLISHED,
          note: "dtm's own benchmark on its own hardware (MySQL participants); quoted, not measured side by side",
        }),
      );
    }
  }
  report(resultsPath, results);
} finally {
  for (const close of closers) await close().catch(() => undefined);
  await transport?.close();
  for (const log of logs) await log.close().catch(() => undefined);
  for (const pool of pools) await pool.end().catch(() => undefined);
  await Promise.allSettled(services.map((s) => s.stop()));
  rmSync(root, { recursive: true, force: true });
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
