import {
  type AbortOptions,
  assertNodeId,
  ByteReader,
  ByteWriter,
  describeValue,
  InvalidArgumentError,
  LatticeError,
  type LatticeErrorOptions,
  type NodeId,
  type RecordSink,
} from '@lattice/core';
import { decodeCoordinatorRecord, encodeCoordinatorRecord } from './codec.js';
import type { CoordinatorRecord, Gid, TransactionOutcome } from './types.js';

/** Thrown when a coordinator's decision reaches the replicated log after another node took the coordinator's place. */
export class CoordinatorFencedError extends LatticeError {
  static readonly code = 'ERR_COORDINATOR_FENCED';
  override readonly name = 'CoordinatorFencedError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(CoordinatorFencedError.code, message, options);
  }
}

/**
 * A replicated log that settles a proposal once the command is committed and applied to the
 * local {@link DecisionLogMachine}, with the machine's result. `RaftNode` of `@lattice/raft`
 * satisfies it as it is (its `propose` settles with `StateMachine.apply`'s result), and so does any
 * other consensus group that applies commands in one order on every replica.
 */
export interface ReplicatedLog {
  propose(command: Uint8Array, options?: AbortOptions): Promise<unknown>;
}

/** What {@link DecisionLogMachine.apply} returns for one command. */
export type DecisionLogResult =
  /** A claim was applied: `epoch` is the claimer's from now on, and `records` what it re-drives. */
  | { readonly type: 'claimed'; readonly epoch: number; readonly records: readonly CoordinatorRecord[] }
  /** The records of the epoch's holder were applied. */
  | { readonly type: 'accepted'; readonly epoch: number }
  /** The records came from an older epoch: nothing changed. */
  | { readonly type: 'fenced'; readonly epoch: number; readonly holder: NodeId | undefined }
  /** The command is not one of this machine's: nothing changed. */
  | { readonly type: 'invalid'; readonly reason: string };

interface Decided {
  readonly outcome: TransactionOutcome;
  readonly participants: readonly NodeId[];
}

const FORMAT = 1;
const CLAIM = 1;
const RECORDS = 2;

/** Encodes "`holder` takes the coordinator's place" as a command of a {@link DecisionLogMachine}. */
export function encodeClaim(holder: NodeId): Uint8Array {
  assertNodeId(holder, 'holder');
  const w = new ByteWriter(holder.length + 8);
  w.byte(FORMAT);
  w.byte(CLAIM);
  w.string(holder);
  return w.finish();
}

/** Encodes a coordinator's records, written in `epoch`, as a command of a {@link DecisionLogMachine}. */
export function encodeDecisionRecords(epoch: number, records: readonly CoordinatorRecord[]): Uint8Array {
  if (!Number.isSafeInteger(epoch) || epoch < 1) throw new InvalidArgumentError(`epoch must be a positive integer, got ${String(epoch)}`);
  if (!Array.isArray(records)) throw new InvalidArgumentError(`records must be an array of coordinator records, got ${describeValue(records)}`);
  const w = new ByteWriter(64);
  w.byte(FORMAT);
  w.byte(RECORDS);
  w.uint(epoch);
  w.uint(records.length);
  for (const record of records) w.bytes(encodeCoordinatorRecord(record));
  return w.finish();
}

/**
 * The coordinator's decision log as a deterministic state machine, replicated by a consensus
 * group (a `StateMachine` of `@lattice/raft`): the decisions not yet forgotten (the in-doubt set),
 * and an epoch that fences deposed coordinators. A node becomes the coordinator by committing a
 * claim, which starts a new epoch; from then on records written in an older epoch are refused,
 * so a coordinator that lost its place (crashed, partitioned, deposed) can never add a decision
 * once its successor has read the log — the successor's presumed abort for a transaction it finds
 * no decision of stays true. Every replica applies the same commands in the same order and holds
 * the same state.
 *
 * @example
 * ```ts
 * const machine = new DecisionLogMachine();
 * const raft = await RaftNode.start({ endpoint, log, voters, stateMachine: machine });
 * // on becoming leader:
 * const { storage, stored } = await RaftDecisionLog.takeOver({ log: raft, holder: raft.id });
 * ```
 */
export class DecisionLogMachine {
  #epoch = 0;
  #holder: NodeId | undefined;
  #decided = new Map<Gid, Decided>();

  /** The current epoch (0 before the first claim). */
  get epoch(): number {
    return this.#epoch;
  }

  /** The node that claimed the current epoch. */
  get holder(): NodeId | undefined {
    return this.#holder;
  }

