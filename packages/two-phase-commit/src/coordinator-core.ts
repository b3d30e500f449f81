import { assertNodeId, InvalidArgumentError, type NodeId, type ProtocolCore, ProtocolViolationError, type Ready, ReadyBuffer } from '@lattice/core';
import { nextDelay, type RetryPolicy } from './backoff.js';
import { MAX_PARTICIPANTS } from './codec.js';
import { DuplicateTransactionError } from './errors.js';
import { assertGid } from './gid.js';
import { checkMessage } from './message-check.js';
import type { CoordinatorEffect, CoordinatorRecord, Gid, TransactionOutcome, TwoPhaseMessage } from './types.js';

/**
 * Defects a test can switch on to prove the simulation catches them.
 * @internal
 */
export interface CoordinatorDeliberateBugs {
  /** Sends phase-2 messages before the decision record is durable. */
  decideBeforeLogging?: boolean;
  /** Answers a status query for a transaction it has no record of with "committed". */
  forgetPresumedAbort?: boolean;
  /** With `announceForgotten`: tells each participant `forgotten` as soon as it acknowledges, before the others have. */
  announceForgottenEarly?: boolean;
  /** With `announceForgotten`: sends `forgotten` before the `forget` record is durable. */
  announceBeforeDurable?: boolean;
}

/** One unit of work for a participant. */
export interface Enlistment {
  readonly participant: NodeId;
  /** The participant's operations, in the encoding its resource reads. */
  readonly ops: Uint8Array;
}

/** Options of {@link CoordinatorCore}. */
export interface CoordinatorCoreOptions {
  /** Monotonic time (ms) at construction; later times come through `tick`. */
  now: number;
  /** Records replayed from the coordinator's log (oldest first); decided, unforgotten transactions are re-driven. */
  stored?: readonly CoordinatorRecord[];
  /** How long to wait for every vote before aborting, ms. Default 5000. */
  voteTimeoutMs?: number;
  /** Repeats of phase-2 messages until acknowledged. Default 100 ms doubling to 5000 ms. */
  retry?: RetryPolicy;
  /**
   * Once every participant acknowledged a transaction, sync the `forget` record and then tell
   * every participant `forgotten`, so that they may forget it too (participant compaction).
   * Costs one synced record per transaction. Default false (older participants do not take
   * the message).
   */
  announceForgotten?: boolean;
  /** @internal */
  deliberateBugs?: CoordinatorDeliberateBugs;
}

interface Voting {
  readonly phase: 'voting';
  readonly participants: readonly NodeId[];
  readonly yes: Set<NodeId>;
  readonly deadline: number;
}

interface Deciding {
  readonly phase: 'deciding';
  readonly outcome: TransactionOutcome;
  readonly participants: readonly NodeId[];
  readonly pending: Set<NodeId>;
  /** False until the decision record is durable: nothing of phase 2 leaves before. */
  durable: boolean;
  retryAt: number;
  delay: number;
}

type Transaction = Voting | Deciding;

/** What the coordinator knows of a transaction, for status pages and tests. */
export type CoordinatorTransactionState = 'voting' | 'committing' | 'aborting' | 'unknown';

/**
 * The coordinator of two-phase commit as a pure {@link ProtocolCore}, with presumed abort:
 * nothing is logged before the decision; a commit decision is a record that must be synced
 * before any phase-2 message leaves (the driver enforces it); an abort decision is logged without
 * a sync, since losing it changes nothing (no record means abort); once every participant has
 * acknowledged, a `forget` record lets it drop the transaction. On a restart (built from the
 * replayed records) it re-drives every decided transaction not yet forgotten, and answers
 * status queries about transactions it has no record of with "aborted".
 *
 * @example
 * ```ts
 * const core = new CoordinatorCore({ now: clock.monotonic(), stored: replayed });
 * core.begin('tx-1', [{ participant: 'bank-a', ops }, { participant: 'bank-b', ops: other }]);
 * ```
 */
export class CoordinatorCore implements ProtocolCore<TwoPhaseMessage, CoordinatorRecord, CoordinatorEffect> {
  readonly #voteTimeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #bugs: CoordinatorDeliberateBugs;
  readonly #announceForgotten: boolean;
  readonly #transactions = new Map<Gid, Transaction>();
  #now: number;
  readonly #out = new ReadyBuffer<TwoPhaseMessage, CoordinatorRecord, CoordinatorEffect>();
  /** Decisions waiting for their record to be durable. */
  #awaitingDurable: Gid[] = [];
  #handedOut: Gid[] = [];

