/**
 * `npm run bench -w @lattice/two-phase-commit`
 *
 * The price of atomic commit: bank transfers between accounts in three PostgreSQL 15 instances
 * (fsync on, default settings otherwise), each a `Participant` with `PostgresResource` and its
 * own fsync'd write-ahead log, under one `Coordinator` with an fsync'd decision log, all over TCP
 * on loopback in this process; side by side with the same transfers as local transactions in one
 * database of the first instance (the same leg statements, BEGIN … COMMIT). Closed loop with 1,
 * 16 and 64 transfers in flight; the variants (TPC_BENCH_VARIANTS, below) alternate round by
 * round, each round in another order. Per variant: transfers/s, p50 and p99 latency, CPU time per
 * transfer (this process from `process.cpuUsage`, the three servers' processes from /proc — a
 * figure a loaded machine moves much less than the rates), and for 2PC the log syncs per
 * transfer (group commit); the median of the rounds, the range in the note. At the end a
 * Markdown table of the medians. dtm's published figure (935 global transactions/s) is quoted
 * beside, not run.
 *
 * Environment: TPC_BENCH_SECONDS (per round, default 4), TPC_BENCH_ROUNDS (default 3),
 * TPC_BENCH_INFLIGHT (default "1,16,64"), TPC_BENCH_POOL (connections per database, default 32).
 * Writes bench/results.json.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchResult, median, report, result } from '@lattice/bench-kit';
import { seededRandom, type Timers } from '@lattice/core';
import { freePort, type PostgresService, startService } from '@lattice/test-kit';
import { TcpTransport } from '@lattice/transport/tcp';
import { openWal, type WriteAheadLog } from '@lattice/wal';
import pg from 'pg';
import { Coordinator, Participant, PostgresResource, pgLiteral } from '../src/index.js';
import { accountName, createBank, encodeLeg, legStatement, legWork, lockTimeoutOption } from '../test/process/bank-schema.js';

const SECONDS = Number(process.env['TPC_BENCH_SECONDS'] ?? 4);
const ROUNDS = Number(process.env['TPC_BENCH_ROUNDS'] ?? 3);
const IN_FLIGHT = (process.env['TPC_BENCH_INFLIGHT'] ?? '1,16,64').split(',').map(Number);
const POOL = Number(process.env['TPC_BENCH_POOL'] ?? 32);
const BANKS = 3;
/**
 * What runs side by side, alternating round by round (TPC_BENCH_VARIANTS, a comma list):
 * `2pc` — participants on PostgreSQL's own durable prepare (no participant log record and sync
 * before the yes vote) with a leg's BEGIN, work and PREPARE in one round trip (`statements`);
 * `2pc-logged-trips` — the earlier design: each participant syncs a "prepared" record before it
 * votes, and a leg takes a round trip per statement (`work`); `2pc-logged`, `2pc-trips` — one of
 * the two changes each; `local` — the same transfers as local transactions in one database,
 * `BEGIN; leg; leg; COMMIT` in one round trip (the same statements as the participants');
 * `local-trips` — the same with a round trip per statement (the earlier baseline); `xa` — the
 * floor under any 2PC on PostgreSQL: this process runs each leg's `BEGIN; leg; PREPARE
 * TRANSACTION` on its database in one round trip, both legs at once, then `COMMIT PREPARED` on
 * both — PostgreSQL's part of atomic commit alone, with no coordinator, no logs and no messages.
 */
const VARIANTS = (process.env['TPC_BENCH_VARIANTS'] ?? '2pc,local,xa,2pc-logged-trips,local-trips').split(',');
const DISTRIBUTED = VARIANTS.filter((v) => v.startsWith('2pc'));
const BASELINE = VARIANTS.includes('local') ? 'local' : (VARIANTS.find((v) => v.startsWith('local')) ?? 'local');
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
  /** CPU time per committed transfer, ms: this process (`process.cpuUsage`) and every process of the three servers (`/proc`). */
  readonly cpuMs: number;
  readonly nodeMs: number;
  readonly serversMs: number;
  /** Log syncs per committed transfer: the coordinator's, and its participants' (all three together). */
  readonly coordinatorSyncs: number;
  readonly participantSyncs: number;
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  readonly committed: number;
  readonly failed: number;
}

