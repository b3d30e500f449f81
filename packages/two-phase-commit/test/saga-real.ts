/**
 * The Saga bank on the real parts: `SagaOrchestrator` on a `FileWal` in a temp dir, `MemoryNetwork`
 * (with loss, duplication and reordering when asked), `SagaParticipant`s whose banks keep their
 * accounts and barrier rows in memory or in PostgreSQL. The orchestrator "crashes" at a chosen
 * reply (its endpoint and its log are closed without flushing what was not yet written, as a killed
 * process leaves them), and a new one opens the same log; the client resubmits every saga it has
 * no outcome for. The checks are the deterministic world's (test/saga-world.ts), read from each
 * bank's barrier rows and balances.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Endpoint, type NodeId, type Random, seededRandom } from '@lattice/core';
import { type FaultOptions, MemoryNetwork } from '@lattice/transport';
import { openWal, type WriteAheadLog } from '@lattice/wal';
import {
  type BarrierRecord,
  MemoryBarrier,
  type PgPool,
  PostgresBarrier,
  type SagaHandler,
  SagaOrchestrator,
  type SagaOutcome,
  SagaParticipant,
  type SagaReply,
} from '../src/index.js';
import { decodeLegForTests, sagaStages, type WorldSaga } from './saga-world.js';

export const ORCHESTRATOR = 'orchestrator';

/** A bank: the handler its participant runs, and what the checks read back. */
export interface RealBank {
  readonly id: NodeId;
  readonly handle: SagaHandler;
  records(): Promise<BarrierRecord[]>;
  balances(): Promise<Map<string, number>>;
}

/** A bank in memory: balances in a map, requests through a `MemoryBarrier`; actions fail at random with probability `fail`. */
export function memoryBank(id: NodeId, accounts: Readonly<Record<string, number>>, random: Random, fail = 0): RealBank {
  const balances = new Map(Object.entries(accounts));
  const barrier = new MemoryBarrier();
  return {
    id,
    handle: async (request) => {
      const { account, amount } = decodeLegForTests(request.payload);
      const result = await barrier.run(request, (): SagaReply => {
        const value = balances.get(account) ?? 0;
        if (request.op === 'action' && (random.next() < fail || value + amount < 0)) return 'failed';
        balances.set(account, value + amount);
        return 'succeeded';
      });
      return result.reply;
    },
    records: async () => barrier.records(),
    balances: async () => new Map(balances),
  };
}

/** A bank in PostgreSQL schema `schema`: an accounts table and a barrier table, each request one local transaction. */
export async function postgresBank(id: NodeId, pool: PgPool, schema: string, accounts: Readonly<Record<string, number>>, random: Random, fail = 0): Promise<RealBank> {
  await pool.query(`CREATE SCHEMA ${schema}`);
  await pool.query(`CREATE TABLE ${schema}.accounts (id text PRIMARY KEY, balance integer NOT NULL)`);
  for (const [account, balance] of Object.entries(accounts)) await pool.query(`INSERT INTO ${schema}.accounts VALUES ($1, $2)`, [account, balance]);
  const barrier = new PostgresBarrier({ pool, table: `${schema}.saga_barrier` });
  await barrier.createTable();
  return {
    id,
    handle: async (request) => {
      const { account, amount } = decodeLegForTests(request.payload);
      const result = await barrier.run(request, async (session) => {
        if (request.op === 'compensate') {
          // A compensation must succeed: it may take a balance below zero (a saga has no isolation).
          await session.query(`UPDATE ${schema}.accounts SET balance = balance + $1 WHERE id = $2`, [amount, account]);
          return 'succeeded';
        }
        if (random.next() < fail) return 'failed';
        const updated = await session.query(`UPDATE ${schema}.accounts SET balance = balance + $1 WHERE id = $2 AND balance + $1 >= 0 RETURNING balance`, [amount, account]);
        return updated.rows.length === 1 ? 'succeeded' : 'failed';
      });
      return result.reply;
    },
    records: () => barrier.records(),
    balances: async () => new Map((await pool.query(`SELECT id, balance FROM ${schema}.accounts`)).rows.map((row) => [String(row['id']), Number(row['balance'])])),
  };
}

/** An endpoint that hands each inbound message to `inbound` first; false swallows it. */
function tapped(inner: Endpoint, inbound: () => boolean): Endpoint {
  return {
    get id() {
      return inner.id;
    },
    get maxMessageSize() {
      return inner.maxMessageSize;
    },
    get closed() {
      return inner.closed;
    },
    send: (to, payload, options) => inner.send(to, payload, options),
    onMessage: (handler) => inner.onMessage((envelope) => (inbound() ? handler(envelope) : undefined)),
    onError: (handler) => inner.onError(handler),
    close: () => inner.close(),
    [Symbol.asyncDispose]: () => inner.close(),
    [Symbol.asyncIterator]: () => inner[Symbol.asyncIterator](),
  };
}

export interface RealBankOptions {
  readonly banks: readonly RealBank[];
  readonly sagas: readonly WorldSaga[];
  /** The orchestrator crashes when it receives its reply number `crashAt` (0-based), if it gets that far. */
  readonly crashAt?: readonly number[];
  readonly faults?: FaultOptions;
  readonly seed?: number;
  /** Wall-clock limit of the run, ms. */
  readonly deadlineMs?: number;
}

