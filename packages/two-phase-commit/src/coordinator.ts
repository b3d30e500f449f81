import {
  type AbortOptions,
  assertNodeId,
  ClosedError,
  type Clock,
  InvalidArgumentError,
  type NodeId,
  Observable,
  ProtocolDriver,
  type ProtocolDriverStats,
  type Endpoint,
  type BaseEvents,
  type Random,
  type RecordSink,
  systemClock,
  systemRandom,
  type Timers,
  AbortError,
} from '@lattice/core';
import type { RetryPolicy } from './backoff.js';
import { coordinatorRecordCodec, twoPhaseMessageCodec } from './codec.js';
import { CoordinatorCore, type CoordinatorDeliberateBugs, type Enlistment } from './coordinator-core.js';
import { DuplicateTransactionError } from './errors.js';
import { assertGid } from './gid.js';
import type { CoordinatorEffect, CoordinatorRecord, Gid, TransactionOutcome, TwoPhaseMessage } from './types.js';
import { type TwoPhaseLogStore, WalRecordStorage } from './wal-storage.js';

/** How a transaction ended, as {@link Coordinator.transaction} and {@link Transaction.commit} resolve. */
export interface TransactionResult {
  readonly gid: Gid;
  readonly outcome: TransactionOutcome;
  /** Why: "every participant voted yes", "participant "b" voted no", "a vote did not arrive in time". */
  readonly reason: string;
}

/** Options of {@link Coordinator}. */
export interface CoordinatorOptions {
  /** Where the coordinator talks to participants (the caller owns it). */
  endpoint: Endpoint;
  /** Durable storage of decisions: a {@link WalRecordStorage}, or the simulator's `DiskRecordLog`. */
  storage: RecordSink<CoordinatorRecord>;
  /** Records read back from `storage` (decided transactions not yet forgotten are re-driven). */
  stored?: readonly CoordinatorRecord[];
  clock?: Clock;
  timers?: Timers;
  /** Draws generated gids. Default `systemRandom`. */
  random?: Random;
  /** How long to wait for every vote before aborting, ms. Default 5000. */
  voteTimeoutMs?: number;
  /** Repeats of phase-2 messages until acknowledged. Default 100 ms doubling to 5000 ms. */
  retry?: RetryPolicy;
  /** Tell participants `forgotten` once every one acknowledged and the `forget` is durable (see `CoordinatorCoreOptions.announceForgotten`). Default false. */
  announceForgotten?: boolean;
  /** @internal */
  deliberateBugs?: CoordinatorDeliberateBugs;
}

/** Options of {@link Coordinator.open}: a log instead of `storage` and `stored`. */
export type CoordinatorOpenOptions = Omit<CoordinatorOptions, 'storage' | 'stored'> & { log: TwoPhaseLogStore };

/** Events of a {@link Coordinator}. */
export interface CoordinatorEvents extends BaseEvents {
  /** Every outcome once it is final (a commit: once its record is durable). */
  decided: TransactionResult;
}

/**
 * A transaction being put together: enlist participants with their work, then
 * {@link Transaction.commit}.
 */
export class Transaction {
  readonly gid: Gid;
  readonly #work: Enlistment[] = [];
  readonly #commit: (work: readonly Enlistment[], options: AbortOptions) => Promise<TransactionResult>;
  #started = false;

  /** @internal */
  constructor(gid: Gid, commit: (work: readonly Enlistment[], options: AbortOptions) => Promise<TransactionResult>) {
    this.gid = gid;
    this.#commit = commit;
  }

