import { assertNodeId, InvalidArgumentError, type NodeId, type ProtocolCore, ProtocolViolationError, type Ready, ReadyBuffer } from '@lattice/core';
import { nextDelay, type RetryPolicy } from '../backoff.js';
import { assertGid, gidProblem } from '../gid.js';
import type { Gid } from '../types.js';
import { MAX_SAGA_STEPS } from './codec.js';
import { SagaConflictError } from './errors.js';
import type { LoggedStep, SagaEffect, SagaMessage, SagaOp, SagaOutcome, SagaRecord, SagaStage } from './types.js';

/**
 * Defects a test can switch on to prove the tests catch them.
 * @internal
 */
export interface SagaDeliberateBugs {
  /** Sends compensations before the `compensating` record is durable. */
  compensateBeforeLogging?: boolean;
  /** Sends the next stage's actions before the previous stage's `done` records are durable. */
  nextStageBeforeLogging?: boolean;
  /** Compensates only the steps whose action replied "succeeded" (not the failed or unanswered one). */
  skipUncertainStep?: boolean;
}

/** Options of {@link SagaCore}. */
export interface SagaCoreOptions {
  /** Monotonic time (ms) at construction; later times come through `tick`. */
  now: number;
  /** Records replayed from the orchestrator's log (oldest first); every unfinished saga is resumed. */
  stored?: readonly SagaRecord[];
  /** How long to wait for a participant's reply before the request counts as unanswered, ms. Default 5000. */
  replyTimeoutMs?: number;
  /** Delay before a failed or unanswered request is repeated: `initialMs` doubling to `maxMs`. Default 100 ms to 5000 ms. */
  retry?: RetryPolicy;
  /** Unanswered tries of a step that is not `retriable` before the saga compensates. Default 3. */
  maxAttempts?: number;
  /** @internal */
  deliberateBugs?: SagaDeliberateBugs;
}

/** Where a saga stands, as {@link SagaCore.state} reports it. */
export type SagaState = 'running' | 'compensating' | SagaOutcome | 'unknown';

/** A request in flight: sent `attempts` times; waiting for a reply until `replyBy`, or for `retryAt` to repeat it. */
interface Pending {
  attempts: number;
  delay: number;
  replyBy: number | undefined;
  retryAt: number | undefined;
}

interface RunningSaga {
  readonly steps: readonly LoggedStep[];
  /** Step indexes of each stage. */
  readonly stages: readonly (readonly number[])[];
  direction: 'forward' | 'backward';
  stage: number;
  readonly done: Set<number>;
  readonly compensated: Set<number>;
  /** Why it turned backward (the outcome's reason once compensated). */
  failure: string | undefined;
  /** Requests of the current stage that have not succeeded yet. */
  readonly pending: Map<number, Pending>;
}

interface FinishedSaga {
  readonly steps: readonly LoggedStep[];
  readonly outcome: SagaOutcome;
  readonly reason: string;
}

/**
 * The Saga orchestrator as a pure {@link ProtocolCore}: a saga is a list of stages, each one step
 * or several concurrent steps, each step an action and its compensation run by a participant.
 * Forward, it runs the stages in order (a stage's steps at once); a step marked `retriable` is
 * retried until it succeeds (forward recovery). When another step fails for good — it replied
 * "failed", or gave no reply `maxAttempts` times — the saga turns backward: it compensates every
 * step of the failed stage (whether its action replied or not: the participant's barrier turns the
 * compensation of an action that never ran into a no-op and blocks that action if it arrives
 * later) and then of every earlier stage, latest first, repeating each compensation until it
 * succeeds.
 *
 * What is logged, and why: `begun` (the whole saga) is synced before the first action leaves, so
 * no action runs that a restart would not know about; `compensating` is synced before the first
 * compensation leaves, so a restart never runs forward a saga some participant has already
 * compensated (its barrier would report the late action as done without running it); `finished`
 * is synced before the outcome is reported; the `done` records of a stage are synced before the
 * next stage's actions leave, so a restart never compensates from a stage earlier than one whose
 * actions may have run. Other `done` records are not synced: losing one repeats a request, and
 * participants answer a repeated request without running it again.
 *
 * @example
 * ```ts
 * const core = new SagaCore({ now: clock.monotonic(), stored: replayed });
 * core.begin('order-17', [
 *   { participant: 'payments', action: charge, compensation: refund },
 *   [{ participant: 'stock', action: reserve, compensation: release }, { participant: 'mail', action: notify, compensation: retract, retriable: true }],
 * ]);
 * ```
 */
