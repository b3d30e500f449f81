import { InvalidArgumentError } from '@lattice/core';
import { type CheckOptions, check, type Model, type Operation } from '@lattice/linearizability';
import { NotLinearizableError } from './errors.js';

/** What {@link assertLinearizable} needs of a run. */
export interface CheckedRun<I, O> {
  readonly seed: number;
  readonly replay: string;
  readonly history: readonly Operation<I, O>[];
}

/**
 * Checks a run's history with `@lattice/linearizability` and throws a
 * `NotLinearizableError` (naming the seed, the replay command and the counterexample) unless
 * the verdict is `linearizable`. An `unknown` verdict (time budget spent) also throws, since
 * it proves nothing.
 *
 * @example
 * ```ts
 * const result = await sim.run({ duration: 5_000 });
 * assertLinearizable(result, registerModel, { timeoutMs: 10_000 });
 * ```
 */
export function assertLinearizable<S, I, O>(run: CheckedRun<I, O>, model: Model<S, I, O>, options: CheckOptions = {}): void {
  if (!Array.isArray(run?.history)) throw new InvalidArgumentError('run must be a simulation result with a history');
  if (typeof model?.step !== 'function') throw new InvalidArgumentError('model must be a linearizability Model (with a step function)');
  const history = run.history.slice();
  const result = check(model, history, options);
  if (result.verdict === 'linearizable') return;
  const describe = (op: Operation<I, O>): string => {
    const what = model.describeOperation?.(op.input, op.return === undefined ? undefined : op.output) ?? JSON.stringify(op.input);
    return `p${op.process} ${what} [${op.call.toFixed(3)}, ${op.return === undefined ? '?' : op.return.toFixed(3)}]`;
  };
  let detail = '';
  const counterexample = result.counterexample;
  if (counterexample !== undefined) {
    const prefix = counterexample.prefixOperations.slice(-8).map(describe);
    detail =
      `\n  state after the longest linearizable prefix: ${counterexample.state}` +
      `\n  last operations of that prefix:\n    ${prefix.join('\n    ') || '(none)'}` +
      `\n  operations that could not be placed next:\n    ${counterexample.unplacedOperations.map(describe).join('\n    ')}`;
  }
  const what = result.verdict === 'unknown' ? `the checker could not decide (${result.reason ?? 'unknown'})` : 'the history is not linearizable';
  throw new NotLinearizableError(`Simulation run failed: ${what} (${history.length} operations)${detail}`, run.seed, run.replay, result.verdict);
}
