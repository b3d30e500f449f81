import type { Clock } from '@lattice/core';

/**
 * One operation of a concurrent history: a client (`process`) invoked it at `call` and saw its
 * response at `return`.
 *
 * `return: undefined` means the outcome is unknown (Jepsen's `:info`, a timeout, a client that
 * crashed, or an operation still open when the history ends): the operation may have taken
 * effect at any moment after `call`, or never. Its `output` is then ignored.
 *
 * Times may be in any monotone unit (milliseconds, a logical event counter); only their order
 * matters. Two operations whose intervals touch (`a.return === b.call`) count as concurrent.
 */
export interface Operation<I, O> {
  /** The client that issued it. A client has at most one operation open at a time. */
  process: number | string;
  /** Invocation time. */
  call: number;
  /** Response time; `undefined` = the outcome is unknown. */
  return: number | undefined;
  /** What was asked, in the model's input type. */
  input: I;
  /** What was answered; `undefined` = the answer is unknown (it constrains nothing). */
  output: O | undefined;
  /**
   * The history's own clock reading at the invocation (EDN `:time`, nanoseconds in Jepsen), when
   * it has one. Only shown in reports and messages: the checker orders by `call` and `return`.
   */
  invokedAt?: number;
  /** The history's own clock reading at the completion, when it has one (see {@link invokedAt}). */
  completedAt?: number;
}

/** The result of applying one input to a state. */
export interface StepResult<S> {
  /** Whether `output` is a possible answer of `input` in the state it was applied to. */
  ok: boolean;
  /** The state after the operation (only meaningful when `ok`). */
  state: S;
}

/**
 * A sequential specification: the object a concurrent history must be equivalent to.
 *
 * States must be treated as immutable: `step` returns a new state rather than changing its
 * argument, because the checker keeps old states to backtrack to.
 *
 * @example
 * ```ts
 * import { type Model, check } from '@lattice/linearizability';
 *
 * // A counter with `inc` (returns nothing) and `get` (returns the count).
 * type CounterInput = { op: 'inc' } | { op: 'get' };
 * const counterModel: Model<number, CounterInput, number> = {
 *   init: () => 0,
 *   step: (state, input, output) =>
 *     input.op === 'inc'
 *       ? { ok: true, state: state + 1 }
 *       : { ok: output === undefined || output === state, state },
 *   describeOperation: (input, output) => (input.op === 'inc' ? 'inc' : `get -> ${output ?? '?'}`),
 * };
 * check(counterModel, [
 *   { process: 0, call: 0, return: 2, input: { op: 'inc' }, output: undefined },
 *   { process: 1, call: 1, return: 3, input: { op: 'get' }, output: 1 },
 * ]).verdict; // 'linearizable'
 * ```
 */
export interface Model<S, I, O> {
  /** The initial state. */
  init(): S;
  /**
   * Applies `input` to `state`: `ok` tells whether `output` could have been the answer
   * (`output === undefined` means the answer is unknown, so it must be accepted), `state` is
   * the next state.
   */
  step(state: S, input: I, output: O | undefined): StepResult<S>;
  /**
   * State equality. Default: `Object.is` for primitives, structural equality for plain
   * objects, arrays, `Map` and `Set`; any other object is equal only to itself (so give class
   * instances an `equal` and `hash`, or the search cannot recognise repeated states).
   */
  equal?(a: S, b: S): boolean;
  /**
   * A hash of a state, consistent with `equal` (equal states, equal hashes). Default: the
   * state itself when primitive, else a canonical JSON-like string of it.
   */
  hash?(state: S): string | number;
  /**
   * True when the operation, with this output, never changes any state it is possible in: a
   * read, a `get`, a cas that reported a mismatch. Optional, but it makes the search much
   * faster: the checker places a possible read-only operation at once and never tries
   * alternatives to it (that is complete: such a move can always come first). Must not
   * claim read-only for an operation that changes some state.
   */
  isReadOnly?(input: I, output: O | undefined): boolean;
  /**
   * Optional pruning, for read-only operations: called when `(input, output)` is not possible
   * in `state`, with `writers`, the inputs of the state-changing operations that could still be
   * placed before its response. Return false only if no sequence of them (each at most once)
   * can lead to a state where it is possible: the search then abandons this branch at once
   * instead of exploring it to the operation's response. Returning true is always safe.
   * For example, a read of `v` can only become possible if some writer writes `v`. The
   * `writers` array is reused after the call returns: do not keep it.
   */
  mayBecomePossible?(state: S, input: I, output: O | undefined, writers: readonly I[]): boolean;
  /**
   * Splits a history into independent sub-histories (P-compositionality): the history is
   * linearizable exactly when every part is. Splitting a key-value history by key is the
   * classic case; it turns one hard search into many small ones.
   */
  partition?(history: readonly Operation<I, O>[]): Operation<I, O>[][];
  /**
   * Why an operation cannot belong to this model (an input of the wrong shape, an output of
   * the wrong type), or `undefined` when it can. `check` runs it on every operation before
   * searching, so bad input is an `InvalidArgumentError` naming the operation rather than a
   * failure inside `step`. The built-in models have one.
   */
  validateOperation?(input: unknown, output: unknown): string | undefined;
  /** A short human-readable text of an operation, used in reports. */
  describeOperation?(input: I, output: O | undefined): string;
  /** A short human-readable text of a state, used in reports. */
  describeState?(state: S): string;
}