export class SagaCore implements ProtocolCore<SagaMessage, SagaRecord, SagaEffect> {
  readonly #replyTimeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #maxAttempts: number;
  readonly #bugs: SagaDeliberateBugs;
  readonly #running = new Map<Gid, RunningSaga>();
  readonly #finished = new Map<Gid, FinishedSaga>();
  readonly #out = new ReadyBuffer<SagaMessage, SagaRecord, SagaEffect>();
  #now: number;

  constructor(options: SagaCoreOptions) {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('SagaCore needs an options object');
    if (!Number.isFinite(options.now)) throw new InvalidArgumentError('options.now must be a finite number');
    this.#now = options.now;
    this.#replyTimeoutMs = positive(options.replyTimeoutMs ?? 5000, 'options.replyTimeoutMs');
    const retry = options.retry ?? { initialMs: 100, maxMs: 5000 };
    if (typeof retry !== 'object' || retry === null) throw new InvalidArgumentError('options.retry must be { initialMs, maxMs }');
    this.#retry = { initialMs: positive(retry.initialMs, 'options.retry.initialMs'), maxMs: positive(retry.maxMs, 'options.retry.maxMs') };
    const maxAttempts = options.maxAttempts ?? 3;
    if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) throw new InvalidArgumentError('options.maxAttempts must be a positive integer');
    this.#maxAttempts = maxAttempts;
    this.#bugs = options.deliberateBugs ?? {};
    if (options.stored !== undefined && !Array.isArray(options.stored)) throw new InvalidArgumentError('options.stored must be an array of records');
    for (const record of options.stored ?? []) this.#replay(record);
    for (const [gid, saga] of this.#running) this.#enterStage(gid, saga);
  }

  /** Sagas not yet finished. */
  get activeCount(): number {
    return this.#running.size;
  }

