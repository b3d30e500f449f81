/**
 * A deterministic world for two-phase commit: one coordinator and a few participants, each a pure
 * core with a log whose unsynced tail a crash loses, a network that delays, reorders and drops
 * messages (as bytes, through the codec), and crash points at every step boundary of a `Ready`:
 * before and after each message batch, and after each record. Everything follows from the seed
 * and the fault plan, so a failure is replayed by running the same case again.
 */
import { isLatticeError, type NodeId, type Random, type Ready, seededRandom } from '@lattice/core';
import {
  CoordinatorCore,
  compactablePrefix,
  type CoordinatorDeliberateBugs,
  type CoordinatorRecord,
  decodeTwoPhaseMessage,
  encodeKvOps,
  encodeTwoPhaseMessage,
  type Gid,
  type KvOp,
  MemoryKv,
  ParticipantCore,
  type ParticipantDeliberateBugs,
  type ParticipantRecord,
  type TwoPhaseMessage,
} from '../src/index.js';
import type { HeldTransaction } from '../src/participant-core.js';
import { settleHeld } from '../src/participant.js';

export const COORDINATOR = 'coordinator';

export interface Transfer {
  readonly gid: Gid;
  /** Simulated ms at which the client starts it. */
  readonly at: number;
  readonly legs: readonly { readonly participant: NodeId; readonly ops: readonly KvOp[] }[];
}

/** Crash a node when its step-boundary counter reaches `at` (each node crashes at most once per plan entry). */
export interface CrashPoint {
  readonly node: NodeId;
  readonly at: number;
}

/**
 * Every crash plan of the enumeration: the coordinator crashing at each of its step boundaries,
 * alone and crossed with each participant crashing at each of its own, as a clean run counted them.
 */
export function crossedCrashPlans(boundaries: Readonly<Record<NodeId, number>>, participants: readonly NodeId[]): CrashPoint[][] {
  const plans: CrashPoint[][] = [];
  for (let c = 0; c <= boundaries[COORDINATOR]!; c++) {
    plans.push([{ node: COORDINATOR, at: c }]);
    for (const p of participants) for (let at = 0; at <= boundaries[p]!; at++) plans.push([{ node: COORDINATOR, at: c }, { node: p, at }]);
  }
  return plans;
}

export interface WorldOptions {
  readonly seed: number;
  readonly accounts: Readonly<Record<NodeId, Readonly<Record<string, number>>>>;
  readonly transfers: readonly Transfer[];
  readonly crashes?: readonly CrashPoint[];
  /** Indexes (in send order) of messages the network loses. */
  readonly drops?: readonly number[];
  /** Random faults until `faultsUntil`: crash chance per boundary, loss chance per message. */
  readonly random?: { readonly crash: number; readonly drop: number };
  readonly faultsUntil?: number;
  readonly coordinatorBugs?: CoordinatorDeliberateBugs;
  readonly participantBugs?: ParticipantDeliberateBugs;
  /** Check that the balances add up at the end. Default true (false for workloads of `set`s). */
  readonly conserves?: boolean;
  /**
   * Participants on a resource whose prepare is durable on its own (as PostgreSQL's): the store
   * — committed values, prepared transactions and their coordinator and peers — survives a crash
   * whole, the participants write no "prepared" record, and a restart settles what the store
   * holds as `Participant.open` does (`settleHeld`). Default false: the store is lost in a crash
   * and rebuilt from the participant's log.
   */
  readonly durablePrepare?: boolean;
  /**
   * Participant compaction: the coordinator announces `forgotten` once its `forget` is durable,
   * participants drop the gid from memory, and — with `durablePrepare`, whose store keeps
   * committed work itself — their logs drop the prefix `compactablePrefix` allows after every
   * turn. Default false.
   */
  readonly compaction?: boolean;
}

export interface WorldResult {
  /** Problems found by the checks (empty when the run is correct). */
  readonly problems: string[];
  readonly boundaries: Record<NodeId, number>;
  readonly messages: number;
  readonly crashes: number;
  readonly committed: number;
  readonly aborted: number;
  /** What the coordinator told the client of each gid, and when: its first decision (none: it never decided). */
  readonly decisions: ReadonlyMap<Gid, { readonly outcome: 'committed' | 'aborted'; readonly at: number }>;
  /** The simulated ms at which the run went quiet. */
  readonly endedAt: number;
  /** Every participant's committed values at the end. */
  readonly finalValues: ReadonlyMap<string, number>;
  /** The most transactions any participant core remembered at once (checked after every turn). */
  readonly maxKnown: number;
  /** The longest any participant's durable log grew (checked after every turn). */
  readonly maxLog: number;
  /** Records the participants' logs dropped by compaction. */
  readonly compactedRecords: number;
  /** Transactions the participant cores remember at the end, summed. */
  readonly finalKnown: number;
  /** Records in the participants' durable logs at the end, summed. */
  readonly finalLog: number;
}

