import { assertNodeId, InvalidArgumentError, type NodeId, type ProtocolCore, ProtocolViolationError, type Ready, ReadyBuffer } from '@lattice/core';
import { nextDelay, type RetryPolicy } from './backoff.js';
import { checkMessage } from './message-check.js';
import type { Gid, ParticipantEffect, ParticipantRecord, TransactionOutcome, TwoPhaseMessage, Vote } from './types.js';

/**
 * Defects a test can switch on to prove the simulation catches them.
 * @internal
 */
export interface ParticipantDeliberateBugs {
  /** Sends a yes vote before the "prepared" record is durable. */
  voteBeforeLogging?: boolean;
  /**
   * With a durable-prepare resource, `Participant.open` rolls back what the resource holds with
   * no log record, as it may without one (there the vote cannot have left; here it may have).
   */
  abortHeldWithoutRecord?: boolean;
}

/** Options of {@link ParticipantCore}. */
export interface ParticipantCoreOptions {
  /** This participant's node id (it must be named in every prepare it gets). */
  id: NodeId;
  /** Monotonic time (ms) at construction; later times come through `tick`. */
  now: number;
  /** Records replayed from the participant's log, oldest first. */
  stored?: readonly ParticipantRecord[];
  /** How long the resource may take to vote before the participant aborts on its own, ms. Default 5000. */
  voteTimeoutMs?: number;
  /** When a prepared participant asks about the outcome, and how it backs off. Default 1000 ms doubling to 10000 ms. */
  inquiry?: RetryPolicy;
  /**
   * The resource's prepared state is itself durable and names the coordinator and the
   * participants (PostgreSQL after `PREPARE TRANSACTION`, read back from `pg_prepared_xacts`): a
   * yes vote then leaves without a "prepared" record of the participant's own, and after a
   * restart the transactions the resource still holds come in through `held`. Default false.
   */
  durablePrepare?: boolean;
  /**
   * With `durablePrepare`: transactions the resource holds prepared after a restart that the log
   * has no record of (their vote may have left), each with its coordinator and participants.
   */
  held?: readonly HeldTransaction[];
  /**
   * For compaction (a coordinator with `announceForgotten`): a settled transaction still
   * remembered after this many ms — its `forgotten` announcement was lost to the network, to a
   * crash of this participant, or to a crash before the unsynced `forgotten` record reached
   * disk — asks its coordinator again (`status`), at this interval, until it is told
   * `forgotten`. Default: never (a coordinator that does not announce would be asked forever).
   */
  settledInquiryMs?: number;
  /** @internal */
  deliberateBugs?: ParticipantDeliberateBugs;
}

/** A transaction a resource with durable prepares holds prepared, as it recovers it. */
export interface HeldTransaction {
  readonly gid: Gid;
  readonly coordinator: NodeId;
  readonly participants: readonly NodeId[];
}

/** Who a transaction belongs to: this participant, its coordinator and all its participants. */
export interface TransactionContext {
  /** The participant the resource prepares for (one of `participants`). */
  readonly participant: NodeId;
  readonly coordinator: NodeId;
  readonly participants: readonly NodeId[];
}

interface Known {
  readonly coordinator: NodeId;
  readonly participants: readonly NodeId[];
  readonly ops: Uint8Array;
}

interface Preparing extends Known {
  readonly phase: 'preparing';
  readonly deadline: number;
}

interface Prepared extends Known {
  readonly phase: 'prepared';
  /** False until the "prepared" record is durable: no inquiry before. */
  durable: boolean;
  inquireAt: number;
  delay: number;
}

interface Done {
  readonly phase: TransactionOutcome;
  readonly coordinator: NodeId | undefined;
}

type Entry = Preparing | Prepared | Done;

/** What a participant knows of a transaction. */
export type ParticipantTransactionState = 'preparing' | 'prepared' | TransactionOutcome | 'unknown';

/**
 * A participant of two-phase commit as a pure {@link ProtocolCore}. A `prepare` becomes a
 * `prepare` effect for the resource, whose vote comes back through {@link ParticipantCore.voted};
 * a yes vote leaves only once the "prepared" record (holding the work, the coordinator and the
 * other participants) is synced. From then on the participant is blocked until it learns the
 * outcome: from the coordinator's decision, or by asking — the coordinator (which answers from
 * its log, or "aborted" when it has no record: presumed abort) and the other participants
 * (cooperative termination: one that has committed, aborted, or not yet voted — it then refuses
 * the transaction — settles it). A commit is synced before it is acknowledged; an abort need
 * not be. Until it votes, it may abort on its own (the resource took too long, or a peer asked).
 *
 * @example
 * ```ts
 * const core = new ParticipantCore({ id: 'bank-a', now: clock.monotonic(), stored: replayed });
 * // on a `prepare` effect: core.voted(gid, await resource.prepare(gid, ops))
 * ```
 */