  /** Ids of the sagas not yet finished. */
  unfinished(): Gid[] {
    return [...this.#running.keys()];
  }

  /** Where saga `gid` stands. */
  state(gid: Gid): SagaState {
    const running = this.#running.get(gid);
    if (running !== undefined) return running.direction === 'forward' ? 'running' : 'compensating';
    return this.#finished.get(gid)?.outcome ?? 'unknown';
  }

  /** How a finished saga ended, or undefined while it runs (or when it is unknown). */
  outcome(gid: Gid): { readonly outcome: SagaOutcome; readonly reason: string } | undefined {
    const finished = this.#finished.get(gid);
    return finished === undefined ? undefined : { outcome: finished.outcome, reason: finished.reason };
  }

  /**
   * Starts saga `gid`; its outcome comes out as a `finished` effect. Idempotent by id: the same
   * saga again changes nothing and returns false (true when it started now). Throws
   * `InvalidGidError`, `InvalidArgumentError` (no step, an empty stage, a step that is not
   * `{ participant, action, compensation }`), or `SagaConflictError` when `gid` names a saga with
   * other steps — and then changes nothing.
   */
  begin(gid: Gid, stages: readonly SagaStage[]): boolean {
    assertGid(gid);
    const steps = loggedSteps(stages);
    const known = this.#running.get(gid) ?? this.#finished.get(gid);
    if (known !== undefined) {
      if (!sameSteps(known.steps, steps)) throw new SagaConflictError(`Saga "${gid}" already exists with other steps`);
      return false;
    }
    const saga = newSaga(steps);
    this.#running.set(gid, saga);
    // The saga must be durable before any action runs: a restart resumes only what the log holds.
    this.#out.persist.push({ type: 'begun', gid, steps });
    this.#out.mustSync = true;
    this.#enterStage(gid, saga);
    return true;
  }

  step(from: NodeId, message: SagaMessage): void {
    checkReply(from, message);
    const saga = this.#running.get(message.gid);
    // A late or repeated reply to a saga that has finished (or that this log never held).
    if (saga === undefined) return;
    const step = saga.steps[message.step];
    if (step === undefined) throw new ProtocolViolationError(`"${from}" replied to step ${message.step} of saga "${message.gid}", which has ${saga.steps.length}`, { peer: from });
    if (step.participant !== from) throw new ProtocolViolationError(`"${from}" replied for step ${message.step} of saga "${message.gid}", which "${step.participant}" runs`, { peer: from });
    const pending = saga.pending.get(message.step);
    // A reply to a request no longer wanted: a repeat, or an action's reply after the saga turned backward.
    if (pending === undefined || message.op !== currentOp(saga)) return;
    if (message.reply === 'succeeded') {
      saga.pending.delete(message.step);
      (saga.direction === 'forward' ? saga.done : saga.compensated).add(message.step);
      this.#out.persist.push({ type: 'done', gid: message.gid, step: message.step, op: message.op });
      if (saga.pending.size === 0) this.#nextStage(message.gid, saga);
      return;
    }
    if (saga.direction === 'forward' && !step.retriable) {
      this.#turnBackward(message.gid, saga, message.step, `step ${message.step} ("${from}") failed`);
      return;
    }
    this.#scheduleRetry(message.gid, saga, message.step, pending, saga.direction === 'forward' ? 'the action failed' : 'the compensation failed');
  }

  tick(now: number): void {
    if (!Number.isFinite(now)) throw new InvalidArgumentError('now must be a finite number');
    if (now > this.#now) this.#now = now;
    for (const [gid, saga] of this.#running) {
      for (const [index, pending] of saga.pending) {
        if (pending.retryAt !== undefined && this.#now >= pending.retryAt) {
          this.#send(gid, saga, index, pending);
        } else if (pending.replyBy !== undefined && this.#now >= pending.replyBy) {
          const step = saga.steps[index]!;
          if (saga.direction === 'forward' && !step.retriable && pending.attempts >= this.#maxAttempts) {
            this.#turnBackward(gid, saga, index, `step ${index} ("${step.participant}") did not reply to ${pending.attempts} attempts`);
            break;
          }
          this.#scheduleRetry(gid, saga, index, pending, 'no reply in time');
        }
      }
    }
  }

  wakeAt(): number | undefined {
    let at: number | undefined;
    for (const saga of this.#running.values()) {
      for (const pending of saga.pending.values()) {
        const next = pending.retryAt ?? pending.replyBy;
        if (next !== undefined && (at === undefined || next < at)) at = next;
      }
    }
    return at;
  }

  hasReady(): boolean {
    return !this.#out.empty;
  }

  ready(): Ready<SagaMessage, SagaRecord, SagaEffect> {
    return this.#out.take();
  }

  advance(_ready: Ready<SagaMessage, SagaRecord, SagaEffect>): void {
    // Nothing waits on durability inside the core: every message that depends on a record is
    // handed out in the same Ready, after it (the driver sends it once the record is durable).
  }

  #replay(record: SagaRecord): void {
    if (record.type === 'begun') {
      if (!this.#finished.has(record.gid) && !this.#running.has(record.gid)) this.#running.set(record.gid, newSaga(record.steps));
      return;
    }
    const saga = this.#running.get(record.gid);
    if (saga === undefined) return;
    switch (record.type) {
      case 'done':
        (record.op === 'action' ? saga.done : saga.compensated).add(record.step);
        return;
      case 'compensating':
        saga.direction = 'backward';
        saga.failure = record.reason;
        saga.stage = saga.steps[record.step]?.stage ?? saga.stages.length - 1;
        return;
      case 'finished':
        this.#running.delete(record.gid);
        this.#finished.set(record.gid, { steps: saga.steps, outcome: record.outcome, reason: record.reason });
        return;
    }
  }

  /** Sends every request of the current stage not yet done, or moves on when there is none. */
  #enterStage(gid: Gid, saga: RunningSaga): void {
    for (;;) {
      const doneSet = saga.direction === 'forward' ? saga.done : saga.compensated;
      const todo = (saga.stages[saga.stage] ?? []).filter((index) => !doneSet.has(index));
      if (todo.length === 0) {
        if (!this.#advanceStage(gid, saga)) return;
        continue;
      }
      saga.pending.clear();
      for (const index of todo) {
        const pending: Pending = { attempts: 0, delay: 0, replyBy: undefined, retryAt: undefined };
        saga.pending.set(index, pending);
        this.#send(gid, saga, index, pending);
      }
      return;
    }
  }

  #nextStage(gid: Gid, saga: RunningSaga): void {
    if (this.#advanceStage(gid, saga)) this.#enterStage(gid, saga);
  }

  /** Moves to the next stage in the saga's direction; false when the saga finished instead. */
  #advanceStage(gid: Gid, saga: RunningSaga): boolean {
    if (saga.direction === 'forward') {
      if (saga.stage + 1 < saga.stages.length) {
        saga.stage++;
        // The next stage's actions leave only once this stage's completion is durable: otherwise a
        // restart that lost it could compensate from this stage while the next one's actions ran.
        if (!this.#bugs.nextStageBeforeLogging) this.#out.mustSync = true;
        return true;
      }
      this.#finish(gid, saga, 'committed', 'every step succeeded');
      return false;
    }
    if (saga.stage > 0) {
      saga.stage--;
      return true;
    }
    this.#finish(gid, saga, 'compensated', saga.failure ?? 'compensated');
    return false;
  }

  #send(gid: Gid, saga: RunningSaga, index: number, pending: Pending): void {
    const step = saga.steps[index]!;
    const op = currentOp(saga);
    pending.attempts++;
    pending.retryAt = undefined;
    pending.replyBy = this.#now + this.#replyTimeoutMs;
    const message: SagaMessage = { type: 'invoke', gid, step: index, op, payload: op === 'action' ? step.action : step.compensation };
    const queue = op === 'compensate' && this.#bugs.compensateBeforeLogging ? this.#out.sendEarly : this.#out.messages;
    queue.push({ to: step.participant, message });
  }

  #scheduleRetry(gid: Gid, saga: RunningSaga, index: number, pending: Pending, reason: string): void {
    pending.delay = nextDelay(this.#retry, pending.delay);
    pending.replyBy = undefined;
    pending.retryAt = this.#now + pending.delay;
    this.#out.effects.push({ type: 'retrying', gid, step: index, op: currentOp(saga), attempt: pending.attempts + 1, reason });
  }

  #turnBackward(gid: Gid, saga: RunningSaga, failed: number, reason: string): void {
    saga.direction = 'backward';
    saga.failure = reason;
    // Every step of the failed stage may have run (or may still arrive): each is compensated,
    // and the barrier makes the compensation of an action that never ran a no-op.
    if (this.#bugs.skipUncertainStep) for (const index of saga.stages[saga.stage] ?? []) if (!saga.done.has(index)) saga.compensated.add(index);
    this.#out.persist.push({ type: 'compensating', gid, step: failed, reason });
    this.#out.mustSync = true;
    this.#out.effects.push({ type: 'compensating', gid, step: failed, reason });
    this.#enterStage(gid, saga);
  }

  #finish(gid: Gid, saga: RunningSaga, outcome: SagaOutcome, reason: string): void {
    saga.pending.clear();
    this.#running.delete(gid);
    this.#finished.set(gid, { steps: saga.steps, outcome, reason });
    this.#out.persist.push({ type: 'finished', gid, outcome, reason });
    this.#out.mustSync = true;
    this.#out.effects.push({ type: 'finished', gid, outcome, reason });
  }
}

