import {
  AbortError,
  type AbortOptions,
  type BaseEvents,
  ClosedError,
  type Clock,
  type Endpoint,
  InvalidArgumentError,
  type NodeId,
  Observable,
  ProtocolDriver,
  type ProtocolDriverStats,
  type Random,
  type RecordSink,
  systemClock,
  systemRandom,
  type Timers,
} from '@lattice/core';
import type { RetryPolicy } from '../backoff.js';
import { assertGid } from '../gid.js';
import type { Gid } from '../types.js';
import { type TwoPhaseLogStore, WalRecordStorage } from '../wal-storage.js';
import { sagaMessageCodec, sagaRecordCodec } from './codec.js';
import { UnknownSagaError } from './errors.js';
import { SagaCore, type SagaDeliberateBugs } from './saga-core.js';
import type { SagaEffect, SagaMessage, SagaOp, SagaOutcome, SagaRecord, SagaStage } from './types.js';

/** How a saga ended, as {@link SagaOrchestrator.run} and {@link SagaOrchestrator.result} resolve. */
export interface SagaResult {
  readonly gid: Gid;
  readonly outcome: SagaOutcome;
  /** Why: "every step succeeded", or what made it compensate ("step 1 ("bank-b") failed"). */
  readonly reason: string;
}

/** Options of {@link SagaOrchestrator}. */
export interface SagaOrchestratorOptions {
  /** Where the orchestrator talks to participants (the caller owns it). */
  endpoint: Endpoint;
  /** Durable storage of the saga log: a {@link WalRecordStorage}, or the simulator's `DiskRecordLog`. */
  storage: RecordSink<SagaRecord>;
  /** Records read back from `storage`: every unfinished saga is resumed in its direction. */
  stored?: readonly SagaRecord[];
  clock?: Clock;
  timers?: Timers;
  /** Draws generated saga ids. Default `systemRandom`. */
  random?: Random;
  /** How long to wait for a participant's reply before the request counts as unanswered, ms. Default 5000. */
  replyTimeoutMs?: number;
  /** Delay before a failed or unanswered request is repeated. Default 100 ms doubling to 5000 ms. */
  retry?: RetryPolicy;
  /** Unanswered tries of a step that is not `retriable` before the saga compensates. Default 3. */
  maxAttempts?: number;
  /** @internal */
  deliberateBugs?: SagaDeliberateBugs;
}

/** Options of {@link SagaOrchestrator.open}: a log instead of `storage` and `stored`. */
export type SagaOrchestratorOpenOptions = Omit<SagaOrchestratorOptions, 'storage' | 'stored'> & { log: TwoPhaseLogStore };

/** Events of a {@link SagaOrchestrator}. */
export interface SagaOrchestratorEvents extends BaseEvents {
  /** Every saga's outcome once its record is durable (sagas resumed after a restart too). */
  finished: SagaResult;
  /** A saga turned backward: `step` failed for good. */
  compensating: { readonly gid: Gid; readonly step: number; readonly reason: string };
  /** A request is repeated (no reply in time, a retriable action or a compensation that failed). */
  retrying: { readonly gid: Gid; readonly step: number; readonly op: SagaOp; readonly attempt: number; readonly reason: string };
}

/**
 * The Saga orchestrator: a {@link SagaCore} bound by `ProtocolDriver` to an endpoint, a clock and
 * the saga log. Participants answer on their endpoints (a {@link SagaParticipant}).
 *
 * @example
 * ```ts
 * const orchestrator = await SagaOrchestrator.open({ endpoint, log: await openWal('./sagas') });
 * const { outcome } = await orchestrator.run([
 *   { participant: 'bank-a', action: debit, compensation: refund },
 *   { participant: 'bank-b', action: credit, compensation: reverse },
 * ]);
 * ```
 */
export class SagaOrchestrator extends Observable<SagaOrchestratorEvents> {
  readonly #driver: ProtocolDriver<SagaMessage, SagaRecord, SagaEffect>;
  readonly #core: SagaCore;
  readonly #storage: RecordSink<SagaRecord>;
  readonly #random: Random;
  readonly #id: NodeId;
  readonly #waiting = new Map<Gid, { resolve: (result: SagaResult) => void; reject: (error: unknown) => void }[]>();
  readonly #idle: (() => void)[] = [];
  /** Sagas begun or resumed whose outcome has not been reported yet. */
  readonly #unreported = new Set<Gid>();

