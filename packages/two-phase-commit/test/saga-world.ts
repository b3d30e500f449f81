/**
 * A deterministic world for the Saga orchestrator: a pure `SagaCore` whose log keeps only what was
 * synced across a crash (an unsynced tail is lost, all or in part), bank participants that run
 * every request through a `MemoryBarrier` (their stores are databases: they outlive the
 * orchestrator's crashes), and a network of in-flight messages delivered in a seeded random order,
 * lost or duplicated. The orchestrator can crash at every step boundary — before and after each
 * batch of early messages, each write, each batch of messages — and is rebuilt from its log; the
 * client resubmits every saga it has no outcome for (sagas are idempotent by id).
 *
 * Checked once every saga finished and the network is empty (late duplicates delivered):
 * one outcome per saga; money conserved; each step's action and compensation applied at most
 * once, and as the barrier rows say (a balance that differs from the one the rows imply is a
 * request applied twice, or applied without its row); a committed saga applied every action and no
 * compensation; a compensated saga left no step with an uncompensated action.
 */
import { ByteReader, ByteWriter, seededRandom, type NodeId, isLatticeError, type Random } from '@lattice/core';
import { MemoryBarrier, SagaCore, type SagaDeliberateBugs, type SagaMessage, type SagaOutcome, type SagaRecord, type SagaReply, type SagaStage } from '../src/index.js';

export const ORCHESTRATOR = 'orchestrator';

/** One leg of a transfer: add `amount` to `account` at `bank` (a debit is negative). */
export interface Leg {
  readonly bank: NodeId;
  readonly account: string;
  readonly amount: number;
  readonly retriable?: boolean;
}

/** A saga of the world: stages of legs. */
export interface WorldSaga {
  readonly gid: string;
  readonly stages: readonly (readonly Leg[])[];
}

export interface SagaWorldOptions {
  readonly seed: number;
  /** Initial balances: bank → account → balance. */
  readonly accounts: Readonly<Record<NodeId, Readonly<Record<string, number>>>>;
  readonly sagas: readonly WorldSaga[];
  /** Orchestrator crashes at these boundary counts (enumerated plans). */
  readonly crashes?: readonly number[];
  /** Messages (by send order) that are lost. */
  readonly drops?: readonly number[];
  /** Random faults: per boundary crash probability, per message loss and duplication, per action injected failure. */
  readonly random?: { readonly crash?: number; readonly drop?: number; readonly duplicate?: number; readonly fail?: number };
  /** At most this many random crashes (so that every run ends). Default 6. */
  readonly maxCrashes?: number;
  /** Unanswered tries of a non-retriable step before the saga compensates. Default 3. */
  readonly maxAttempts?: number;
  readonly bugs?: SagaDeliberateBugs;
  /** Participants apply every request without a barrier. */
  readonly noBarrier?: boolean;
}

export interface SagaWorldResult {
  readonly problems: string[];
  /** Boundaries crossed (the crash points an enumeration can use). */
  readonly boundaries: number;
  /** Messages sent. */
  readonly messages: number;
  readonly committed: number;
  readonly compensated: number;
  readonly crashes: number;
  /** What the barriers did: applied, refused, duplicate, null-compensation, hanging. */
  readonly barrier: Record<string, number>;
}

class Crash extends Error {}

export function encodeLeg(account: string, amount: number): Uint8Array {
  const w = new ByteWriter();
  w.string(account);
  w.int(amount);
  return w.finish();
}

export { decodeLeg as decodeLegForTests };

function decodeLeg(bytes: Uint8Array): { account: string; amount: number } {
  const r = new ByteReader(bytes, 'leg');
  const account = r.string();
  const amount = r.int();
  r.end();
  return { account, amount };
}

/** The application's stages for a world saga: the compensation adds back what the action added. */
export function sagaStages(saga: WorldSaga): SagaStage[] {
  return saga.stages.map((legs) =>
    legs.map((leg) => ({ participant: leg.bank, action: encodeLeg(leg.account, leg.amount), compensation: encodeLeg(leg.account, -leg.amount), ...(leg.retriable ? { retriable: true } : {}) })),
  );
}

