import { type Clock, InvalidArgumentError, systemClock, systemTimers, type Timers } from '@lattice/core';
import { processIdProblem } from './process-id.js';
import { PartitionSearch } from './search.js';
import { canonicalKey } from './state-key.js';
import type { CheckOptions, CheckResult, Counterexample, Model, Operation, PartitionResult, UnknownReason } from './types.js';

/** Model steps between two looks at the clock and the signal. */
const CHUNK = 4096;

/** Options of {@link checkAsync}. */
export interface CheckAsyncOptions extends CheckOptions {
  /** Timers used to yield to the event loop. Default `systemTimers`. */
  timers?: Timers | undefined;
  /** Yield to the event loop at least this often (ms of `clock` time). Default 10. */
  yieldEveryMs?: number | undefined;
}

const MODEL_METHODS = ['equal', 'hash', 'isReadOnly', 'mayBecomePossible', 'partition', 'validateOperation', 'describeOperation', 'describeState'] as const;

/** A model is an object with `init` and `step`; its optional members, where present, are functions. */
export function validateModel(model: unknown): void {
  if (typeof model !== 'object' || model === null) throw new InvalidArgumentError(`model must be an object with init() and step(), got ${model === null ? 'null' : typeof model}`);
  const m = model as Record<string, unknown>;
  if (typeof m['init'] !== 'function' || typeof m['step'] !== 'function') throw new InvalidArgumentError('model must have init() and step() methods');
  for (const name of MODEL_METHODS) {
    if (m[name] !== undefined && typeof m[name] !== 'function') throw new InvalidArgumentError(`model.${name} must be a function when present, got ${typeof m[name]}`);
  }
}

function validateOptions(options: unknown): CheckOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`options must be an object, got ${options === null ? 'null' : typeof options}`);
  const o = options as CheckOptions;
  if (o.timeoutMs !== undefined && (typeof o.timeoutMs !== 'number' || !(o.timeoutMs >= 0))) throw new InvalidArgumentError(`timeoutMs must be a number >= 0, got ${String(o.timeoutMs)}`);
  if (o.clock !== undefined && (typeof o.clock !== 'object' || o.clock === null || typeof o.clock.monotonic !== 'function')) throw new InvalidArgumentError('clock must be a Clock (with monotonic())');
  if (o.signal !== undefined && (typeof o.signal !== 'object' || o.signal === null || typeof o.signal.aborted !== 'boolean')) throw new InvalidArgumentError('signal must be an AbortSignal');
  for (const flag of ['exhaustive', 'noPartition'] as const) {
    if (o[flag] !== undefined && typeof o[flag] !== 'boolean') throw new InvalidArgumentError(`${flag} must be a boolean, got ${typeof o[flag]}`);
  }
  return o;
}

function validate<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[]): void {
  validateModel(model);
  if (!Array.isArray(history)) throw new InvalidArgumentError('history must be an array of operations');
  let initial: S | undefined;
  for (let i = 0; i < history.length; i++) {
    const op = history[i];
    if (typeof op !== 'object' || op === null) throw new InvalidArgumentError(`history[${i}] is not an operation`);
    const processProblem = processIdProblem(op.process);
    if (processProblem !== undefined) throw new InvalidArgumentError(`history[${i}].process: ${processProblem}`);
    if (typeof op.call !== 'number' || !Number.isFinite(op.call)) {
      throw new InvalidArgumentError(`history[${i}].call must be a finite number, got ${String(op.call)}`);
    }
    if (op.return !== undefined && (typeof op.return !== 'number' || !Number.isFinite(op.return) || !(op.return >= op.call))) {
      throw new InvalidArgumentError(`history[${i}].return must be undefined or a finite number >= call (${op.call}), got ${String(op.return)}`);
    }
    const output = op.return === undefined ? undefined : op.output;
    const shapeProblem = model.validateOperation?.(op.input, output);
    if (shapeProblem !== undefined) throw new InvalidArgumentError(`history[${i}]: ${shapeProblem}`);
    // One step from the initial state per operation: a model that answers something other
    // than { ok, state } fails here, naming the operation, instead of deep in the search.
    if (i === 0) initial = model.init();
    const result: unknown = model.step(initial as S, op.input, output);
    if (typeof result !== 'object' || result === null || typeof (result as { ok?: unknown }).ok !== 'boolean') {
      throw new InvalidArgumentError(`model.step must return { ok: boolean, state }, got ${String(result)} for history[${i}]`);
    }
  }
}