  /** Transactions decided and not yet forgotten, with their outcome (what a new coordinator re-drives). */
  inDoubt(): Map<Gid, TransactionOutcome> {
    return new Map([...this.#decided].map(([gid, d]) => [gid, d.outcome]));
  }

  /** The decided, unforgotten transactions as coordinator records, to start a `CoordinatorCore` from. */
  records(): CoordinatorRecord[] {
    return [...this.#decided].map(([gid, d]) => ({ type: 'decision', gid, outcome: d.outcome, participants: d.participants }));
  }

  /** Applies one committed command (a claim or a batch of records); its result settles the proposal on the proposing node. */
  apply(command: Uint8Array, _index?: number): DecisionLogResult {
    let parsed: { type: 'claim'; holder: NodeId } | { type: 'records'; epoch: number; records: CoordinatorRecord[] };
    try {
      parsed = decodeCommand(command);
    } catch (error) {
      // A command of another machine (or garbage) changes nothing on any replica, the same way everywhere.
      return { type: 'invalid', reason: error instanceof Error ? error.message : String(error) };
    }
    if (parsed.type === 'claim') {
      this.#epoch++;
      this.#holder = parsed.holder;
      return { type: 'claimed', epoch: this.#epoch, records: this.records() };
    }
    if (parsed.epoch !== this.#epoch) return { type: 'fenced', epoch: this.#epoch, holder: this.#holder };
    for (const record of parsed.records) {
      if (record.type === 'decision') this.#decided.set(record.gid, { outcome: record.outcome, participants: record.participants });
      else this.#decided.delete(record.gid);
    }
    return { type: 'accepted', epoch: this.#epoch };
  }

  /** The state as bytes (epoch, holder, decisions not yet forgotten), for log compaction. */
  snapshot(): Uint8Array {
    const w = new ByteWriter(64);
    w.byte(FORMAT);
    w.uint(this.#epoch);
    w.string(this.#holder ?? '');
    const records = this.records();
    w.uint(records.length);
    for (const record of records) w.bytes(encodeCoordinatorRecord(record));
    return w.finish();
  }

  /** Replaces the state with a snapshot's; a malformed one is a `DecodeError` and changes nothing. */
  restore(snapshot: Uint8Array): void {
    const r = new ByteReader(snapshot, 'decision log snapshot');
    if (r.byte() !== FORMAT) r.fail('unknown format');
    const epoch = r.uint();
    const holder = r.string();
    const count = r.uint();
    const decided = new Map<Gid, Decided>();
    for (let i = 0; i < count; i++) {
      const record = decodeCoordinatorRecord(r.bytes());
      if (record.type === 'decision') decided.set(record.gid, { outcome: record.outcome, participants: record.participants });
    }
    r.end();
    this.#epoch = epoch;
    this.#holder = holder === '' ? undefined : holder;
    this.#decided = decided;
  }
}

function decodeCommand(bytes: Uint8Array): { type: 'claim'; holder: NodeId } | { type: 'records'; epoch: number; records: CoordinatorRecord[] } {
  const r = new ByteReader(bytes, 'decision log command');
  if (r.byte() !== FORMAT) r.fail('unknown format');
  const kind = r.byte();
  if (kind === CLAIM) {
    const holder = r.string();
    r.end();
    assertNodeId(holder, 'holder');
    return { type: 'claim', holder };
  }
  if (kind !== RECORDS) r.fail(`unknown command ${kind}`);
  const epoch = r.uint();
  const count = r.uint();
  const records: CoordinatorRecord[] = [];
  for (let i = 0; i < count; i++) records.push(decodeCoordinatorRecord(r.bytes()));
  r.end();
  return { type: 'records', epoch, records };
}

/** Options of {@link RaftDecisionLog.takeOver}. */
export interface TakeOverOptions extends AbortOptions {
  /** The group's log, proposed to on this node (a `RaftNode` whose state machine is a {@link DecisionLogMachine}). */
  log: ReplicatedLog;
  /** This node's id, recorded as the epoch's holder. */
  holder: NodeId;
}

/**
 * A coordinator's durable storage in a replicated {@link DecisionLogMachine} instead of a local
 * write-ahead log: each `Ready`'s records are one proposal, and `persist` settles once the group
 * has committed and applied it (a decision is durable once a majority holds it; its latency is
 * one consensus commit). Records of a coordinator whose epoch is over are refused with
 * {@link CoordinatorFencedError}, which stops its driver before any phase-2 message of that
 * decision leaves. Records that need no sync (an abort, a `forget`) are proposed the same way:
 * the epoch check is what makes an abort safe to presume on failover, and it needs them in order.
 *
 * @example
 * ```ts
 * const { storage, stored } = await RaftDecisionLog.takeOver({ log: raftNode, holder: raftNode.id });
 * const coordinator = new Coordinator({ endpoint: coordinatorAddress, storage, stored, clock, timers });
 * ```
 */
export class RaftDecisionLog implements RecordSink<CoordinatorRecord> {
  /** The epoch this coordinator writes in. */
  readonly epoch: number;
  readonly #log: ReplicatedLog;

  private constructor(log: ReplicatedLog, epoch: number) {
    this.#log = log;
    this.epoch = epoch;
  }

  /**
   * Makes `holder` the coordinator: commits a claim (fencing every earlier coordinator) and
   * returns the storage to write in the new epoch with the decisions to re-drive (decided before
   * the claim and not forgotten). Call it when this node becomes the group's leader.
   */
  static async takeOver(options: TakeOverOptions): Promise<{ storage: RaftDecisionLog; stored: CoordinatorRecord[] }> {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('takeOver needs options: { log, holder }');
    if (typeof options.log?.propose !== 'function') throw new InvalidArgumentError('options.log must be a ReplicatedLog (propose)');
    const command = encodeClaim(options.holder);
    const result = (await options.log.propose(command, options.signal === undefined ? {} : { signal: options.signal })) as DecisionLogResult;
    if (result?.type !== 'claimed') throw new InvalidArgumentError('The replicated log did not apply the claim: is its state machine a DecisionLogMachine?');
    return { storage: new RaftDecisionLog(options.log, result.epoch), stored: [...result.records] };
  }

  /** Proposes the records as one batch of this epoch; resolves once applied, rejects with `CoordinatorFencedError` if the epoch is over. */
  async persist(records: readonly CoordinatorRecord[], _options: { readonly sync: boolean }): Promise<void> {
    if (records.length === 0) return;
    const result = (await this.#log.propose(encodeDecisionRecords(this.epoch, records))) as DecisionLogResult;
    if (result?.type === 'accepted') return;
    if (result?.type === 'fenced') {
      throw new CoordinatorFencedError(`Epoch ${this.epoch} is over: ${result.holder ?? 'another node'} took the coordinator's place in epoch ${result.epoch}`);
    }
    throw new InvalidArgumentError('The replicated log did not apply the decision records: is its state machine a DecisionLogMachine?');
  }
}