/** Bank → account → balance for `banks`, each with accounts a and b of 100. */
export function bankAccounts(banks: readonly NodeId[]): Record<NodeId, Record<string, number>> {
  return Object.fromEntries(banks.map((bank) => [bank, { a: 100, b: 100 }]));
}

/** Random transfers: a debit stage (one or two concurrent debits), then a credit stage (the credit retriable half the time). */
export function randomSagas(seed: number, banks: readonly NodeId[], count: number): WorldSaga[] {
  const random = seededRandom(seed * 7919 + 13);
  const sagas: WorldSaga[] = [];
  const pick = <T>(list: readonly T[]): T => list[random.int(list.length)]!;
  for (let i = 0; i < count; i++) {
    const amount = 1 + random.int(150);
    const from = pick(banks);
    const debits: Leg[] = [{ bank: from, account: pick(['a', 'b']), amount: -amount }];
    let total = amount;
    if (random.next() < 0.3) {
      const second = 1 + random.int(60);
      debits.push({ bank: pick(banks.filter((b) => b !== from)), account: pick(['a', 'b']), amount: -second });
      total += second;
    }
    const credit: Leg = { bank: pick(banks), account: pick(['a', 'b']), amount: total, retriable: random.next() < 0.5 };
    sagas.push({ gid: `saga-${i}`, stages: [debits, [credit]] });
  }
  return sagas;
}

/**
 * The enumerated scenario: a transfer that commits (its credit retriable), one refused for an
 * overdraft at its first stage, one with two concurrent debits, and a three-stage one whose last
 * (concurrent) stage fails, so that it compensates three stages.
 */
export const SCENARIO_BANKS = ['b1', 'b2', 'b3'];
export const SCENARIO: readonly WorldSaga[] = [
  { gid: 's0', stages: [[{ bank: 'b1', account: 'a', amount: -30 }], [{ bank: 'b2', account: 'a', amount: 30, retriable: true }]] },
  { gid: 's1', stages: [[{ bank: 'b2', account: 'b', amount: -500 }], [{ bank: 'b3', account: 'a', amount: 500 }]] },
  { gid: 's2', stages: [[{ bank: 'b1', account: 'b', amount: -20 }, { bank: 'b3', account: 'b', amount: -10 }], [{ bank: 'b2', account: 'a', amount: 30 }]] },
  {
    gid: 's3',
    stages: [
      [{ bank: 'b3', account: 'a', amount: -40 }],
      [{ bank: 'b1', account: 'a', amount: 40 }],
      [{ bank: 'b2', account: 'b', amount: -1000 }, { bank: 'b2', account: 'a', amount: 1000 }],
    ],
  },
];

interface Flight {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: SagaMessage;
}

interface Bank {
  readonly balances: Map<string, number>;
  readonly barrier: MemoryBarrier;
  /** Without a barrier (the deliberate defect): what each request applied, to check against. */
  readonly applied: Map<string, number>;
}

