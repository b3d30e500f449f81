import { assertInteger, assertNumber, assertObject, assertOptionalRandom, describeValue, InvalidArgumentError, type Random } from '@lattice/core';
import { checkModel, processIdProblem } from './arguments.js';
import { InvalidCheckOptionsError } from './errors.js';
import type { DataModel, MicroOp, Transaction, TransactionType } from './types.js';
import { validateHistory } from './validate.js';

/** Options of {@link createWorkload}. */
export interface WorkloadOptions {
  /** `'list-append'` (default) or `'rw-register'`. */
  readonly model?: DataModel;
  /** The seeded source of choices, so a run replays from its seed. */
  readonly random: Random;
  /** Keys in play at once. Default 8. */
  readonly keys?: number;
  /** Micro-operations per transaction, at least. Default 1. */
  readonly minLength?: number;
  /** Micro-operations per transaction, at most. Default 4. */
  readonly maxLength?: number;
  /** Share of micro-operations that are reads, in [0, 1]. Default 0.5. */
  readonly readFraction?: number;
  /**
   * Writes a key takes before it is retired and a fresh key takes its place (as Elle's
   * generator does), so that list reads stay short and histories linear in size. Default 32.
   */
  readonly maxWritesPerKey?: number;
}

/** A stream of transactions to submit: reads carry `null` until the store answers them. */
export interface Workload {
  readonly model: DataModel;
  /** The next transaction's micro-operations. Every write value is unique per key. */
  next(): MicroOp[];
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidCheckOptionsError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * A generator of list-append or rw-register transactions, for clients in a simulation or a
 * real-process test: take `next()`, run it against the store, and record it with a
 * {@link HistoryRecorder}.
 *
 * @example
 * ```ts
 * const workload = createWorkload({ random: seededRandom(7), keys: 4 });
 * const ops = workload.next(); // e.g. [['append', 2, 1], ['r', 0, null]]
 * ```
 */
export function createWorkload(options: WorkloadOptions): Workload {
  assertObject(options, 'createWorkload options');
  const model = checkModel(options.model ?? 'list-append');
  const random = options.random;
  if (random === undefined) throw new InvalidArgumentError('createWorkload needs options.random, a seeded Random (e.g. seededRandom(seed) from @lattice/core)');
  assertOptionalRandom(random, 'options.random');
  const keyCount = positiveInteger('keys', options.keys ?? 8);
  const minLength = positiveInteger('minLength', options.minLength ?? 1);
  const maxLength = positiveInteger('maxLength', options.maxLength ?? 4);
  if (maxLength < minLength) throw new InvalidCheckOptionsError(`maxLength (${maxLength}) is less than minLength (${minLength})`);
  const readFraction = options.readFraction ?? 0.5;
  if (typeof readFraction !== 'number' || !(readFraction >= 0 && readFraction <= 1)) throw new InvalidCheckOptionsError(`readFraction must be a number in [0, 1], got ${describeValue(readFraction)}`);
  const maxWrites = positiveInteger('maxWritesPerKey', options.maxWritesPerKey ?? 32);
  const active: number[] = Array.from({ length: keyCount }, (_, i) => i);
  const writes = new Map<number, number>();
  let nextKey = keyCount;
  const write = model === 'list-append' ? 'append' : 'w';
  return {
    model,
    next(): MicroOp[] {
      const length = minLength + random.int(maxLength - minLength + 1);
      const ops: MicroOp[] = [];
      for (let i = 0; i < length; i++) {
        const slot = random.int(keyCount);
        const key = active[slot]!;
        if (random.next() < readFraction) {
          ops.push(['r', key, null]);
          continue;
        }
        const count = (writes.get(key) ?? 0) + 1;
        writes.set(key, count);
        ops.push([write, key, count]);
        if (count >= maxWrites) {
          active[slot] = nextKey++;
          writes.delete(key);
        }
      }
      return ops;
    },
  };
}

/** A transaction submitted to a {@link HistoryRecorder} and not yet completed. */
export type PendingTransaction = number;

/**
 * Records what clients submitted and what came back, as a history for {@link check}. Times are
 * the caller's (a simulator's virtual clock, or a `Clock`), so nothing here reads a clock.
 */
export class HistoryRecorder {
  private readonly entries: { process: number | string; call: number; ops: readonly MicroOp[]; type?: TransactionType; return?: number; result?: readonly MicroOp[] }[] = [];
  private readonly openByProcess = new Map<number | string, number>();

  /** Records that `process` submitted `ops` at `time`; returns the handle to complete. */
  invoke(process: number | string, ops: readonly MicroOp[], time: number): PendingTransaction {
    const processProblem = processIdProblem(process);
    if (processProblem !== undefined) throw new InvalidArgumentError(`HistoryRecorder.invoke: ${processProblem}`);
    if (!Array.isArray(ops)) throw new InvalidArgumentError(`HistoryRecorder.invoke: ops must be an array of micro-operations, got ${describeValue(ops)}`);
    assertNumber(time, 'HistoryRecorder.invoke time', Number.NEGATIVE_INFINITY, Number.MAX_VALUE);
    if (this.openByProcess.has(process)) throw new InvalidCheckOptionsError(`process ${String(process)} already has a transaction in flight`);
    this.openByProcess.set(process, this.entries.length);
    this.entries.push({ process, call: time, ops });
    return this.entries.length - 1;
  }

  /**
   * Records the outcome: `ok` with the micro-operations as executed (reads filled in), `fail`
   * when it certainly did not take effect, `info` when unknown.
   */
  complete(handle: PendingTransaction, type: TransactionType, time: number, result?: readonly MicroOp[]): void {
    assertInteger(handle, 'HistoryRecorder.complete handle', 0);
    const entry = this.entries[handle];
    if (entry === undefined || entry.type !== undefined) throw new InvalidCheckOptionsError(`transaction ${handle} is not in flight`);
    if (type !== 'ok' && type !== 'fail' && type !== 'info') throw new InvalidArgumentError(`HistoryRecorder.complete: type must be 'ok', 'fail' or 'info', got ${describeValue(type)}`);
    assertNumber(time, 'HistoryRecorder.complete time', Number.NEGATIVE_INFINITY, Number.MAX_VALUE);
    if (result !== undefined && !Array.isArray(result)) throw new InvalidArgumentError(`HistoryRecorder.complete: result must be an array of micro-operations, got ${describeValue(result)}`);
    if (type === 'ok' && result === undefined && entry.ops.some((op) => op[0] === 'r')) {
      throw new InvalidCheckOptionsError(`transaction ${handle} committed with reads: pass what they returned`);
    }
    entry.type = type;
    entry.return = time;
    if (result !== undefined) entry.result = result;
    this.openByProcess.delete(entry.process);
  }

  /** The history so far; transactions still in flight are `info` (their outcome is unknown). */
  history(model: DataModel = 'list-append'): Transaction[] {
    checkModel(model);
    const history = this.entries.map((e): Transaction => {
      const type = e.type ?? 'info';
      const unknownReads = (ops: readonly MicroOp[]) => ops.map((op) => (op[0] === 'r' ? (['r', op[1], null] as const) : op));
      if (type === 'info') return { process: e.process, type, call: e.call, ops: unknownReads(e.ops) };
      return { process: e.process, type, call: e.call, return: e.return!, ops: type === 'ok' ? (e.result ?? e.ops) : e.ops };
    });
    return validateHistory(history, model, 'recorded history');
  }
}