/** Splits the history into partitions of history indices. */
function partitionIndices<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[], noPartition: boolean): number[][] {
  const all = history.map((_, i) => i);
  if (noPartition || model.partition === undefined) return [all];
  const parts: unknown = model.partition(history);
  if (!Array.isArray(parts) || !parts.every((part) => Array.isArray(part))) throw new InvalidArgumentError('model.partition must return an array of arrays of operations');
  const positions = new Map<Operation<I, O>, number[]>();
  for (let i = history.length - 1; i >= 0; i--) {
    const op = history[i]!;
    const list = positions.get(op);
    if (list) list.push(i);
    else positions.set(op, [i]);
  }
  const result: number[][] = [];
  let placed = 0;
  for (const part of parts as Operation<I, O>[][]) {
    const indices: number[] = [];
    for (const op of part) {
      const index = positions.get(op)?.pop();
      if (index === undefined) {
        throw new InvalidArgumentError('model.partition must return each operation object of the history exactly once');
      }
      indices.push(index);
    }
    if (indices.length === 0) continue;
    indices.sort((a, b) => a - b);
    placed += indices.length;
    result.push(indices);
  }
  if (placed !== history.length) throw new InvalidArgumentError('model.partition must place every operation of the history in some partition');
  return result;
}

function describeState<S, I, O>(model: Model<S, I, O>, state: S): string {
  if (model.describeState) return model.describeState(state);
  return canonicalKey(state);
}

/**
 * The engine behind {@link check} and {@link checkAsync}: a generator that yields between
 * search chunks so the driver can watch time, the signal, and the event loop.
 */
function* engine<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[], input: CheckOptions | undefined): Generator<void, CheckResult<I, O>> {
  const options = validateOptions(input);
  validate(model, history);
  const clock: Clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs;
  if (timeoutMs !== undefined && !(timeoutMs >= 0)) throw new InvalidArgumentError(`timeoutMs must be a number >= 0, got ${timeoutMs}`);
  const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : clock.monotonic() + timeoutMs;
  const signal = options.signal;
  const interrupted = (): UnknownReason | undefined => {
    if (signal?.aborted) return 'aborted';
    if (deadline !== Number.POSITIVE_INFINITY && clock.monotonic() >= deadline) return 'timeout';
    return undefined;
  };

  const parts = partitionIndices(model, history, options.noPartition === true);
  const exhaustive = options.exhaustive === true;
  const partitions: (PartitionResult | undefined)[] = parts.map(() => undefined);
  const found: (Counterexample<I, O> | undefined)[] = parts.map(() => undefined);
  let steps = 0;

  const finish = (p: number, search: PartitionSearch<S, I, O>): void => {
    const indices = parts[p]!;
    steps += search.steps;
    if (search.linearizable) {
      partitions[p] = {
        verdict: 'linearizable',
        operations: indices,
        linearization: search.linearization().map((k) => indices[k]!),
        steps: search.steps,
      };
      return;
    }
    partitions[p] = { verdict: 'not linearizable', operations: indices, steps: search.steps };
    const failure = search.failure!;
    const prefix = failure.prefix.map((k) => indices[k]!);
    const unplaced = failure.unplaced.map((k) => indices[k]!).sort((a, b) => a - b);
    found[p] = {
      partition: p,
      prefix,
      failedAt: indices[failure.failedAt]!,
      unplaced,
      state: describeState(model, failure.state),
      prefixOperations: prefix.map((i) => history[i]!),
      unplacedOperations: unplaced.map((i) => history[i]!),
    };
  };

  // Partitions are searched side by side, a chunk each in turn, so an easy violation in one
  // partition is found before a hard partition is exhausted.
  let active: { p: number; search: PartitionSearch<S, I, O> }[] = [];
  let violation = false;
  for (let p = 0; p < parts.length; p++) {
    const search = new PartitionSearch(
      model,
      parts[p]!.map((i) => history[i]!),
    );
    if (search.done) finish(p, search);
    else active.push({ p, search });
  }
  // The clock and the signal are looked at after every chunk, so the budget holds however
  // many partitions there are.
  let stop: UnknownReason | undefined;
  while (active.length > 0 && stop === undefined) {
    const still: typeof active = [];
    for (const entry of active) {
      if (stop !== undefined) {
        still.push(entry);
        continue;
      }
      if (entry.search.run(CHUNK)) {
        finish(entry.p, entry.search);
        if (!entry.search.linearizable) violation = true;
      } else still.push(entry);
      stop = violation && !exhaustive ? 'skipped' : interrupted();
      if (stop === undefined) yield;
    }
    active = still;
  }
  for (const { p, search } of active) {
    steps += search.steps;
    partitions[p] = { verdict: 'unknown', operations: parts[p]!, steps: search.steps, reason: stop ?? 'timeout' };
  }
  const counterexamples = found.filter((c): c is Counterexample<I, O> => c !== undefined);

  const result: CheckResult<I, O> = { verdict: 'linearizable', partitions: partitions as PartitionResult[], counterexamples, steps };
  if (counterexamples.length > 0) {
    result.verdict = 'not linearizable';
    result.counterexample = counterexamples[0]!;
  } else {
    const unknown = result.partitions.find((part) => part.verdict === 'unknown');
    if (unknown !== undefined) {
      result.verdict = 'unknown';
      result.reason = unknown.reason ?? 'timeout';
    }
  }
  return result;
}