export function runSagaWorld(options: SagaWorldOptions): SagaWorldResult {
  const random: Random = seededRandom(options.seed);
  const faults = options.random ?? {};
  const crashAt = new Set(options.crashes ?? []);
  const drops = new Set(options.drops ?? []);
  const maxCrashes = options.maxCrashes ?? 6;
  const problems: string[] = [];
  const barrierCounts: Record<string, number> = { applied: 0, refused: 0, duplicate: 0, 'null-compensation': 0, hanging: 0 };
  const banks = new Map<NodeId, Bank>();
  let initialTotal = 0;
  for (const [id, accounts] of Object.entries(options.accounts)) {
    banks.set(id, { balances: new Map(Object.entries(accounts)), barrier: new MemoryBarrier(), applied: new Map() });
    for (const value of Object.values(accounts)) initialTotal += value;
  }

  // The orchestrator's log: everything written, and how much of it is synced.
  let log: SagaRecord[] = [];
  let synced = 0;
  let now = 0;
  let boundaries = 0;
  let sent = 0;
  let crashes = 0;
  const coreOptions = { replyTimeoutMs: 100, retry: { initialMs: 20, maxMs: 320 }, maxAttempts: options.maxAttempts ?? 3, ...(options.bugs === undefined ? {} : { deliberateBugs: options.bugs }) };
  let core = new SagaCore({ now, ...coreOptions });
  const network: Flight[] = [];
  const outcomes = new Map<string, SagaOutcome>();
  const submitted: WorldSaga[] = [];
  const pendingSubmissions = [...options.sagas];

  const boundary = (): void => {
    const at = boundaries++;
    if (crashAt.has(at) || (faults.crash !== undefined && crashes < maxCrashes && random.next() < faults.crash)) throw new Crash();
  };
  const send = (from: NodeId, to: NodeId, message: SagaMessage): void => {
    const index = sent++;
    if (drops.has(index) || (faults.drop !== undefined && random.next() < faults.drop)) return;
    network.push({ from, to, message });
    if (faults.duplicate !== undefined && random.next() < faults.duplicate) network.push({ from, to, message });
  };
  const record = (gid: string, outcome: SagaOutcome): void => {
    const previous = outcomes.get(gid);
    if (previous !== undefined && previous !== outcome) problems.push(`${gid}: reported ${previous}, then ${outcome}`);
    outcomes.set(gid, outcome);
  };
  const drive = (): void => {
    while (core.hasReady()) {
      const ready = core.ready();
      boundary();
      for (const { to, message } of ready.sendEarly) send(ORCHESTRATOR, to, message);
      boundary();
      log.push(...ready.persist);
      if (ready.mustSync) synced = log.length;
      boundary();
      for (const { to, message } of ready.messages) send(ORCHESTRATOR, to, message);
      for (const effect of ready.effects) if (effect.type === 'finished') record(effect.gid, effect.outcome);
      core.advance(ready);
      boundary();
    }
  };
  const submit = (saga: WorldSaga): void => {
    core.tick(now);
    core.begin(saga.gid, sagaStages(saga));
    const known = core.outcome(saga.gid);
    if (known !== undefined) record(saga.gid, known.outcome);
    drive();
  };
  const restart = (): void => {
    crashes++;
    // The unsynced tail is lost: all of it, or (at random) all but a prefix that reached the disk.
    const keep = faults.crash === undefined ? synced : synced + random.int(log.length - synced + 1);
    log = log.slice(0, keep);
    synced = log.length;
    core = new SagaCore({ now, stored: log, ...coreOptions });
    // The client does not know what the crash lost: it resubmits every saga it has no outcome for.
    for (const saga of submitted) if (!outcomes.has(saga.gid)) submit(saga);
    drive();
  };
  const guarded = (act: () => void): void => {
    for (;;) {
      try {
        act();
        return;
      } catch (error) {
        if (!(error instanceof Crash)) throw error;
        act = restart;
      }
    }
  };

  const handle = (bankId: NodeId, message: SagaMessage & { type: 'invoke' }): SagaReply => {
    const bank = banks.get(bankId)!;
    const { account, amount } = decodeLeg(message.payload);
    const apply = (): SagaReply => {
      const value = bank.balances.get(account) ?? 0;
      if (message.op === 'action') {
        if (faults.fail !== undefined && random.next() < faults.fail) return 'failed';
        if (value + amount < 0) return 'failed';
      }
      // A compensation always succeeds (it may take a balance below zero: a saga has no isolation).
      bank.balances.set(account, value + amount);
      const key = `${message.gid}/${message.step}/${message.op}`;
      bank.applied.set(key, (bank.applied.get(key) ?? 0) + 1);
      return 'succeeded';
    };
    if (options.noBarrier) return apply();
    const result = bank.barrier.runSync({ gid: message.gid, branch: String(message.step), op: message.op }, apply);
    barrierCounts[result.status] = (barrierCounts[result.status] ?? 0) + 1;
    return result.reply;
  };

  const deliver = (flight: Flight): void => {
    if (flight.to === ORCHESTRATOR) {
      guarded(() => {
        core.tick(now);
        try {
          core.step(flight.from, flight.message);
        } catch (error) {
          if (!isLatticeError(error)) throw error;
          problems.push(`orchestrator refused a reply: ${error.message}`);
        }
        drive();
      });
      return;
    }
    if (flight.message.type !== 'invoke') return;
    send(flight.to, ORCHESTRATOR, { type: 'reply', gid: flight.message.gid, step: flight.message.step, op: flight.message.op, reply: handle(flight.to, flight.message) });
  };

  let iterations = 0;
  const budget = 200_000;
  while (iterations++ < budget) {
    const allFinished = pendingSubmissions.length === 0 && submitted.every((saga) => outcomes.has(saga.gid));
    if (allFinished && network.length === 0) break;
    const roll = random.next();
    if (pendingSubmissions.length > 0 && roll < 0.15) {
      const saga = pendingSubmissions.shift()!;
      submitted.push(saga);
      guarded(() => submit(saga));
    } else if (network.length > 0 && roll < 0.9) {
      const [flight] = network.splice(random.int(network.length), 1);
      deliver(flight!);
    } else {
      const wake = core.wakeAt();
      now = wake === undefined ? now + 10 : Math.max(now + 1, Math.min(wake, now + 50));
      guarded(() => {
        core.tick(now);
        drive();
      });
    }
  }
  if (iterations >= budget) problems.push(`not finished after ${budget} steps: ${submitted.filter((s) => !outcomes.has(s.gid)).map((s) => s.gid).join(', ')} unfinished`);

  checkBanks(options, banks, outcomes, initialTotal, problems);
  return {
    problems,
    boundaries,
    messages: sent,
    committed: [...outcomes.values()].filter((o) => o === 'committed').length,
    compensated: [...outcomes.values()].filter((o) => o === 'compensated').length,
    crashes,
    barrier: barrierCounts,
  };
}