function currentOp(saga: RunningSaga): SagaOp {
  return saga.direction === 'forward' ? 'action' : 'compensate';
}

function newSaga(steps: readonly LoggedStep[]): RunningSaga {
  const stages: number[][] = [];
  steps.forEach((step, index) => {
    (stages[step.stage] ??= []).push(index);
  });
  return { steps, stages, direction: 'forward', stage: 0, done: new Set(), compensated: new Set(), failure: undefined, pending: new Map() };
}

/** Checks an application's stages and flattens them into logged steps. */
function loggedSteps(stages: readonly SagaStage[]): LoggedStep[] {
  if (!Array.isArray(stages) || stages.length === 0) throw new InvalidArgumentError('A saga needs at least one step');
  const steps: LoggedStep[] = [];
  stages.forEach((stage: SagaStage, index: number) => {
    const group: readonly unknown[] = Array.isArray(stage) ? stage : [stage];
    if (group.length === 0) throw new InvalidArgumentError(`Stage ${index} of the saga has no step`);
    for (const step of group) steps.push(loggedStep(step, index, steps.length));
  });
  if (steps.length > MAX_SAGA_STEPS) throw new InvalidArgumentError(`A saga takes at most ${MAX_SAGA_STEPS} steps, got ${steps.length}`);
  return steps;
}