const TICK_MS = 10; // USER_HZ = 100 on Linux
/** CPU time (ms) of the servers' processes so far: each postmaster and its children, from /proc. */
function serversCpuMs(): number {
  const postmasters = new Set<number>();
  for (const service of services) {
    try {
      postmasters.add(Number(readFileSync(join(service.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]));
    } catch {
      // not running
    }
  }
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[1] is the parent (the 4th field of stat); utime and stime are the 14th and 15th.
    if (postmasters.has(Number(entry))) ticks += Number(fields[13]) + Number(fields[14]); // and its reaped children's (cutime, cstime)
    if (postmasters.has(Number(entry)) || postmasters.has(Number(fields[1]))) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * TICK_MS;
}

function processCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Runs `transfer` closed loop with `inFlight` at a time for `seconds`. */
async function closedLoop(inFlight: number, seconds: number, transfer: (t: Transfer) => Promise<boolean>, syncs: () => readonly [number, number] = () => [0, 0]): Promise<Run> {
  const syncsBefore = syncs();
  const nodeBefore = processCpuMs();
  const serversBefore = serversCpuMs();
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
  const nodeMs = (processCpuMs() - nodeBefore) / Math.max(1, latencies.length);
  const serversMs = (serversCpuMs() - serversBefore) / Math.max(1, latencies.length);
  const syncsAfter = syncs();
  const coordinatorSyncs = (syncsAfter[0] - syncsBefore[0]) / Math.max(1, latencies.length);
  const participantSyncs = (syncsAfter[1] - syncsBefore[1]) / Math.max(1, latencies.length);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return { coordinatorSyncs, participantSyncs, nodeMs, serversMs, cpuMs: nodeMs + serversMs, rate: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), committed: latencies.length, failed };
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
  const participantsOf = new Map<string, Participant[]>();
  for (const [i, id] of ids.entries()) {
    // One pool per server, shared by the variants (they never run at the same time).
    const pool = new pg.Pool({ connectionString: services[i]!.url, max: POOL, idleTimeoutMillis: 0, options: lockTimeoutOption(1000) });
    pool.on('error', () => undefined);
    pools.push(pool);
    await createBank(pool, ACCOUNTS, BALANCE);
    for (const variant of DISTRIBUTED) {
      const log = await openWal(join(root, `${id}-${variant}`));
      logs.push(log);
      const durablePrepare = !variant.includes('logged');
      const participant = await Participant.open({
        endpoint: await transport.open(`${id}-${variant}`, { listen: { host: '127.0.0.1', port: await freePort() } }),
        log,
        resource: new PostgresResource(variant.includes('trips') ? { pool, work: legWork, durablePrepare } : { pool, statements: legStatement, durablePrepare }),
        timers,
      });
      closers.push(() => participant.close());
      participantsOf.set(variant, [...(participantsOf.get(variant) ?? []), participant]);
    }
  }
  const coordinatorLog = await openWal(join(root, 'coordinator'));
  logs.push(coordinatorLog);
  const coordinator = await Coordinator.open({ endpoint: await transport.open('coordinator', { listen: { host: '127.0.0.1', port: await freePort() } }), log: coordinatorLog, timers });
  closers.unshift(() => coordinator.close());

  // The local baseline: every account of every bank in one database of the first instance.
  await pools[0]!.query('CREATE DATABASE local_bank');
  const localPool = new pg.Pool({ connectionString: services[0]!.url.replace(/\/postgres$/, '/local_bank'), max: POOL, idleTimeoutMillis: 0, options: lockTimeoutOption(1000) });
  localPool.on('error', () => undefined);
  pools.push(localPool);
  await createBank(localPool, BANKS * ACCOUNTS, BALANCE);
  const localAccount = (bank: number, account: string) => accountName(bank * ACCOUNTS + Number(account.slice('acct-'.length)));

  const distributed = (variant: string) => async (t: Transfer): Promise<boolean> => {
    const outcome = await coordinator.transaction(
      new Map([
        [`bank-${t.from}-${variant}`, encodeLeg({ transfer: t.id, account: t.fromAccount, delta: -t.amount })],
        [`bank-${t.to}-${variant}`, encodeLeg({ transfer: t.id, account: t.toAccount, delta: t.amount })],
      ]),
      { gid: t.id },
    );
    return outcome.outcome === 'committed';
  };
  const localLegs = (t: Transfer) =>
    ([[t.from, t.fromAccount, -t.amount], [t.to, t.toAccount, t.amount]] as const).map(([bank, account, delta]) =>
      encodeLeg({ transfer: `${t.id}/${bank}`, account: localAccount(bank, account), delta }),
    );
  // The same statements as the participants' legs, in one round trip.
  const local = async (t: Transfer): Promise<boolean> => {
    const session = await localPool.connect();
    try {
      await session.query(`BEGIN; ${localLegs(t).map(legStatement).join('; ')}; COMMIT`);
      return true;
    } catch {
      await session.query('ROLLBACK').catch(() => undefined);
      return false;
    } finally {
      session.release();
    }
  };
  // The earlier baseline: a round trip per statement, as `work` does.
  const localTrips = async (t: Transfer): Promise<boolean> => {
    const session = await localPool.connect();
    try {
      await session.query('BEGIN');
      for (const leg of localLegs(t)) if ((await legWork(session, leg)) !== 'yes') throw new Error('no such account');
      await session.query('COMMIT');
      return true;
    } catch {
      await session.query('ROLLBACK').catch(() => undefined);
      return false;
    } finally {
      session.release();
    }
  };
  // The floor: PostgreSQL's two round trips per leg (prepare, commit prepared), and nothing else.
  const xa = async (t: Transfer): Promise<boolean> => {
    const legs = [
      { bank: t.from, gid: `${t.id}-xa-from`, leg: encodeLeg({ transfer: t.id, account: t.fromAccount, delta: -t.amount }) },
      { bank: t.to, gid: `${t.id}-xa-to`, leg: encodeLeg({ transfer: t.id, account: t.toAccount, delta: t.amount }) },
    ];
    const sessions = await Promise.all(legs.map(({ bank }) => pools[bank]!.connect()));
    try {
      const prepared = await Promise.allSettled(legs.map(({ gid, leg }, i) => sessions[i]!.query(`BEGIN; ${legStatement(leg)}; PREPARE TRANSACTION ${pgLiteral(gid)}`)));
      const yes = prepared.every((p) => p.status === 'fulfilled');
      await Promise.all(
        legs.map(({ gid }, i) =>
          sessions[i]!.query(prepared[i]!.status === 'rejected' ? 'ROLLBACK' : `${yes ? 'COMMIT' : 'ROLLBACK'} PREPARED ${pgLiteral(gid)}`).catch(() => undefined),
        ),
      );
      return yes;
    } finally {
      for (const session of sessions) session.release();
    }
  };
  const runner = (variant: string) =>
    variant === 'local' ? local : variant === 'local-trips' ? localTrips : variant === 'xa' ? xa : distributed(variant);
  const syncsOf = (variant: string) => (): readonly [number, number] => [
    coordinator.stats().syncs,
    (participantsOf.get(variant) ?? []).reduce((n, p) => n + p.stats().syncs, 0),
  ];

  // Warm-up of each.
  for (const variant of VARIANTS) await closedLoop(16, 1, runner(variant));

  const peerName: Record<string, string> = {
    local: 'local transactions in one PostgreSQL 15 database (fsync on), one round trip each',
    'local-trips': 'local transactions in one PostgreSQL 15 database (fsync on), a round trip per statement',
  };
  const what: Record<string, string> = {
    xa: "PostgreSQL's prepared transactions alone (the floor under any 2PC: no coordinator, logs or messages)",
    '2pc': '2PC',
    '2pc-logged-trips': '2PC as before (participant log synced before the vote, a round trip per statement)',
    '2pc-logged': '2PC with the participant log synced before the vote',
    '2pc-trips': '2PC with a round trip per statement',
  };
  const results: BenchResult[] = [];
  const table: string[] = [];
  const loadAtStart = loadAverage();
  for (const inFlight of IN_FLIGHT) {
    const runs = new Map<string, Run[]>(VARIANTS.map((v) => [v, []]));
    for (let round = 0; round < ROUNDS; round++) {
      // Each round in another order, so that no variant always runs right after another.
      const order = [...VARIANTS];
      for (let r = 0; r < round; r++) order.push(order.shift()!);
      for (const variant of order) runs.get(variant)!.push(await closedLoop(inFlight, SECONDS, runner(variant), syncsOf(variant)));
      const line = VARIANTS.map((v) => {
        const r = runs.get(v)!.at(-1)!;
        const syncs = v.startsWith('2pc') ? `; log syncs each: coordinator ${r.coordinatorSyncs.toFixed(3)}, participants ${r.participantSyncs.toFixed(3)}` : '';
        return `${v} ${r.rate.toFixed(0)}/s (CPU ms each: ${r.nodeMs.toFixed(2)} here + ${r.serversMs.toFixed(2)} servers${syncs})`;
      });
      console.log(`${inFlight} in flight, round ${round + 1} (load ${loadAverage()}): ${line.join(', ')}`);
    }
    const range = (list: Run[], pick: (r: Run) => number) => `${Math.min(...list.map(pick)).toFixed(2)}–${Math.max(...list.map(pick)).toFixed(2)}`;
    table.push(tableRow(inFlight, runs));
    if (VARIANTS.includes('xa')) {
      const floor = runs.get('xa')!;
      const theirs = runs.get(BASELINE)!;
      const name = `${what['xa']}, 2 of 3 PostgreSQL instances, ${inFlight} in flight`;
      const peer = peerName[BASELINE] ?? BASELINE;
      const note = (pick: (r: Run) => number) => `${ROUNDS} rounds of ${SECONDS} s, pools of ${POOL}; floor ${range(floor, pick)}, local ${range(theirs, pick)}`;
      results.push(result({ case: `${name}: transfers/s`, unit: 'transfers/s', betterIs: 'higher', ours: round2(median(floor.map((r) => r.rate))), peer, peerValue: round2(median(theirs.map((r) => r.rate))), note: note((r) => r.rate) }));
      results.push(result({ case: `${name}: CPU per transfer`, unit: 'ms', betterIs: 'lower', ours: round2(median(floor.map((r) => r.cpuMs))), peer, peerValue: round2(median(theirs.map((r) => r.cpuMs))), note: note((r) => r.cpuMs) }));
    }
    for (const variant of DISTRIBUTED) {
      // Against each baseline; the first one (`local`) is the one the targets speak of.
      for (const baseline of VARIANTS.filter((v) => v.startsWith('local'))) {
        if (variant !== '2pc' && baseline !== BASELINE) continue;
        const ours = runs.get(variant)!;
        const theirs = runs.get(baseline)!;
        const failures = `; aborted/failed: 2PC ${ours.reduce((n, r) => n + r.failed, 0)}, local ${theirs.reduce((n, r) => n + r.failed, 0)}`;
        const note = (pick: (r: Run) => number) => `${ROUNDS} rounds of ${SECONDS} s, pools of ${POOL}; 2PC ${range(ours, pick)}, local ${range(theirs, pick)}`;
        const name = `${what[variant] ?? variant} over 3 PostgreSQL participants, ${inFlight} in flight`;
        const peer = peerName[baseline] ?? baseline;
        const med = (list: Run[], pick: (r: Run) => number) => round2(median(list.map(pick)));
        results.push(result({ case: `${name}: transfers/s`, unit: 'transfers/s', betterIs: 'higher', ours: med(ours, (r) => r.rate), peer, peerValue: med(theirs, (r) => r.rate), note: note((r) => r.rate) + failures }));
        results.push(result({ case: `${name}: CPU per transfer (this process and the servers)`, unit: 'ms', betterIs: 'lower', ours: med(ours, (r) => r.cpuMs), peer, peerValue: med(theirs, (r) => r.cpuMs), note: note((r) => r.cpuMs) }));
        results.push(result({ case: `${name}: p50`, unit: 'ms', betterIs: 'lower', ours: med(ours, (r) => r.p50), peer, peerValue: med(theirs, (r) => r.p50), note: note((r) => r.p50) }));
        results.push(result({ case: `${name}: p99`, unit: 'ms', betterIs: 'lower', ours: med(ours, (r) => r.p99), peer, peerValue: med(theirs, (r) => r.p99), note: note((r) => r.p99) }));
      }
      if (inFlight === Math.max(...IN_FLIGHT)) {
        results.push(
          result({
            case: `${what[variant] ?? variant} over 3 PostgreSQL participants, ${inFlight} in flight: global transactions/s against dtm's published figure`,
            unit: 'transfers/s',
            betterIs: 'higher',
            ours: round2(median(runs.get(variant)!.map((r) => r.rate))),
            peer: 'dtm (dtm-labs/dtm), published figure, not run here',
            peerValue: DTM_PUBLISHED,
            note: "dtm's own benchmark on its own hardware (MySQL participants); quoted, not measured side by side",
          }),
        );
      }
    }
  }
  report(resultsPath, results);
  // The README's table: the medians of the rounds, the 2PC against the first local baseline.
  const headers = ['in flight', ...VARIANTS.flatMap((v) => [`${v} /s`, `${v} p50 / p99 ms`, `${v} CPU ms`]), `2pc / ${BASELINE}`, ...(VARIANTS.includes('xa') ? [`xa / ${BASELINE}`] : [])];
  console.log(`\n${ROUNDS} rounds of ${SECONDS} s each, load average ${loadAtStart} at the start and ${loadAverage()} at the end:\n`);
  console.log(`| ${headers.join(' | ')} |`);
  console.log(`| ${headers.map(() => '---').join(' | ')} |`);
  for (const row of table) console.log(row);
} finally {
  for (const close of closers) await close().catch(() => undefined);
  await transport?.close();
  for (const log of logs) await log.close().catch(() => undefined);
  for (const pool of pools) await pool.end().catch(() => undefined);
  await Promise.allSettled(services.map((s) => s.stop()));
  rmSync(root, { recursive: true, force: true });
}

/** One Markdown row: every variant's median rate, p50 / p99 and CPU per transfer, and the 2PC/local ratio. */
function tableRow(inFlight: number, runs: Map<string, Run[]>): string {
  const med = (variant: string, pick: (r: Run) => number) => median((runs.get(variant) ?? []).map(pick));
  const cells = [String(inFlight)];
  for (const variant of runs.keys()) {
    cells.push(med(variant, (r) => r.rate).toFixed(0));
    cells.push(`${med(variant, (r) => r.p50).toFixed(1)} / ${med(variant, (r) => r.p99).toFixed(1)}`);
    cells.push(med(variant, (r) => r.cpuMs).toFixed(2));
  }
  const ours = runs.has('2pc') ? med('2pc', (r) => r.rate) : Number.NaN;
  cells.push(`${(ours / med(BASELINE, (r) => r.rate)).toFixed(2)}×`);
  if (runs.has('xa')) cells.push(`${(med('xa', (r) => r.rate) / med(BASELINE, (r) => r.rate)).toFixed(2)}×`);
  return `| ${cells.join(' | ')} |`;
}

function loadAverage(): string {
  return loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