export interface RealBankResult {
  readonly outcomes: Map<string, SagaOutcome>;
  /** Replies the orchestrators received (across restarts). */
  readonly replies: number;
  readonly crashes: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs every saga to its end through crashes of the orchestrator; resolves with the outcomes. */
export async function runRealBank(options: RealBankOptions): Promise<RealBankResult> {
  const dir = await mkdtemp(join(tmpdir(), 'saga-bank-'));
  const network = new MemoryNetwork({ seed: options.seed ?? 1, ...(options.faults === undefined ? {} : { faults: options.faults }) });
  const participants: SagaParticipant[] = [];
  const outcomes = new Map<string, SagaOutcome>();
  const crashAt = new Set(options.crashAt ?? []);
  let replies = 0;
  let crashes = 0;
  let busy = 0;
  const quiet = (): boolean => {
    const stats = network.stats();
    return busy === 0 && stats.sent + stats.duplicated === stats.delivered + stats.dropped;
  };
  try {
    for (const bank of options.banks) {
      const handle: SagaHandler = async (request) => {
        busy++;
        try {
          return await bank.handle(request);
        } finally {
          busy--;
        }
      };
      const participant = new SagaParticipant({ endpoint: await network.open(bank.id), handle });
      participant.on('error', () => undefined); // a throw or a lost reply: the orchestrator repeats the request
      participants.push(participant);
    }
    const deadline = performance.now() + (options.deadlineMs ?? 20_000);
    while (outcomes.size < options.sagas.length) {
      if (performance.now() > deadline) throw new Error(`sagas unfinished at the deadline: ${options.sagas.filter((s) => !outcomes.has(s.gid)).map((s) => s.gid).join(', ')}`);
      const log: WriteAheadLog = await openWal(join(dir, 'orchestrator'), { segmentSize: 64 * 1024 });
      let crash: () => void = () => undefined;
      const crashed = new Promise<'crashed'>((resolve) => (crash = () => resolve('crashed')));
      let down = false;
      const endpoint = tapped(await network.open(ORCHESTRATOR), () => {
        if (down) return false;
        if (crashAt.has(replies++)) {
          down = true;
          crash();
          return false;
        }
        return true;
      });
      const orchestrator = await SagaOrchestrator.open({ endpoint, log, replyTimeoutMs: 60, retry: { initialMs: 10, maxMs: 80 }, maxAttempts: 3, random: seededRandom(crashes + 1) });
      orchestrator.on('error', () => undefined);
      const runs = options.sagas
        .filter((saga) => !outcomes.has(saga.gid))
        .map((saga) =>
          orchestrator.run(sagaStages(saga), { gid: saga.gid }).then(
            (result) => {
              if (!down) outcomes.set(result.gid, result.outcome);
            },
            () => undefined,
          ),
        );
      const over = await Promise.race([Promise.all(runs).then(() => 'done' as const), crashed, sleep(Math.max(0, deadline - performance.now())).then(() => 'late' as const)]);
      if (over === 'crashed') {
        crashes++;
        down = true;
        // A killed process: nothing more leaves or arrives, and records not yet written are gone.
        await endpoint.close();
        await log.close();
        await orchestrator.close().catch(() => undefined);
        continue;
      }
      await orchestrator.close();
      await log.close();
      await endpoint.close();
    }
    // Late duplicates and requests still in flight reach the participants before anything is read.
    const settleBy = performance.now() + 2_000;
    while (performance.now() < settleBy) {
      if (quiet()) {
        await sleep(20);
        if (quiet()) break;
      }
      await sleep(10);
    }
    return { outcomes, replies, crashes };
  } finally {
    for (const participant of participants) await participant.close();
    await network.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The world's checks on real banks: money conserved, every balance what the barrier rows say, outcomes consistent with the rows. */
export async function checkRealBanks(banks: readonly RealBank[], initial: Readonly<Record<NodeId, Readonly<Record<string, number>>>>, sagas: readonly WorldSaga[], outcomes: Map<string, SagaOutcome>): Promise<string[]> {
  const problems: string[] = [];
  const rows = new Map<NodeId, BarrierRecord[]>();
  const balances = new Map<NodeId, Map<string, number>>();
  for (const bank of banks) {
    rows.set(bank.id, await bank.records());
    balances.set(bank.id, await bank.balances());
  }
  let total = 0;
  let initialTotal = 0;
  const expected = new Map<string, number>();
  for (const [id, accounts] of Object.entries(initial)) {
    for (const [account, value] of Object.entries(accounts)) {
      expected.set(`${id}/${account}`, value);
      initialTotal += value;
    }
  }
  for (const map of balances.values()) for (const value of map.values()) total += value;
  if (total !== initialTotal) problems.push(`total balance ${total}, expected ${initialTotal}`);
  for (const saga of sagas) {
    const outcome = outcomes.get(saga.gid);
    if (outcome === undefined) problems.push(`${saga.gid} has no outcome`);
    let step = 0;
    for (const legs of saga.stages) {
      for (const leg of legs) {
        const mine = (rows.get(leg.bank) ?? []).filter((r) => r.gid === saga.gid && r.branch === String(step));
        const actionRan = mine.some((r) => r.op === 'action' && r.reason === 'action');
        const compensationRan = actionRan && mine.some((r) => r.op === 'compensate');
        const key = `${leg.bank}/${leg.account}`;
        expected.set(key, (expected.get(key) ?? 0) + (actionRan ? leg.amount : 0) - (compensationRan ? leg.amount : 0));
        if (outcome === 'committed' && (!actionRan || compensationRan)) problems.push(`${saga.gid} committed, but step ${step} has ${actionRan ? 'a compensation' : 'no action'}`);
        if (outcome === 'compensated' && actionRan && !compensationRan) problems.push(`${saga.gid} compensated, but step ${step}'s action is not`);
        step++;
      }
    }
  }
  for (const [id, map] of balances) {
    for (const [account, value] of map) {
      const want = expected.get(`${id}/${account}`) ?? 0;
      if (value !== want) problems.push(`${id}/${account} is ${value}, but the barrier rows make it ${want}`);
    }
  }
  return problems;
}