  constructor(options: CoordinatorCoreOptions) {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('CoordinatorCore needs an options object');
    if (!Number.isFinite(options.now)) throw new InvalidArgumentError('options.now must be a finite number');
    this.#now = options.now;
    this.#voteTimeoutMs = positive(options.voteTimeoutMs ?? 5000, 'options.voteTimeoutMs');
    const retry = options.retry ?? { initialMs: 100, maxMs: 5000 };
    this.#retry = { initialMs: positive(retry.initialMs, 'options.retry.initialMs'), maxMs: positive(retry.maxMs, 'options.retry.maxMs') };
    this.#bugs = options.deliberateBugs ?? {};
    this.#announceForgotten = options.announceForgotten === true;
    const decided = new Map<Gid, CoordinatorRecord & { type: 'decision' }>();
    for (const record of options.stored ?? []) {
      if (record.type === 'decision') decided.set(record.gid, record);
      else decided.delete(record.gid);
    }
    for (const record of decided.values()) {
      this.#transactions.set(record.gid, {
        phase: 'deciding',
        outcome: record.outcome,
        participants: record.participants,
        pending: new Set(record.participants),
        durable: true,
        retryAt: this.#now,
        delay: 0,
      });
    }
  }

  /** Transactions the coordinator still holds (voting, or decided and not yet acknowledged by all). */
  get activeCount(): number {
    return this.#transactions.size;
  }

  /** What the coordinator knows of `gid`. */
  state(gid: Gid): CoordinatorTransactionState {
    const tx = this.#transactions.get(gid);
    if (tx === undefined) return 'unknown';
    if (tx.phase === 'voting') return 'voting';
    return tx.outcome === 'committed' ? 'committing' : 'aborting';
  }

  /** Global ids of the transactions decided but not yet acknowledged by every participant. */
  inDoubt(): Gid[] {
    return [...this.#transactions].filter(([, tx]) => tx.phase === 'deciding').map(([gid]) => gid);
  }

  /**
   * Starts phase 1: sends `prepare` to every participant at once. The outcome comes out as a
   * `decided` effect. Throws `InvalidGidError`, `DuplicateTransactionError` or
   * `InvalidArgumentError` (no participant, one named twice) and changes nothing.
   */
  begin(gid: Gid, work: readonly Enlistment[]): void {
    assertGid(gid);
    if (this.#transactions.has(gid)) throw new DuplicateTransactionError(`Transaction "${gid}" is already running`);
    if (!Array.isArray(work) || work.length === 0) throw new InvalidArgumentError('A transaction needs at least one participant');
    if (work.length > MAX_PARTICIPANTS) throw new InvalidArgumentError(`A transaction takes at most ${MAX_PARTICIPANTS} participants`);
    const participants: NodeId[] = [];
    for (const item of work) {
      assertNodeId(item?.participant, 'participant');
      if (!(item.ops instanceof Uint8Array)) throw new InvalidArgumentError(`The ops of "${item.participant}" must be a Uint8Array`);
      participants.push(item.participant);
    }
    if (new Set(participants).size !== participants.length) throw new InvalidArgumentError('A participant is enlisted twice');
    this.#transactions.set(gid, { phase: 'voting', participants, yes: new Set(), deadline: this.#now + this.#voteTimeoutMs });
    // Presumed abort: nothing is logged yet, so the prepares need not wait for the disk.
    for (const item of work) this.#out.sendEarly.push({ to: item.participant, message: { type: 'prepare', gid, participants, ops: item.ops } });
  }

  /** Aborts a transaction still collecting votes (no effect once decided). Returns true if it did. */
  abort(gid: Gid): boolean {
    const tx = this.#transactions.get(gid);
    if (tx?.phase !== 'voting') return false;
    this.#decide(gid, tx, 'aborted', 'aborted by the application');
    return true;
  }

  step(from: NodeId, message: TwoPhaseMessage): void {
    checkMessage(from, message);
    const tx = this.#transactions.get(message.gid);
    switch (message.type) {
      case 'vote': {
        if (tx === undefined) {
          // A vote for a transaction it has no record of (lost in a crash): presumed abort.
          if (message.vote === 'yes') this.#out.messages.push({ to: from, message: this.#unknownAnswer(message.gid) });
          this.#announceUnknown(from, message.gid);
          return;
        }
        this.#checkParticipant(tx, from, message.type);
        if (tx.phase !== 'voting') {
          // A repeated vote after the decision: repeat the decision to it.
          if (tx.durable && tx.pending.has(from)) this.#out.messages.push({ to: from, message: { type: 'decision', gid: message.gid, outcome: tx.outcome } });
          return;
        }
        if (message.vote === 'no') {
          this.#decide(message.gid, tx, 'aborted', `participant "${from}" voted no`);
          return;
        }
        tx.yes.add(from);
        if (tx.yes.size === tx.participants.length) this.#decide(message.gid, tx, 'committed', 'every participant voted yes');
        return;
      }
      case 'ack': {
        if (tx === undefined) return;
        this.#checkParticipant(tx, from, message.type);
        if (tx.phase !== 'deciding' || !tx.durable) return;
        if (!tx.pending.delete(from)) return;
        if (this.#announceForgotten && this.#bugs.announceForgottenEarly && tx.pending.size > 0) {
          this.#out.messages.push({ to: from, message: { type: 'forgotten', gid: message.gid } });
        }
        if (tx.pending.size === 0) {
          this.#transactions.delete(message.gid);
          this.#out.persist.push({ type: 'forget', gid: message.gid });
          this.#out.effects.push({ type: 'forgotten', gid: message.gid });
          if (this.#announceForgotten) {
            // Every participant has the outcome; once the forget is durable (a restart will not
            // re-drive phase 2 to participants that forgot), they may forget it too.
            this.#out.mustSync = true;
            const to = this.#bugs.announceBeforeDurable ? this.#out.sendEarly : this.#out.messages;
            for (const participant of tx.participants) to.push({ to: participant, message: { type: 'forgotten', gid: message.gid } });
          }
        }
        return;
      }
      case 'status': {
        if (tx === undefined) {
          this.#out.messages.push({ to: from, message: this.#unknownAnswer(message.gid) });
          this.#announceUnknown(from, message.gid);
          return;
        }
        this.#checkParticipant(tx, from, message.type);
        // Still voting: the answer comes with the decision.
        if (tx.phase === 'deciding' && tx.durable) this.#out.messages.push({ to: from, message: { type: 'decision', gid: message.gid, outcome: tx.outcome } });
        return;
      }
      case 'prepare':
      case 'decision':
      case 'peerState':
      case 'forgotten':
        throw new ProtocolViolationError(`A coordinator does not take "${message.type}" messages (from "${from}")`, { peer: from });
    }
  }

  tick(now: number): void {
    if (!Number.isFinite(now)) throw new InvalidArgumentError('now must be a finite number');
    if (now > this.#now) this.#now = now;
    for (const [gid, tx] of this.#transactions) {
      if (tx.phase === 'voting') {
        if (this.#now >= tx.deadline) this.#decide(gid, tx, 'aborted', 'a vote did not arrive in time');
      } else if (tx.durable && this.#now >= tx.retryAt) {
        for (const to of tx.pending) this.#out.messages.push({ to, message: { type: 'decision', gid, outcome: tx.outcome } });
        tx.delay = nextDelay(this.#retry, tx.delay);
        tx.retryAt = this.#now + tx.delay;
      }
    }
  }

  wakeAt(): number | undefined {
    let at: number | undefined;
    for (const tx of this.#transactions.values()) {
      const next = tx.phase === 'voting' ? tx.deadline : tx.durable ? tx.retryAt : undefined;
      if (next !== undefined && (at === undefined || next < at)) at = next;
    }
    return at;
  }

  hasReady(): boolean {
    return !this.#out.empty || this.#awaitingDurable.length > 0;
  }

  ready(): Ready<TwoPhaseMessage, CoordinatorRecord, CoordinatorEffect> {
    const ready = this.#out.take();
    this.#handedOut = this.#awaitingDurable;
    this.#awaitingDurable = [];
    return ready;
  }

  advance(_ready: Ready<TwoPhaseMessage, CoordinatorRecord, CoordinatorEffect>): void {
    // The decision records of that batch are durable: retries may repeat phase 2 from now on.
    for (const gid of this.#handedOut) {
      const tx = this.#transactions.get(gid);
      if (tx?.phase === 'deciding') {
        tx.durable = true;
        tx.delay = this.#retry.initialMs;
        tx.retryAt = this.#now + tx.delay;
      }
    }
    this.#handedOut = [];
  }

  #decide(gid: Gid, tx: Voting, outcome: TransactionOutcome, reason: string): void {
    this.#transactions.set(gid, {
      phase: 'deciding',
      outcome,
      participants: tx.participants,
      pending: new Set(tx.participants),
      durable: false,
      retryAt: this.#now,
      delay: 0,
    });
    this.#out.persist.push({ type: 'decision', gid, outcome, participants: tx.participants });
    // Presumed abort: a lost abort record means abort all the same, so only a commit is synced.
    if (outcome === 'committed') this.#out.mustSync = true;
    const phase2 = this.#bugs.decideBeforeLogging ? this.#out.sendEarly : this.#out.messages;
    for (const to of tx.participants) phase2.push({ to, message: { type: 'decision', gid, outcome } });
    this.#out.effects.push({ type: 'decided', gid, outcome, reason });
    this.#awaitingDurable.push(gid);
  }

  /**
   * No record and nothing in memory: the answer is "aborted" for good (gids are never reused),
   * so nobody can be in doubt about a commit of it — the asker may forget it (a participant that
   * prepared a late duplicated prepare again, or lost an announcement).
   */
  #announceUnknown(to: NodeId, gid: Gid): void {
    if (this.#announceForgotten) this.#out.messages.push({ to, message: { type: 'forgotten', gid } });
  }

  #unknownAnswer(gid: Gid): TwoPhaseMessage {
    return { type: 'decision', gid, outcome: this.#bugs.forgetPresumedAbort ? 'committed' : 'aborted' };
  }

  #checkParticipant(tx: Transaction, from: NodeId, type: string): void {
    if (!tx.participants.includes(from)) {
      throw new ProtocolViolationError(`"${from}" sent "${type}" for a transaction it does not take part in`, { peer: from });
    }
  }
}

function positive(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
  return value;
}
