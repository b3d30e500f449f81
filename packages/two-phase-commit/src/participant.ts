import {
  type BaseEvents,
  type Clock,
  type Endpoint,
  HandlerError,
  InvalidArgumentError,
  Observable,
  ProtocolDriver,
  type ProtocolDriverStats,
  type RecordSink,
  systemClock,
  systemTimers,
  type Timers,
} from '@lattice/core';
import { nextDelay } from './backoff.js';
import type { RetryPolicy } from './backoff.js';
import { participantRecordCodec, twoPhaseMessageCodec } from './codec.js';
import { compactablePrefix } from './compaction.js';
import { type HeldTransaction, ParticipantCore, type ParticipantDeliberateBugs, type TransactionContext } from './participant-core.js';
import type { ParticipantResource } from './resource.js';
import type { Gid, ParticipantEffect, ParticipantRecord, TwoPhaseMessage } from './types.js';
import { type TwoPhaseLogStore, WalRecordStorage } from './wal-storage.js';

/** Options of {@link Participant}. */
export interface ParticipantOptions {
  /** Where the participant talks to the coordinator and its peers; its id is the participant's. */
  endpoint: Endpoint;
  /** What transactions commit into. */
  resource: ParticipantResource;
  /** Durable storage of "prepared" and outcome records. */
  storage: RecordSink<ParticipantRecord>;
  /** Records read back from `storage`. */
  stored?: readonly ParticipantRecord[];
  /** Gids the resource reported prepared at start (`resource.recover()`); they are not restored again. */
  held?: readonly Gid[];
  /**
   * With a durable-prepare resource: what it holds prepared at start that the log has no
   * record of (`resource.recoverHeld()`); they are in doubt, as if the log said "prepared".
   */
  heldInDoubt?: readonly HeldTransaction[];
  clock?: Clock;
  timers?: Timers;
  /** How long the resource may take to vote, ms. Default 5000. */
  voteTimeoutMs?: number;
  /** When a prepared participant asks about the outcome. Default 1000 ms doubling to 10000 ms. */
  inquiry?: RetryPolicy;
  /** With a coordinator that announces `forgotten`: how often a settled transaction still remembered asks again, ms (see `ParticipantCoreOptions.settledInquiryMs`). Default: never. */
  settledInquiryMs?: number;
  /** Repeats of a resource's failed commit or abort (a database restarting). Default 100 ms doubling to 5000 ms. */
  resourceRetry?: RetryPolicy;
  /** @internal */
  deliberateBugs?: ParticipantDeliberateBugs;
}

/** Options of {@link Participant.open}: a log instead of `storage`, `stored` and `held`. */
export type ParticipantOpenOptions = Omit<ParticipantOptions, 'storage' | 'stored' | 'held' | 'heldInDoubt'> & { log: TwoPhaseLogStore };

/** Events of a {@link Participant}. */
export interface ParticipantEvents extends BaseEvents {
  /** Each effect once the resource carried it out. */
  applied: ParticipantEffect;
}

/**
 * A participant of two-phase commit: a {@link ParticipantCore} bound by `ProtocolDriver` to an
 * endpoint and durable storage, carrying its effects out on a {@link ParticipantResource}, one
 * gid's effects in order (different gids run side by side).
 *
 * @example
 * ```ts
 * const participant = await Participant.open({ endpoint, log: await openWal('./bank-a'), resource: kv });
 * ```
 */
export class Participant extends Observable<ParticipantEvents> {
  readonly #driver: ProtocolDriver<TwoPhaseMessage, ParticipantRecord, ParticipantEffect>;
  readonly #core: ParticipantCore;
  readonly #resource: ParticipantResource;
  readonly #storage: RecordSink<ParticipantRecord>;
  readonly #held: Set<Gid>;
  /** Gids whose `forget` effect ran: their records may leave a compactable log. */
  readonly #released = new Set<Gid>();
  readonly #chains = new Map<Gid, Promise<void>>();
  readonly #timers: Timers;
  readonly #resourceRetry: RetryPolicy;
  #closing = false;
  /** Wakes the retries waiting out their backoff, so that close() need not wait for them. */
  readonly #wakers = new Set<() => void>();