  constructor(options: SagaOrchestratorOptions) {
    super();
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('SagaOrchestrator needs an options object');
    const clock = options.clock ?? systemClock;
    this.#random = options.random ?? systemRandom;
    this.#id = options.endpoint?.id;
    this.#storage = options.storage;
    this.#core = new SagaCore({
      now: clock.monotonic(),
      stored: options.stored ?? [],
      ...(options.replyTimeoutMs === undefined ? {} : { replyTimeoutMs: options.replyTimeoutMs }),
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
      ...(options.deliberateBugs === undefined ? {} : { deliberateBugs: options.deliberateBugs }),
    });
    this.#driver = new ProtocolDriver({
      core: this.#core,
      endpoint: options.endpoint,
      codec: sagaMessageCodec(),
      storage: options.storage,
      clock,
      ...(options.timers === undefined ? {} : { timers: options.timers }),
      apply: (effect) => this.#apply(effect),
    });
    for (const gid of this.#core.unfinished()) this.#unreported.add(gid);
    this.#driver.on('error', (error) => this.emit('error', error));
    this.#driver.on('stopped', (reason) => {
      const error = reason ?? new ClosedError('The orchestrator stopped; the saga is resumed when its log is opened again');
      for (const waiters of this.#waiting.values()) for (const waiter of waiters) waiter.reject(error);
      this.#waiting.clear();
      for (const resolve of this.#idle.splice(0)) resolve();
    });
  }

  /** Opens an orchestrator on a write-ahead log and resumes every saga the log holds unfinished. */
  static async open(options: SagaOrchestratorOpenOptions): Promise<SagaOrchestrator> {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('SagaOrchestrator.open needs an options object');
    const { log, ...rest } = options;
    const { storage, records } = await WalRecordStorage.open(log, sagaRecordCodec());
    return new SagaOrchestrator({ ...rest, storage, stored: records });
  }

  /** The pure core (state of each saga, the unfinished ones). */
  get core(): SagaCore {
    return this.#core;
  }

  /** The driver's counters. */
  stats(): ProtocolDriverStats {
    return this.#driver.stats();
  }

  /**
   * Runs a saga: `stages` in order, each one step or an array of steps that run concurrently.
   * Resolves once it has finished — committed, or compensated — and that is durable. Idempotent by
   * `gid` (default: a fresh random id): the same saga again joins the first run, or resolves with
   * its outcome if it finished; other steps under a known id reject with `SagaConflictError`.
   * Aborting `signal` stops waiting; the saga goes on.
   */
  run(stages: readonly SagaStage[], options: AbortOptions & { gid?: Gid } = {}): Promise<SagaResult> {
    let gid: Gid;
    try {
      if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object');
      gid = options.gid ?? this.#freshGid();
      assertGid(gid);
      if (options.signal?.aborted) throw new AbortError('The saga was aborted before it started');
      const isNew = this.#core.state(gid) === 'unknown';
      // Counted before it starts: with synchronous storage its outcome is reported inside `run`.
      if (isNew) this.#unreported.add(gid);
      try {
        this.#driver.run((core) => (core as SagaCore).begin(gid, stages));
      } catch (error) {
        if (isNew && this.#core.state(gid) === 'unknown') this.#unreported.delete(gid);
        throw error;
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#wait(gid, options);
  }

  /** Resolves with the outcome of saga `gid` once it finished (one resumed after a restart too); `UnknownSagaError` when the log never held it. */
  result(gid: Gid, options: AbortOptions = {}): Promise<SagaResult> {
    if (this.#core.state(gid) === 'unknown') return Promise.reject(new UnknownSagaError(`No saga "${String(gid)}" in this orchestrator's log`));
    return this.#wait(gid, options);
  }

  /** Resolves once no saga is running (also when the orchestrator stops). */
  idle(): Promise<void> {
    if (this.#unreported.size === 0 || this.#driver.stopped) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Stops the orchestrator; unfinished sagas are resumed by the next one to open the log. */
  async close(): Promise<void> {
    await this.#driver.stop();
    if (this.#storage instanceof WalRecordStorage) await this.#storage.flush();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #wait(gid: Gid, options: AbortOptions): Promise<SagaResult> {
    const finished = this.#core.outcome(gid);
    if (finished !== undefined) return Promise.resolve({ gid, ...finished });
    if (this.#driver.stopped) return Promise.reject(new ClosedError('The orchestrator is stopped'));
    return new Promise<SagaResult>((resolve, reject) => {
      const waiter = { resolve, reject };
      let waiters = this.#waiting.get(gid);
      if (waiters === undefined) this.#waiting.set(gid, (waiters = []));
      waiters.push(waiter);
      options.signal?.addEventListener(
        'abort',
        () => {
          const list = this.#waiting.get(gid);
          const at = list?.indexOf(waiter) ?? -1;
          if (at >= 0) {
            list!.splice(at, 1);
            reject(new AbortError('Stopped waiting for the saga; it goes on'));
          }
        },
        { once: true },
      );
    });
  }

  #apply(effect: SagaEffect): void {
    switch (effect.type) {
      case 'finished': {
        const result: SagaResult = { gid: effect.gid, outcome: effect.outcome, reason: effect.reason };
        const waiters = this.#waiting.get(effect.gid) ?? [];
        this.#waiting.delete(effect.gid);
        this.#unreported.delete(effect.gid);
        for (const waiter of waiters) waiter.resolve(result);
        this.emit('finished', result);
        if (this.#unreported.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
        return;
      }
      case 'compensating':
        this.emit('compensating', { gid: effect.gid, step: effect.step, reason: effect.reason });
        return;
      case 'retrying':
        this.emit('retrying', { gid: effect.gid, step: effect.step, op: effect.op, attempt: effect.attempt, reason: effect.reason });
        return;
    }
  }

  #freshGid(): Gid {
    let suffix = '';
    for (let i = 0; i < 8; i++) suffix += this.#random.int(0x1_0000).toString(16).padStart(4, '0');
    return `${this.#id}:${suffix}`;
  }
}