class Crash extends Error {}

interface Node<R> {
  readonly id: NodeId;
  up: boolean;
  durable: R[];
  unsynced: R[];
  boundaries: number;
  restartAt: number | undefined;
}

interface CoordinatorNode extends Node<CoordinatorRecord> {
  core: CoordinatorCore | undefined;
}

interface ParticipantNode extends Node<ParticipantRecord> {
  core: ParticipantCore | undefined;
  kv: MemoryKv | undefined;
  votes: { gid: Gid; vote: 'yes' | 'no' }[];
  /** With durablePrepare: the coordinator and peers the store keeps with each prepared transaction. */
  held: Map<Gid, HeldTransaction>;
  /** The observer's note (it survives crashes) of the first outcome the store carried out per gid. */
  first: Map<Gid, 'committed' | 'aborted'>;
}

interface InFlight {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly bytes: Uint8Array;
  readonly at: number;
  readonly order: number;
}

const QUIESCE_LIMIT_MS = 600_000;

export function runWorld(options: WorldOptions): WorldResult {
  const random: Random = seededRandom(options.seed);
  const faultsUntil = options.faultsUntil ?? 2_000;
  const pending = new Set((options.crashes ?? []).map((c) => `${c.node}@${c.at}`));
  const drops = new Set(options.drops ?? []);
  const problems: string[] = [];
  let now = 0;
  let sent = 0;
  let crashes = 0;
  let network: InFlight[] = [];
  const coordinator: CoordinatorNode = { id: COORDINATOR, up: true, durable: [], unsynced: [], boundaries: 0, restartAt: undefined, core: undefined };
  const participants = new Map<NodeId, ParticipantNode>();
  for (const id of Object.keys(options.accounts)) {
    participants.set(id, { id, up: true, durable: [], unsynced: [], boundaries: 0, restartAt: undefined, core: undefined, kv: undefined, votes: [], held: new Map(), first: new Map() });
  }
  const faulty = (): boolean => now < faultsUntil;
  const startCoordinator = (): void => {
    coordinator.core = new CoordinatorCore({
      now,
      stored: coordinator.durable,
      voteTimeoutMs: 300,
      retry: { initialMs: 50, maxMs: 800 },
      ...(options.compaction === true ? { announceForgotten: true } : {}),
      ...(options.coordinatorBugs === undefined ? {} : { deliberateBugs: options.coordinatorBugs }),
    });
  };
  const durablePrepare = options.durablePrepare === true;
  const compaction = options.compaction === true;
  let maxKnown = 0;
  let maxLog = 0;
  let compactedRecords = 0;
  const noteOutcome = (node: ParticipantNode, gid: Gid, outcome: 'committed' | 'aborted'): void => {
    if (!node.first.has(gid)) node.first.set(gid, outcome);
  };
  const startParticipant = (node: ParticipantNode): void => {
    let held: HeldTransaction[] | undefined;
    if (!durablePrepare || node.kv === undefined) node.kv = new MemoryKv(options.accounts[node.id]);
    else {
      const settled = settleHeld(
        node.durable,
        node.kv.preparedGids().map((gid) => node.held.get(gid)!),
        true,
        options.participantBugs,
      );
      for (const gid of settled.commit) {
        node.kv.commit(gid);
        noteOutcome(node, gid, 'committed');
      }
      for (const gid of settled.abort) {
        node.kv.abort(gid);
        noteOutcome(node, gid, 'aborted');
      }
      for (const gid of [...settled.commit, ...settled.abort]) node.held.delete(gid);
      held = settled.inDoubt;
    }
    node.core = new ParticipantCore({
      id: node.id,
      now,
      stored: node.durable,
      ...(durablePrepare ? { durablePrepare: true, held: held ?? [] } : {}),
      voteTimeoutMs: 200,
      inquiry: { initialMs: 100, maxMs: 1600 },
      ...(options.compaction === true ? { settledInquiryMs: 2000 } : {}),
      ...(options.participantBugs === undefined ? {} : { deliberateBugs: options.participantBugs }),
    });
  };
  startCoordinator();
  for (const node of participants.values()) startParticipant(node);

  const crash = (node: CoordinatorNode | ParticipantNode): never => {
    node.up = false;
    node.core = undefined;
    if ('kv' in node) {
      // A durable store survives the crash whole; otherwise it is rebuilt from the log.
      if (!durablePrepare) node.kv = undefined;
      node.votes = [];
    }
    // Writes not yet synced may or may not have reached the disk: a prefix survives.
    const kept = options.random === undefined ? 0 : random.int(node.unsynced.length + 1);
    (node.durable as unknown[]).push(...node.unsynced.slice(0, kept));
    node.unsynced = [];
    node.restartAt = now + 20 + random.int(200);
    crashes++;
    throw new Crash();
  };
  const boundary = (node: CoordinatorNode | ParticipantNode): void => {
    const at = node.boundaries++;
    if (pending.delete(`${node.id}@${at}`)) crash(node);
    if (options.random !== undefined && faulty() && random.next() < options.random.crash) crash(node);
  };
  const send = (from: NodeId, batch: readonly { to: NodeId; message: TwoPhaseMessage }[]): void => {
    for (const { to, message } of batch) {
      const index = sent++;
      if (drops.has(index)) continue;
      if (options.random !== undefined && faulty() && random.next() < options.random.drop) continue;
      network.push({ from, to, bytes: encodeTwoPhaseMessage(message), at: now + 1 + random.int(10), order: index });
    }
  };
  function persist<R>(node: Node<R> & { up: boolean }, ready: Ready<TwoPhaseMessage, R, unknown>): void {
    for (const record of ready.persist) {
      node.unsynced.push(record);
      boundary(node as unknown as CoordinatorNode);
    }
    if (ready.mustSync) {
      node.durable.push(...node.unsynced);
      node.unsynced = [];
    }
  }
  const decisions = new Map<Gid, Set<string>>();
  const told = new Map<Gid, { outcome: 'committed' | 'aborted'; at: number }>();
  const drainCoordinator = (): void => {
    const core = coordinator.core;
    if (core === undefined) return;
    try {
      while (core.hasReady()) {
        const ready = core.ready();
        boundary(coordinator);
        send(COORDINATOR, ready.sendEarly);
        boundary(coordinator);
        persist(coordinator, ready);
        boundary(coordinator);
        send(COORDINATOR, ready.messages);
        boundary(coordinator);
        for (const effect of ready.effects) {
          if (effect.type !== 'decided') continue;
          let seen = decisions.get(effect.gid);
          if (seen === undefined) decisions.set(effect.gid, (seen = new Set()));
          seen.add(effect.outcome);
          if (!told.has(effect.gid)) told.set(effect.gid, { outcome: effect.outcome, at: now });
        }
        core.advance(ready);
      }
    } catch (error) {
      if (!(error instanceof Crash)) throw error;
    }
  };
  const drainParticipant = (node: ParticipantNode): void => {
    try {
      for (;;) {
        const core = node.core!;
        const kv = node.kv!;
        if (!core.hasReady()) {
          const vote = node.votes.shift();
          if (vote === undefined) return;
          core.voted(vote.gid, vote.vote);
          continue;
        }
        const ready = core.ready();
        boundary(node);
        send(node.id, ready.sendEarly);
        boundary(node);
        persist(node, ready);
        boundary(node);
        send(node.id, ready.messages);
        boundary(node);
        for (const effect of ready.effects) {
          if (effect.type === 'prepare') {
            if (durablePrepare) {
              const context = core.context(effect.gid)!;
              node.held.set(effect.gid, { gid: effect.gid, coordinator: context.coordinator, participants: context.participants });
            }
            node.votes.push({ gid: effect.gid, vote: kv.prepare(effect.gid, effect.ops) });
          } else if (effect.type === 'restore') kv.restore(effect.gid, effect.ops);
          else if (effect.type === 'commit') {
            kv.commit(effect.gid);
            noteOutcome(node, effect.gid, 'committed');
          } else if (effect.type === 'abort') {
            kv.abort(effect.gid);
            noteOutcome(node, effect.gid, 'aborted');
          }
        }
        core.advance(ready);
      }
    } catch (error) {
      if (!(error instanceof Crash)) throw error;
    } finally {
      // The store carried out every effect handed out so far (synchronously): with a store that
      // keeps committed work itself, the log's forgotten prefix may go.
      if (compaction && durablePrepare) {
        const drop = compactablePrefix(node.durable);
        if (drop > 0) {
          node.durable.splice(0, drop);
          compactedRecords += drop;
        }
      }
      maxLog = Math.max(maxLog, node.durable.length);
      if (node.core !== undefined) maxKnown = Math.max(maxKnown, node.core.knownCount);
    }
  };
  const drain = (id: NodeId): void => {
    if (id === COORDINATOR) {
      if (coordinator.up) drainCoordinator();
    } else {
      const node = participants.get(id)!;
      if (node.up) drainParticipant(node);
    }
  };
  const deliver = (m: InFlight): void => {
    const message = decodeTwoPhaseMessage(m.bytes);
    const core = m.to === COORDINATOR ? coordinator.core : participants.get(m.to)?.core;
    if (core === undefined) return; // the node is down: the message is lost
    try {
      core.step(m.from, message);
    } catch (error) {
      if (!isLatticeError(error)) throw error;
      // A refused message changes nothing (the driver counts it as rejected).
    }
    drain(m.to);
  };

  const transfers = [...options.transfers].sort((a, b) => a.at - b.at);
  let nextTransfer = 0;
  const all = (): (CoordinatorNode | ParticipantNode)[] => [coordinator, ...participants.values()];
  const quiet = (): boolean =>
    network.length === 0 &&
    nextTransfer >= transfers.length &&
    all().every((n) => n.up) &&
    coordinator.core!.activeCount === 0 &&
    [...participants.values()].every((p) => p.core!.inDoubt().length === 0 && p.votes.length === 0);

  drain(COORDINATOR);
  for (const node of participants.values()) drain(node.id);
  for (let steps = 0; ; steps++) {
    if (now >= faultsUntil && quiet()) break;
    if (now > QUIESCE_LIMIT_MS || steps > 200_000) {
      problems.push(`did not quiesce by ${now} ms (${network.length} messages in flight)`);
      break;
    }
    // The next event in time: a delivery, a wake-up, a restart or a client's transfer.
    let at = Number.POSITIVE_INFINITY;
    for (const m of network) at = Math.min(at, m.at);
    for (const node of all()) {
      if (!node.up) at = Math.min(at, node.restartAt!);
      else {
        const wake = node.core!.wakeAt();
        if (wake !== undefined) at = Math.min(at, Math.max(wake, now));
      }
    }
    if (nextTransfer < transfers.length) at = Math.min(at, transfers[nextTransfer]!.at);
    if (at === Number.POSITIVE_INFINITY) {
      if (quiet()) break;
      problems.push('nothing left to happen, but the run is not quiet');
      break;
    }
    now = Math.max(now, at);
    const restart = all().find((n) => !n.up && n.restartAt! <= now);
    if (restart !== undefined) {
      restart.up = true;
      restart.restartAt = undefined;
      if (restart === coordinator) startCoordinator();
      else startParticipant(restart as ParticipantNode);
      drain(restart.id);
      continue;
    }
    if (nextTransfer < transfers.length && transfers[nextTransfer]!.at <= now) {
      const transfer = transfers[nextTransfer++]!;
      if (coordinator.up) {
        coordinator.core!.begin(
          transfer.gid,
          transfer.legs.map((leg) => ({ participant: leg.participant, ops: encodeKvOps(leg.ops) })),
        );
        drain(COORDINATOR);
      }
      continue;
    }
    const due = network.filter((m) => m.at <= now).sort((a, b) => a.at - b.at || a.order - b.order);
    if (due.length > 0) {
      // Reordering: any message already due may go first.
      const m = due[random.int(Math.min(due.length, 3))]!;
      network = network.filter((x) => x !== m);
      deliver(m);
      continue;
    }
    for (const node of all()) {
      const wake = node.up ? node.core!.wakeAt() : undefined;
      if (wake !== undefined && wake <= now) {
        node.core!.tick(now);
        drain(node.id);
        break;
      }
    }
  }

  // The checks: one outcome per gid everywhere, money conserved, nothing left prepared.
  let committed = 0;
  let aborted = 0;
  for (const transfer of options.transfers) {
    // What each store carried out first (a participant may have forgotten the gid since), else what its core says.
    const states = transfer.legs.map((leg) => {
      const node = participants.get(leg.participant)!;
      return node.first.get(transfer.gid) ?? node.core?.state(transfer.gid) ?? 'down';
    });
    const anyCommitted = states.includes('committed');
    if (anyCommitted && states.some((s) => s !== 'committed')) problems.push(`${transfer.gid}: participants disagree (${states.join(', ')})`);
    if (anyCommitted) committed++;
    else aborted++;
    const decided = decisions.get(transfer.gid);
    if (decided !== undefined && decided.size > 1) problems.push(`${transfer.gid}: the coordinator decided both ways`);
  }
  let expected = 0;
  let total = 0;
  const finalValues = new Map<string, number>();
  for (const [id, node] of participants) {
    for (const amount of Object.values(options.accounts[id]!)) expected += amount;
    if (node.kv === undefined) continue;
    for (const [key, value] of node.kv.entries()) {
      total += value;
      finalValues.set(key, value);
    }
    if (node.kv.preparedGids().length > 0) problems.push(`${id} still holds ${node.kv.preparedGids().join(', ')} prepared`);
  }
  if (options.conserves !== false && total !== expected) problems.push(`total balance ${total}, expected ${expected}`);
  const boundaries: Record<NodeId, number> = {};
  for (const node of all()) boundaries[node.id] = node.boundaries;
  let finalKnown = 0;
  let finalLog = 0;
  for (const node of participants.values()) {
    // Closing flushes what waited for a synced append (as `Participant.close` does), and compacts.
    node.durable.push(...node.unsynced);
    node.unsynced = [];
    if (compaction && durablePrepare) compactedRecords += node.durable.splice(0, compactablePrefix(node.durable)).length;
    finalKnown += node.core?.knownCount ?? 0;
    finalLog += node.durable.length;
  }
  return { problems, boundaries, messages: sent, crashes, committed, aborted, decisions: told, endedAt: now, finalValues, maxKnown, maxLog, compactedRecords, finalKnown, finalLog };
}