  /** Adds a participant and the operations it is to prepare (in its resource's encoding). */
  enlist(participant: NodeId, ops: Uint8Array): this {
    if (this.#started) throw new InvalidArgumentError(`Transaction "${this.gid}" is already committing`);
    assertNodeId(participant, 'participant');
    if (!(ops instanceof Uint8Array)) throw new InvalidArgumentError('ops must be a Uint8Array');
    if (this.#work.some((w) => w.participant === participant)) throw new InvalidArgumentError(`"${participant}" is already enlisted`);
    this.#work.push({ participant, ops });
    return this;
  }

  /**
   * Runs both phases. Resolves with the outcome — `committed` only once the decision is durable;
   * aborting `signal` while votes are still out aborts the transaction.
   */
  commit(options: AbortOptions = {}): Promise<TransactionResult> {
    if (this.#started) return Promise.reject(new InvalidArgumentError(`Transaction "${this.gid}" is already committing`));
    this.#started = true;
    return this.#commit(this.#work, options);
  }
}

/**
 * The coordinator of two-phase commit: a {@link CoordinatorCore} bound by `ProtocolDriver` to an
 * endpoint, a clock and durable storage that keeps the decision log.
 *
 * @example
 * ```ts
 * const coordinator = await Coordinator.open({ endpoint, log: await openWal('./coordinator') });
 * const { outcome } = await coordinator.transaction({ 'bank-a': debit, 'bank-b': credit });
 * ```
 */
export class Coordinator extends Observable<CoordinatorEvents> {
  readonly #driver: ProtocolDriver<TwoPhaseMessage, CoordinatorRecord, CoordinatorEffect>;
  readonly #core: CoordinatorCore;
  readonly #random: Random;
  readonly #id: NodeId;
  readonly #storage: RecordSink<CoordinatorRecord>;
  readonly #waiting = new Map<Gid, (result: TransactionResult) => void>();
  readonly #failWaiting = new Map<Gid, (error: unknown) => void>();
  readonly #idle: (() => void)[] = [];

  constructor(options: CoordinatorOptions) {
    super();
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('Coordinator needs an options object');
    const clock = options.clock ?? systemClock;
    this.#random = options.random ?? systemRandom;
    this.#id = options.endpoint?.id;
    this.#storage = options.storage;
    this.#core = new CoordinatorCore({
      now: clock.monotonic(),
      stored: options.stored ?? [],
      ...(options.voteTimeoutMs === undefined ? {} : { voteTimeoutMs: options.voteTimeoutMs }),
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      ...(options.announceForgotten === undefined ? {} : { announceForgotten: options.announceForgotten }),
      ...(options.deliberateBugs === undefined ? {} : { deliberateBugs: options.deliberateBugs }),
    });
    this.#driver = new ProtocolDriver({
      core: this.#core,
      endpoint: options.endpoint,
      codec: twoPhaseMessageCodec(),
      storage: options.storage,
      clock,
      ...(options.timers === undefined ? {} : { timers: options.timers }),
      apply: (effect) => this.#settle(effect),
    });
    this.#driver.on('error', (error) => this.emit('error', error));
    this.#driver.on('stopped', (reason) => {
      for (const fail of this.#failWaiting.values()) fail(reason ?? new ClosedError('The coordinator stopped; the outcome is settled after a restart'));
      this.#waiting.clear();
      this.#failWaiting.clear();
      for (const resolve of this.#idle.splice(0)) resolve();
    });
  }

  /** Opens a coordinator on a write-ahead log, re-driving every decision not yet acknowledged by all. */
  static async open(options: CoordinatorOpenOptions): Promise<Coordinator> {
    const { log, ...rest } = options;
    const { storage, records } = await WalRecordStorage.open(log, coordinatorRecordCodec());
    return new Coordinator({ ...rest, storage, stored: records });
  }

  /** The pure core (state, in-doubt transactions). */
  get core(): CoordinatorCore {
    return this.#core;
  }

  /** The driver's counters. */
  stats(): ProtocolDriverStats {
    return this.#driver.stats();
  }

  /** Starts a transaction to enlist participants in; `gid` defaults to a fresh random id. */
  begin(options: { gid?: Gid } = {}): Transaction {
    const gid = options.gid ?? this.#freshGid();
    assertGid(gid);
    return new Transaction(gid, (work, commitOptions) => this.#run(gid, work, commitOptions));
  }

  /**
   * Runs one transaction: `work` maps each participant to its operations. Resolves with the
   * outcome once it is final.
   */
  transaction(work: Readonly<Record<NodeId, Uint8Array>> | Iterable<readonly [NodeId, Uint8Array]>, options: AbortOptions & { gid?: Gid } = {}): Promise<TransactionResult> {
    let tx: Transaction;
    try {
      tx = this.begin(options.gid === undefined ? {} : { gid: options.gid });
      const entries = Symbol.iterator in Object(work) ? [...(work as Iterable<readonly [NodeId, Uint8Array]>)] : Object.entries(work);
      for (const [participant, ops] of entries) tx.enlist(participant, ops);
    } catch (error) {
      return Promise.reject(error);
    }
    return tx.commit(options.signal === undefined ? {} : { signal: options.signal });
  }

  /**
   * Resolves once every transaction is settled everywhere: decided, and acknowledged by every
   * participant (the coordinator then holds nothing). Also resolves when the coordinator stops.
   */
  idle(): Promise<void> {
    if (this.#core.activeCount === 0 || this.#driver.stopped) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Stops the coordinator (decisions not yet acknowledged are re-driven by the next one to open the log). */
  async close(): Promise<void> {
    await this.#driver.stop();
    if (this.#storage instanceof WalRecordStorage) await this.#storage.flush();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #run(gid: Gid, work: readonly Enlistment[], options: AbortOptions): Promise<TransactionResult> {
    if (options.signal?.aborted) return Promise.reject(new AbortError('The transaction was aborted before it started'));
    return new Promise<TransactionResult>((resolve, reject) => {
      if (this.#waiting.has(gid)) {
        reject(new DuplicateTransactionError(`Transaction "${gid}" is already running`));
        return;
      }
      this.#waiting.set(gid, resolve);
      this.#failWaiting.set(gid, reject);
      try {
        this.#driver.run((core) => (core as CoordinatorCore).begin(gid, work));
      } catch (error) {
        this.#waiting.delete(gid);
        this.#failWaiting.delete(gid);
        reject(error);
        return;
      }
      options.signal?.addEventListener('abort', () => {
        if (this.#waiting.has(gid) && !this.#driver.stopped) this.#driver.run((core) => (core as CoordinatorCore).abort(gid));
      }, { once: true });
    });
  }

  #settle(effect: CoordinatorEffect): void {
    if (effect.type === 'forgotten') {
      if (this.#core.activeCount === 0) for (const resolve of this.#idle.splice(0)) resolve();
      return;
    }
    const result: TransactionResult = { gid: effect.gid, outcome: effect.outcome, reason: effect.reason };
    const resolve = this.#waiting.get(effect.gid);
    this.#waiting.delete(effect.gid);
    this.#failWaiting.delete(effect.gid);
    resolve?.(result);
    this.emit('decided', result);
  }

  #freshGid(): Gid {
    let suffix = '';
    for (let i = 0; i < 8; i++) suffix += this.#random.int(0x1_0000).toString(16).padStart(4, '0');
    return `${this.#id}:${suffix}`;
  }
}