/**
 * Checks whether a concurrent history is linearizable with respect to a sequential model.
 *
 * The search is Wing & Gong's with Lowe's just-in-time linearization and memoisation of
 * visited (linearized set, state) pairs, as in Porcupine, run per partition when the model
 * partitions histories. Operations with an unknown outcome (`return: undefined`) may take
 * effect at any point after their call, or never.
 *
 * With `timeoutMs` or `signal`, a search that runs out of time or is aborted answers
 * `unknown`: never a guess. The check is synchronous; see {@link checkAsync} to let timers and
 * I/O run (and fire an abort) meanwhile.
 *
 * @throws InvalidArgumentError when an operation has a non-numeric call, a return before its
 * call, or the model's `partition` loses or invents operations.
 *
 * @example
 * ```ts
 * import { check, registerModel } from '@lattice/linearizability';
 *
 * const result = check(registerModel, [
 *   { process: 0, call: 0, return: 10, input: { op: 'write', value: 1 }, output: undefined },
 *   { process: 1, call: 2, return: 3, input: { op: 'read' }, output: 1 },
 *   { process: 2, call: 4, return: 5, input: { op: 'read' }, output: null },
 * ]);
 * result.verdict; // 'not linearizable': the value 1 was seen, then the initial null again
 * result.counterexample?.failedAt; // 2
 * ```
 */
export function check<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[], options: CheckOptions = {}): CheckResult<I, O> {
  const run = engine(model, history, options);
  for (;;) {
    const next = run.next();
    if (next.done === true) return next.value;
  }
}

/**
 * Like {@link check}, but yields to the event loop every `yieldEveryMs` (default 10 ms), so an
 * `AbortSignal` fired by a timer, a user or I/O stops the check (the answer is then `unknown`).
 *
 * @example
 * ```ts
 * import { checkAsync, kvModel } from '@lattice/linearizability';
 *
 * const result = await checkAsync(kvModel, history, { signal: AbortSignal.timeout(5_000) });
 * if (result.verdict === 'unknown') console.log('gave up:', result.reason);
 * ```
 */
export async function checkAsync<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckAsyncOptions = {},
): Promise<CheckResult<I, O>> {
  validateOptions(options);
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  if (typeof timers !== 'object' || timers === null || typeof timers.setTimeout !== 'function') throw new InvalidArgumentError('timers must be Timers (with setTimeout())');
  const every = options.yieldEveryMs ?? 10;
  if (typeof every !== 'number' || !(every >= 0)) throw new InvalidArgumentError(`yieldEveryMs must be a number >= 0, got ${String(every)}`);
  const run = engine(model, history, options);
  let lastYield = clock.monotonic();
  for (;;) {
    const next = run.next();
    if (next.done === true) return next.value;
    const now = clock.monotonic();
    if (now - lastYield >= every) {
      await new Promise<void>((resolve) => timers.setTimeout(resolve, 0));
      lastYield = clock.monotonic();
    }
  }
}