/** The bank: two accounts of 100 on each participant. */
export function bankAccounts(participants: readonly NodeId[]): Record<NodeId, Record<string, number>> {
  const accounts: Record<NodeId, Record<string, number>> = {};
  for (const p of participants) accounts[p] = { [`${p}-x`]: 100, [`${p}-y`]: 100 };
  return accounts;
}

/** Random transfers between accounts of different participants; some span all three. */
export function randomTransfers(seed: number, participants: readonly NodeId[], count: number, spreadMs: number): Transfer[] {
  const random = seededRandom(seed * 7919 + 1);
  const transfers: Transfer[] = [];
  const account = (p: NodeId): string => `${p}-${random.next() < 0.5 ? 'x' : 'y'}`;
  for (let i = 0; i < count; i++) {
    const from = participants[random.int(participants.length)]!;
    const others = participants.filter((p) => p !== from);
    const amount = 1 + random.int(80);
    if (others.length >= 2 && random.next() < 0.3) {
      const [a, b] = [others[0]!, others[1]!];
      const half = Math.floor(amount / 2);
      transfers.push({
        gid: `t${i}`,
        at: random.int(spreadMs),
        legs: [
          { participant: from, ops: [{ op: 'add', key: account(from), amount: -amount }] },
          { participant: a, ops: [{ op: 'add', key: account(a), amount: half }] },
          { participant: b, ops: [{ op: 'add', key: account(b), amount: amount - half }] },
        ],
      });
    } else {
      const to = others[random.int(others.length)]!;
      transfers.push({
        gid: `t${i}`,
        at: random.int(spreadMs),
        legs: [
          { participant: from, ops: [{ op: 'add', key: account(from), amount: -amount }] },
          { participant: to, ops: [{ op: 'add', key: account(to), amount }] },
        ],
      });
    }
  }
  return transfers;
}

/** One transfer over all three participants, and a second one racing it on one account. */
export const threeWay: Transfer[] = [
  {
    gid: 'three-way',
    at: 0,
    legs: [
      { participant: 'p1', ops: [{ op: 'add', key: 'p1-x', amount: -30 }] },
      { participant: 'p2', ops: [{ op: 'add', key: 'p2-x', amount: 10 }] },
      { participant: 'p3', ops: [{ op: 'add', key: 'p3-x', amount: 20 }] },
    ],
  },
  {
    gid: 'racing',
    at: 3,
    legs: [
      { participant: 'p3', ops: [{ op: 'add', key: 'p3-y', amount: -5 }] },
      { participant: 'p1', ops: [{ op: 'add', key: 'p1-y', amount: 5 }] },
    ],
  },
];