/** The answer of a check. `unknown` = the time budget ran out or the check was aborted. */
export type Verdict = 'linearizable' | 'not linearizable' | 'unknown';

/**
 * Why a check answered `unknown`: the time budget ran out, the signal was aborted, or (for a
 * partition) it was skipped because another one was already found not linearizable.
 */
export type UnknownReason = 'timeout' | 'aborted' | 'skipped';

/**
 * Evidence that one partition is not linearizable: the longest prefix the search could
 * linearize, and the operations that could not be placed after it.
 */
export interface Counterexample<I, O> {
  /** Index of the partition in {@link CheckResult.partitions}. */
  partition: number;
  /**
   * The longest linearizable prefix the search reached, in linearization order, as indices
   * into the checked history (the array passed to `check`).
   */
  prefix: number[];
  /**
   * The operation that could not be placed after {@link prefix}: the one whose response came
   * first, or one the model's `mayBecomePossible` showed can never be placed from there
   * (history index).
   */
  failedAt: number;
  /**
   * Every operation pending at that point (invoked before the first response still to
   * place, not in the prefix), plus `failedAt`: none of their orders continues the prefix
   * (history indices).
   */
  unplaced: number[];
  /** The model state after the prefix, described with `describeState` (or JSON). */
  state: string;
  /** The operations of {@link prefix}, resolved. */
  prefixOperations: Operation<I, O>[];
  /** The operations of {@link unplaced}, resolved. */
  unplacedOperations: Operation<I, O>[];
}

/** The verdict of one partition. */
export interface PartitionResult {
  verdict: Verdict;
  /** The history indices of the operations in this partition, in history order. */
  operations: number[];
  /**
   * For a linearizable partition: a witness order (history indices in linearization order).
   * Operations with an unknown outcome that it leaves out never needed to take effect.
   */
  linearization?: number[];
  /** Search steps taken (model `step` calls). */
  steps: number;
  /** Why the partition is `unknown`. */
  reason?: UnknownReason;
}

/** What {@link check} returns. */
export interface CheckResult<I = unknown, O = unknown> {
  /**
   * `not linearizable` if any partition is; otherwise `unknown` if any partition is;
   * otherwise `linearizable`.
   */
  verdict: Verdict;
  /** One entry per partition (one in all when the model does not partition). */
  partitions: PartitionResult[];
  /** The counterexample of the first non-linearizable partition, when the verdict says so. */
  counterexample?: Counterexample<I, O>;
  /** One counterexample per partition found not linearizable, in partition order. */
  counterexamples: Counterexample<I, O>[];
  /** Why the verdict is `unknown`. */
  reason?: UnknownReason;
  /** Search steps taken over all partitions. */
  steps: number;
}

/** Options of {@link check} and {@link checkAsync}. */
export interface CheckOptions {
  /** Give up (answer `unknown`) after this many milliseconds of `clock.monotonic()` time. */
  timeoutMs?: number | undefined;
  /** The clock the time budget is measured with. Default `systemClock`. */
  clock?: Clock | undefined;
  /**
   * Give up (answer `unknown`) once this signal is aborted. The synchronous `check` polls it
   * between search chunks, so it sees a signal aborted before or by code that runs during the
   * check (e.g. a model); use `checkAsync` for signals fired by timers or I/O.
   */
  signal?: AbortSignal | undefined;
  /**
   * Keep checking every partition after one is found not linearizable, to get a
   * counterexample for each. Default `false`: partitions are searched side by side and the
   * check stops at the first violation; the unfinished ones are `unknown` with reason
   * `skipped`.
   */
  exhaustive?: boolean | undefined;
  /** Skip the model's `partition` and check the history as one. Default `false`. */
  noPartition?: boolean | undefined;
}