function checkBanks(options: SagaWorldOptions, banks: Map<NodeId, Bank>, outcomes: Map<string, SagaOutcome>, initialTotal: number, problems: string[]): void {
  let total = 0;
  for (const bank of banks.values()) for (const value of bank.balances.values()) total += value;
  if (total !== initialTotal) problems.push(`total balance ${total}, expected ${initialTotal}`);
  // What each bank's balances must be, given which requests the barrier rows say ran.
  const expected = new Map<string, number>();
  for (const [id, accounts] of Object.entries(options.accounts)) for (const [account, value] of Object.entries(accounts)) expected.set(`${id}/${account}`, value);
  for (const saga of options.sagas) {
    const outcome = outcomes.get(saga.gid);
    let index = 0;
    let failedStage: number | undefined;
    saga.stages.forEach((legs, stage) => {
      for (const leg of legs) {
        const step = index++;
        const bank = banks.get(leg.bank)!;
        let actionRan: boolean;
        let compensationRan: boolean;
        if (options.noBarrier) {
          const actions = bank.applied.get(`${saga.gid}/${step}/action`) ?? 0;
          const compensations = bank.applied.get(`${saga.gid}/${step}/compensate`) ?? 0;
          if (actions > 1 || compensations > 1) problems.push(`${saga.gid} step ${step}: action applied ${actions} times, compensation ${compensations} times`);
          actionRan = actions > 0;
          compensationRan = compensations > 0;
        } else {
          const rows = bank.barrier.records().filter((r) => r.gid === saga.gid && r.branch === String(step));
          actionRan = rows.some((r) => r.op === 'action' && r.reason === 'action');
          compensationRan = actionRan && rows.some((r) => r.op === 'compensate');
        }
        const key = `${leg.bank}/${leg.account}`;
        expected.set(key, (expected.get(key) ?? 0) + (actionRan ? leg.amount : 0) - (compensationRan ? leg.amount : 0));
        if (outcome === 'committed' && (!actionRan || compensationRan)) problems.push(`${saga.gid} committed, but step ${step}: action ${actionRan ? 'ran' : 'did not run'}, compensation ${compensationRan ? 'ran' : 'did not'}`);
        if (outcome === 'compensated' && actionRan && !compensationRan) problems.push(`${saga.gid} compensated, but step ${step}'s action is not compensated`);
        if (outcome === 'compensated' && !actionRan) failedStage ??= stage;
        if (outcome === 'compensated' && failedStage !== undefined && stage > failedStage && actionRan) problems.push(`${saga.gid}: step ${step} ran after stage ${failedStage} failed`);
      }
    });
  }
  for (const [id, bank] of banks) {
    for (const [account, value] of bank.balances) {
      const want = expected.get(`${id}/${account}`) ?? 0;
      if (value !== want) problems.push(`${id}/${account} is ${value}, but the applied requests make it ${want}`);
    }
  }
}