export class ParticipantCore implements ProtocolCore<TwoPhaseMessage, ParticipantRecord, ParticipantEffect> {
  readonly id: NodeId;
  readonly #voteTimeoutMs: number;
  readonly #inquiry: RetryPolicy;
  readonly #bugs: ParticipantDeliberateBugs;
  readonly #durablePrepare: boolean;
  readonly #settledInquiryMs: number | undefined;
  /** With settledInquiryMs: settled gids in the order they are due to ask again (a FIFO: one interval for all). */
  #settledQueue: { gid: Gid; at: number }[] = [];
  readonly #queued = new Set<Gid>();
  readonly #entries = new Map<Gid, Entry>();
  /** Gids still preparing or prepared: what `tick` and `wakeAt` look at (settled ones never wake). */
  readonly #open = new Set<Gid>();
  #now: number;
  readonly #out = new ReadyBuffer<TwoPhaseMessage, ParticipantRecord, ParticipantEffect>();
  #awaitingDurable: Gid[] = [];
  #handedOut: Gid[] = [];

  constructor(options: ParticipantCoreOptions) {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('ParticipantCore needs an options object');
    assertNodeId(options.id, 'options.id');
    if (!Number.isFinite(options.now)) throw new InvalidArgumentError('options.now must be a finite number');
    this.id = options.id;
    this.#now = options.now;
    this.#voteTimeoutMs = positive(options.voteTimeoutMs ?? 5000, 'options.voteTimeoutMs');
    const inquiry = options.inquiry ?? { initialMs: 1000, maxMs: 10_000 };
    this.#inquiry = { initialMs: positive(inquiry.initialMs, 'options.inquiry.initialMs'), maxMs: positive(inquiry.maxMs, 'options.inquiry.maxMs') };
    this.#bugs = options.deliberateBugs ?? {};
    this.#durablePrepare = options.durablePrepare === true;
    this.#settledInquiryMs = options.settledInquiryMs === undefined ? undefined : positive(options.settledInquiryMs, 'options.settledInquiryMs');
    if (options.held !== undefined && !this.#durablePrepare) throw new InvalidArgumentError('options.held needs options.durablePrepare');
    for (const record of options.stored ?? []) {
      if (record.type === 'prepared') {
        this.#put(record.gid, {
          phase: 'prepared',
          coordinator: record.coordinator,
          participants: record.participants,
          ops: record.ops,
          durable: true,
          inquireAt: this.#now,
          delay: 0,
        });
        // A resource that keeps nothing durable of its own is rebuilt from the log.
        this.#out.effects.push({ type: 'restore', gid: record.gid, ops: record.ops });
      } else if (record.type === 'forgotten') {
        // The coordinator announced it forgotten (its effects above rebuilt the resource).
        const entry = this.#entries.get(record.gid);
        if (entry?.phase === 'committed' || entry?.phase === 'aborted') this.#entries.delete(record.gid);
      } else {
        const entry = this.#entries.get(record.gid);
        if (entry?.phase === 'prepared') this.#out.effects.push({ type: record.outcome === 'committed' ? 'commit' : 'abort', gid: record.gid });
        this.#put(record.gid, { phase: record.outcome, coordinator: entry?.coordinator ?? record.coordinator });
      }
    }
    for (const held of options.held ?? []) {
      assertNodeId(held?.coordinator, 'held coordinator');
      if (!Array.isArray(held.participants) || !held.participants.includes(this.id)) {
        throw new InvalidArgumentError(`options.held: the participants of "${String(held.gid)}" must be a list that names "${this.id}"`);
      }
      for (const participant of held.participants) assertNodeId(participant, 'held participant');
      if (this.#entries.has(held.gid)) continue;
      // Prepared in the resource, which is the record: in doubt, whether or not the vote left.
      this.#put(held.gid, {
        phase: 'prepared',
        coordinator: held.coordinator,
        participants: held.participants,
        ops: new Uint8Array(0),
        durable: true,
        inquireAt: this.#now,
        delay: 0,
      });
    }
  }

  /** True when yes votes rest on the resource's own durable prepare (see `durablePrepare`). */
  get durablePrepare(): boolean {
    return this.#durablePrepare;
  }

  /** The coordinator and participants of a transaction still preparing or prepared. */
  context(gid: Gid): TransactionContext | undefined {
    const entry = this.#entries.get(gid);
    return entry !== undefined && 'participants' in entry ? { participant: this.id, coordinator: entry.coordinator, participants: entry.participants } : undefined;
  }

  /** How many transactions this participant remembers (open, and settled but not yet announced forgotten). */
  get knownCount(): number {
    return this.#entries.size;
  }

  /** What this participant knows of `gid`. */
  state(gid: Gid): ParticipantTransactionState {
    return this.#entries.get(gid)?.phase ?? 'unknown';
  }

  /** Transactions voted yes on whose outcome is not known yet (blocked until it is). */
  inDoubt(): Gid[] {
    return [...this.#open].filter((gid) => this.#entries.get(gid)!.phase === 'prepared');
  }

  /** Ops of a transaction still preparing or prepared (undefined otherwise). */
  ops(gid: Gid): Uint8Array | undefined {
    const entry = this.#entries.get(gid);
    return entry !== undefined && 'ops' in entry ? entry.ops : undefined;
  }

  /**
   * The resource's answer to a `prepare` effect. Ignored when the participant has moved on
   * (it aborted on its own meanwhile: a yes then yields an `abort` effect to undo the prepare).
   */
  voted(gid: Gid, vote: Vote): void {
    if (vote !== 'yes' && vote !== 'no') throw new InvalidArgumentError(`A vote is "yes" or "no", got ${String(vote)}`);
    const entry = this.#entries.get(gid);
    if (entry?.phase !== 'preparing') {
      if (vote === 'yes' && entry?.phase === 'aborted') this.#out.effects.push({ type: 'abort', gid });
      return;
    }
    if (vote === 'no') {
      this.#put(gid, { phase: 'aborted', coordinator: entry.coordinator });
      this.#out.messages.push({ to: entry.coordinator, message: { type: 'vote', gid, vote: 'no' } });
      this.#out.effects.push({ type: 'abort', gid });
      return;
    }
    if (this.#durablePrepare) {
      // The resource's prepare is the durable record: the vote need wait for no log.
      this.#put(gid, {
        phase: 'prepared',
        coordinator: entry.coordinator,
        participants: entry.participants,
        ops: entry.ops,
        durable: true,
        inquireAt: this.#now + this.#inquiry.initialMs,
        delay: this.#inquiry.initialMs,
      });
      this.#out.messages.push({ to: entry.coordinator, message: { type: 'vote', gid, vote: 'yes' } });
      return;
    }
    this.#put(gid, {
      phase: 'prepared',
      coordinator: entry.coordinator,
      participants: entry.participants,
      ops: entry.ops,
      durable: false,
      inquireAt: this.#now,
      delay: 0,
    });
    this.#out.persist.push({ type: 'prepared', gid, coordinator: entry.coordinator, participants: entry.participants, ops: entry.ops });
    this.#out.mustSync = true;
    this.#awaitingDurable.push(gid);
    (this.#bugs.voteBeforeLogging ? this.#out.sendEarly : this.#out.messages).push({ to: entry.coordinator, message: { type: 'vote', gid, vote: 'yes' } });
  }

  step(from: NodeId, message: TwoPhaseMessage): void {
    checkMessage(from, message);
    const { gid } = message;
    const entry = this.#entries.get(gid);
    switch (message.type) {
      case 'prepare': {
        if (!message.participants.includes(this.id)) {
          throw new ProtocolViolationError(`A prepare from "${from}" does not name this participant`, { peer: from });
        }
        if (message.participants.includes(from)) throw new ProtocolViolationError(`"${from}" names itself coordinator and participant`, { peer: from });
        if (entry !== undefined && entry.coordinator !== undefined && entry.coordinator !== from) {
          throw new ProtocolViolationError(`"${from}" sent a prepare for a transaction of "${entry.coordinator}"`, { peer: from });
        }
        if (entry === undefined) {
          this.#put(gid, { phase: 'preparing', coordinator: from, participants: message.participants, ops: message.ops, deadline: this.#now + this.#voteTimeoutMs });
          this.#out.effects.push({ type: 'prepare', gid, ops: message.ops });
        } else if (entry.phase === 'aborted') {
          this.#out.messages.push({ to: from, message: { type: 'vote', gid, vote: 'no' } });
        } else if ((entry.phase === 'prepared' && entry.durable) || entry.phase === 'committed') {
          this.#out.messages.push({ to: from, message: { type: 'vote', gid, vote: 'yes' } });
        }
        return;
      }
      case 'decision': {
        if (entry === undefined) {
          // Never prepared here: nothing to undo. A commit cannot have been decided without this vote.
          if (message.outcome === 'committed') throw new ProtocolViolationError(`"${from}" sent a commit of "${gid}", which this participant never prepared`, { peer: from });
          this.#out.messages.push({ to: from, message: { type: 'ack', gid } });
          return;
        }
        if (entry.coordinator !== undefined && entry.coordinator !== from) {
          throw new ProtocolViolationError(`"${from}" sent a decision for a transaction of "${entry.coordinator}"`, { peer: from });
        }
        this.#learn(gid, entry, message.outcome, from);
        return;
      }
      case 'status': {
        if (entry !== undefined && 'participants' in entry && !entry.participants.includes(from)) {
          throw new ProtocolViolationError(`"${from}" asked about a transaction it does not take part in`, { peer: from });
        }
        if (entry === undefined || entry.phase === 'preparing') {
          // Not voted yet: refusing the transaction settles it for the asking peer (the
          // coordinator cannot commit without this vote). Durable first, so a restart cannot vote yes.
          const coordinator = entry?.coordinator ?? message.coordinator;
          this.#put(gid, { phase: 'aborted', coordinator });
          this.#out.persist.push(coordinator === undefined ? { type: 'outcome', gid, outcome: 'aborted' } : { type: 'outcome', gid, outcome: 'aborted', coordinator });
          this.#out.mustSync = true;
          if (entry !== undefined) {
            this.#out.effects.push({ type: 'abort', gid });
            this.#out.messages.push({ to: entry.coordinator, message: { type: 'vote', gid, vote: 'no' } });
          }
          this.#out.messages.push({ to: from, message: { type: 'peerState', gid, state: 'aborted' } });
          return;
        }
        if (entry.phase === 'prepared') {
          if (entry.durable) this.#out.messages.push({ to: from, message: { type: 'peerState', gid, state: 'prepared' } });
          return;
        }
        this.#out.messages.push({ to: from, message: { type: 'peerState', gid, state: entry.phase } });
        return;
      }
      case 'peerState': {
        if (entry?.phase !== 'prepared') return; // not asked, or settled meanwhile
        if (!entry.participants.includes(from) || from === this.id) {
          throw new ProtocolViolationError(`"${from}" answered about a transaction it does not take part in`, { peer: from });
        }
        if (message.state !== 'prepared') this.#learn(gid, entry, message.state, entry.coordinator);
        return;
      }
      case 'forgotten': {
        if (entry === undefined) return;
        if (entry.coordinator !== undefined && entry.coordinator !== from) {
          throw new ProtocolViolationError(`"${from}" announced forgotten a transaction of "${entry.coordinator}"`, { peer: from });
        }
        // Not voted yet: the vote will be answered "aborted" (presumed abort), and is remembered.
        if (entry.phase === 'preparing') return;
        if (entry.phase === 'prepared') {
          // In doubt about a transaction the coordinator forgot: an unsynced abort lost in a crash,
          // or a late duplicated prepare prepared again. Either way its answer is "aborted" now
          // (it has no record; a commit is acknowledged only once durable, so it is not this one).
          this.#learn(gid, entry, 'aborted', entry.coordinator);
        }
        // Every participant has the outcome durably, and the coordinator's forget is durable: no
        // peer can be in doubt about it, and the coordinator answers it "aborted" from now on.
        this.#entries.delete(gid);
        this.#out.persist.push({ type: 'forgotten', gid });
        this.#out.effects.push({ type: 'forget', gid });
        return;
      }
      case 'vote':
      case 'ack':
        throw new ProtocolViolationError(`A participant does not take "${message.type}" messages (from "${from}")`, { peer: from });
    }
  }

  tick(now: number): void {
    if (!Number.isFinite(now)) throw new InvalidArgumentError('now must be a finite number');
    if (now > this.#now) this.#now = now;
    let due = 0;
    while (due < this.#settledQueue.length && this.#settledQueue[due]!.at <= this.#now) due++;
    if (due > 0) {
      const asking = this.#settledQueue.slice(0, due);
      this.#settledQueue = this.#settledQueue.slice(due);
      for (const { gid } of asking) {
        this.#queued.delete(gid);
        const entry = this.#entries.get(gid);
        if (entry === undefined || (entry.phase !== 'committed' && entry.phase !== 'aborted')) continue;
        this.#queued.add(gid);
        this.#settledQueue.push({ gid, at: this.#now + this.#settledInquiryMs! });
        // Asked of the coordinator only: it alone can say the transaction is forgotten.
        if (entry.coordinator !== undefined) this.#out.messages.push({ to: entry.coordinator, message: { type: 'status', gid } });
      }
    }
    for (const gid of this.#open) {
      const entry = this.#entries.get(gid)!;
      if (entry.phase === 'preparing' && this.#now >= entry.deadline) {
        this.#put(gid, { phase: 'aborted', coordinator: entry.coordinator });
        this.#out.effects.push({ type: 'abort', gid });
        this.#out.messages.push({ to: entry.coordinator, message: { type: 'vote', gid, vote: 'no' } });
      } else if (entry.phase === 'prepared' && entry.durable && this.#now >= entry.inquireAt) {
        this.#out.messages.push({ to: entry.coordinator, message: { type: 'status', gid } });
        for (const peer of entry.participants) if (peer !== this.id) this.#out.messages.push({ to: peer, message: { type: 'status', gid, coordinator: entry.coordinator } });
        entry.delay = nextDelay(this.#inquiry, entry.delay);
        entry.inquireAt = this.#now + entry.delay;
      }
    }
  }

  wakeAt(): number | undefined {
    let at: number | undefined = this.#settledQueue[0]?.at;
    for (const gid of this.#open) {
      const entry = this.#entries.get(gid)!;
      const next = entry.phase === 'preparing' ? entry.deadline : entry.phase === 'prepared' && entry.durable ? entry.inquireAt : undefined;
      if (next !== undefined && (at === undefined || next < at)) at = next;
    }
    return at;
  }

  hasReady(): boolean {
    return !this.#out.empty || this.#awaitingDurable.length > 0;
  }

  ready(): Ready<TwoPhaseMessage, ParticipantRecord, ParticipantEffect> {
    const ready = this.#out.take();
    this.#handedOut = this.#awaitingDurable;
    this.#awaitingDurable = [];
    return ready;
  }

  advance(_ready: Ready<TwoPhaseMessage, ParticipantRecord, ParticipantEffect>): void {
    for (const gid of this.#handedOut) {
      const entry = this.#entries.get(gid);
      if (entry?.phase === 'prepared') {
        entry.durable = true;
        entry.delay = this.#inquiry.initialMs;
        entry.inquireAt = this.#now + entry.delay;
      }
    }
    this.#handedOut = [];
  }

  #put(gid: Gid, entry: Entry): void {
    this.#entries.set(gid, entry);
    if (entry.phase === 'preparing' || entry.phase === 'prepared') this.#open.add(gid);
    else {
      this.#open.delete(gid);
      if (this.#settledInquiryMs !== undefined && !this.#queued.has(gid)) {
        this.#queued.add(gid);
        this.#settledQueue.push({ gid, at: this.#now + this.#settledInquiryMs });
      }
    }
  }

  #learn(gid: Gid, entry: Entry, outcome: TransactionOutcome, coordinator: NodeId | undefined): void {
    if (entry.phase === 'committed' || entry.phase === 'aborted') {
      if (entry.phase !== outcome && outcome === 'committed') {
        throw new ProtocolViolationError(`A commit of "${gid}", which this participant aborted`, coordinator === undefined ? {} : { peer: coordinator });
      }
      // Settled already (a repeated decision, or a late "aborted" for a forgotten commit): repeat the ack.
      if (entry.phase === outcome && coordinator !== undefined) this.#out.messages.push({ to: coordinator, message: { type: 'ack', gid } });
      return;
    }
    if (entry.phase === 'preparing' && outcome === 'committed') {
      throw new ProtocolViolationError(`A commit of "${gid}" before this participant voted`, coordinator === undefined ? {} : { peer: coordinator });
    }
    const open = entry as Preparing | Prepared;
    this.#put(gid, { phase: outcome, coordinator: open.coordinator });
    if (open.phase === 'prepared') {
      this.#out.persist.push({ type: 'outcome', gid, outcome, coordinator: open.coordinator });
      // Presumed abort: a lost abort record is recovered as abort; a lost commit would not be.
      if (outcome === 'committed') this.#out.mustSync = true;
    }
    this.#out.effects.push({ type: outcome === 'committed' ? 'commit' : 'abort', gid });
    this.#out.messages.push({ to: open.coordinator, message: { type: 'ack', gid } });
  }
}

function positive(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
  return value;
}