function loggedStep(value: unknown, stage: number, index: number): LoggedStep {
  if (typeof value !== 'object' || value === null) throw new InvalidArgumentError(`Step ${index} must be { participant, action, compensation }`);
  const step = value as Record<string, unknown>;
  assertNodeId(step['participant'], `step ${index}'s participant`);
  if (!(step['action'] instanceof Uint8Array)) throw new InvalidArgumentError(`Step ${index}'s action must be a Uint8Array`);
  if (!(step['compensation'] instanceof Uint8Array)) throw new InvalidArgumentError(`Step ${index}'s compensation must be a Uint8Array`);
  if (step['retriable'] !== undefined && typeof step['retriable'] !== 'boolean') throw new InvalidArgumentError(`Step ${index}'s retriable must be a boolean`);
  return { participant: step['participant'], stage, retriable: step['retriable'] === true, action: step['action'], compensation: step['compensation'] };
}

function sameSteps(a: readonly LoggedStep[], b: readonly LoggedStep[]): boolean {
  return (
    a.length === b.length &&
    a.every((x, i) => {
      const y = b[i]!;
      return x.participant === y.participant && x.stage === y.stage && x.retriable === y.retriable && sameBytes(x.action, y.action) && sameBytes(x.compensation, y.compensation);
    })
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function checkReply(from: NodeId, message: unknown): asserts message is SagaMessage & { type: 'reply' } {
  if (typeof message !== 'object' || message === null) throw new ProtocolViolationError(`A message from "${from}" is not an object`, { peer: from });
  const m = message as Record<string, unknown>;
  if (m['type'] === 'invoke') throw new ProtocolViolationError(`An orchestrator does not take "invoke" messages (from "${from}")`, { peer: from });
  if (m['type'] !== 'reply') throw new ProtocolViolationError(`Unknown message type from "${from}"`, { peer: from });
  const problem = gidProblem(m['gid']);
  if (problem !== undefined) throw new ProtocolViolationError(`A reply from "${from}" has a bad gid: ${problem}`, { peer: from });
  const wellFormed =
    Number.isSafeInteger(m['step']) && (m['step'] as number) >= 0 && (m['op'] === 'action' || m['op'] === 'compensate') && (m['reply'] === 'succeeded' || m['reply'] === 'failed');
  if (!wellFormed) throw new ProtocolViolationError(`A malformed reply from "${from}"`, { peer: from });
}

function positive(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
  return value;
}