  constructor(options: ParticipantOptions) {
    super();
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('Participant needs an options object');
    const { resource } = options;
    assertResource(resource);
    this.#resource = resource;
    this.#storage = options.storage;
    this.#held = new Set(options.held ?? []);
    this.#timers = options.timers ?? systemTimers;
    this.#resourceRetry = checkRetry(options.resourceRetry ?? { initialMs: 100, maxMs: 5000 });
    const clock = options.clock ?? systemClock;
    const durablePrepare = resource.durablePrepare === true;
    this.#core = new ParticipantCore({
      id: options.endpoint?.id,
      now: clock.monotonic(),
      stored: options.stored ?? [],
      durablePrepare,
      ...(durablePrepare ? { held: options.heldInDoubt ?? [] } : {}),
      ...(options.voteTimeoutMs === undefined ? {} : { voteTimeoutMs: options.voteTimeoutMs }),
      ...(options.inquiry === undefined ? {} : { inquiry: options.inquiry }),
      ...(options.settledInquiryMs === undefined ? {} : { settledInquiryMs: options.settledInquiryMs }),
      ...(options.deliberateBugs === undefined ? {} : { deliberateBugs: options.deliberateBugs }),
    });
    this.#driver = new ProtocolDriver({
      core: this.#core,
      endpoint: options.endpoint,
      codec: twoPhaseMessageCodec(),
      storage: options.storage,
      clock,
      ...(options.timers === undefined ? {} : { timers: options.timers }),
      apply: (effect) => this.#enqueue(effect),
    });
    this.#driver.on('error', (error) => this.emit('error', error));
  }

  /**
   * Opens a participant on a write-ahead log: replays its records, asks the resource what it still
   * holds prepared, and settles what the log already decided (a commit or abort the resource
   * missed in a crash); transactions still in doubt ask the coordinator and their peers.
   */
  static async open(options: ParticipantOpenOptions): Promise<Participant> {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('Participant.open needs an options object');
    const { log, ...rest } = options;
    assertResource(rest.resource);
    const compactable = rest.resource.durableCommits === true && typeof log.dropPrefix === 'function';
    const { storage, records } = await WalRecordStorage.open(log, participantRecordCodec(), { compactable });
    const durable = rest.resource.durablePrepare === true;
    const heldTransactions: readonly HeldTransaction[] = durable
      ? await rest.resource.recoverHeld!()
      : (await rest.resource.recover()).map((gid) => ({ gid, coordinator: '', participants: [] }));
    const settled = settleHeld(records, heldTransactions, durable, rest.deliberateBugs);
    for (const gid of settled.commit) await rest.resource.commit(gid);
    for (const gid of settled.abort) await rest.resource.abort(gid);
    return new Participant({
      ...rest,
      storage,
      stored: records,
      held: settled.logged,
      ...(durable ? { heldInDoubt: settled.inDoubt } : {}),
    });
  }

  /** The pure core (state, in-doubt transactions). */
  get core(): ParticipantCore {
    return this.#core;
  }

  /** The driver's counters. */
  stats(): ProtocolDriverStats {
    return this.#driver.stats();
  }

  /** Resolves once every effect handed to the resource so far has been carried out. */
  async settled(): Promise<void> {
    while (this.#chains.size > 0) await Promise.all(this.#chains.values());
  }

  /** Stops the participant (transactions in doubt stay prepared, in the log and the resource). */
  async close(): Promise<void> {
    this.#closing = true;
    for (const wake of this.#wakers) wake();
    await this.#driver.stop();
    await this.settled();
    if (this.#storage instanceof WalRecordStorage) {
      await this.#storage.flush();
      if (this.#compactable()) await this.#compact();
    }
  }

  #compactable(): boolean {
    return this.#storage instanceof WalRecordStorage && this.#storage.compactable && this.#resource.durableCommits === true;
  }

  /** Drops the log's prefix that forgotten transactions, carried out by the resource, close. */
  async #compact(): Promise<void> {
    await (this.#storage as WalRecordStorage<ParticipantRecord>).compact((records) => {
      const count = compactablePrefix(records, (gid) => this.#released.has(gid));
      for (let i = 0; i < count; i++) if (records[i]!.type === 'forgotten') this.#released.delete(records[i]!.gid);
      return count;
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #enqueue(effect: ParticipantEffect): void {
    const previous = this.#chains.get(effect.gid) ?? Promise.resolve();
    // Read now: the effect is handed out while the transaction is still preparing.
    const context = effect.type === 'prepare' ? this.#core.context(effect.gid) : undefined;
    const next = previous.then(() => this.#carryOut(effect, context));
    this.#chains.set(effect.gid, next);
    void next.then(() => {
      if (this.#chains.get(effect.gid) === next) this.#chains.delete(effect.gid);
    });
  }

  /**
   * A decided outcome must reach the resource (it may be holding locks for it): a failure — the
   * database restarting, a dropped connection — is reported and repeated with backoff until it
   * succeeds or the participant closes (the next open settles it from the log then).
   */
  async #finish(effect: ParticipantEffect & { type: 'commit' | 'abort' }): Promise<void> {
    let delay = 0;
    for (;;) {
      try {
        await (effect.type === 'commit' ? this.#resource.commit(effect.gid) : this.#resource.abort(effect.gid));
        return;
      } catch (cause) {
        if (this.#closing) throw cause;
        this.emit('error', new HandlerError(`The resource failed to ${effect.type} "${effect.gid}"; repeating it`, { cause }));
      }
      delay = nextDelay(this.#resourceRetry, delay);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.#timers.clearTimeout(handle);
          this.#wakers.delete(wake);
          resolve();
        };
        const handle = this.#timers.setTimeout(wake, delay);
        this.#wakers.add(wake);
      });
      if (this.#closing) throw new HandlerError(`The participant closed before the resource could ${effect.type} "${effect.gid}"`);
    }
  }

  async #carryOut(effect: ParticipantEffect, context: TransactionContext | undefined): Promise<void> {
    try {
      switch (effect.type) {
        case 'prepare': {
          let vote: 'yes' | 'no';
          if (context === undefined) throw new HandlerError(`No coordinator is known for "${effect.gid}"`);
          try {
            vote = await this.#resource.prepare(effect.gid, effect.ops, context!);
          } catch (cause) {
            this.emit('error', new HandlerError(`The resource failed to prepare "${effect.gid}"; voting no`, { cause }));
            vote = 'no';
          }
          if (!this.#driver.stopped) this.#driver.run((core) => (core as ParticipantCore).voted(effect.gid, vote === 'yes' ? 'yes' : 'no'));
          break;
        }
        case 'restore':
          if (!this.#held.has(effect.gid)) await this.#resource.restore?.(effect.gid, effect.ops);
          break;
        case 'commit':
        case 'abort':
          await this.#finish(effect);
          break;
        case 'forget':
          // Nothing for the resource: it runs after the gid's commit or abort (same chain), so
          // with a resource that keeps committed work itself the gid's records may go now.
          if (this.#compactable()) {
            this.#released.add(effect.gid);
            await this.#compact();
          }
          break;
      }
      this.emit('applied', effect);
    } catch (cause) {
      // The outcome is in the log: the next open settles the resource again.
      this.emit('error', new HandlerError(`The resource failed to ${effect.type} "${effect.gid}"`, { cause }));
    }
  }
}

/**
 * What a participant does at start with what its resource still holds prepared, given its log:
 * commit what the log committed, roll back what it aborted; what the log holds as prepared stays
 * (in doubt, from the log). Held with no record: with a durable-prepare resource the vote may
 * have left — in doubt; otherwise the vote never left (it follows the synced "prepared" record),
 * so nobody committed it — rolled back.
 * @internal
 */
export function settleHeld(
  records: readonly ParticipantRecord[],
  held: readonly HeldTransaction[],
  durablePrepare: boolean,
  bugs?: ParticipantDeliberateBugs,
): { commit: Gid[]; abort: Gid[]; logged: Gid[]; inDoubt: HeldTransaction[] } {
  const outcomes = new Map<Gid, string>();
  for (const record of records) if (record.type !== 'forgotten') outcomes.set(record.gid, record.type === 'prepared' ? 'prepared' : record.outcome);
  const result = { commit: [] as Gid[], abort: [] as Gid[], logged: [] as Gid[], inDoubt: [] as HeldTransaction[] };
  for (const transaction of held) {
    const state = outcomes.get(transaction.gid);
    if (state === 'committed') result.commit.push(transaction.gid);
    else if (state === 'aborted') result.abort.push(transaction.gid);
    else if (state === 'prepared') result.logged.push(transaction.gid);
    else if (durablePrepare && bugs?.abortHeldWithoutRecord !== true) result.inDoubt.push(transaction);
    else result.abort.push(transaction.gid);
  }
  return result;
}

function checkRetry(policy: RetryPolicy): RetryPolicy {
  for (const name of ['initialMs', 'maxMs'] as const) {
    const value = (policy as unknown as Record<string, unknown> | undefined)?.[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`options.resourceRetry.${name} must be a positive number`);
  }
  return { initialMs: policy.initialMs, maxMs: policy.maxMs };
}

function assertResource(resource: unknown): asserts resource is ParticipantResource {
  for (const method of ['prepare', 'commit', 'abort', 'recover'] as const) {
    if (typeof (resource as Record<string, unknown> | undefined)?.[method] !== 'function') {
      throw new InvalidArgumentError(`options.resource must have a ${method}() method`);
    }
  }
  if ((resource as ParticipantResource).durablePrepare === true && typeof (resource as ParticipantResource).recoverHeld !== 'function') {
    throw new InvalidArgumentError('options.resource has durablePrepare but no recoverHeld() method');
  }
}
