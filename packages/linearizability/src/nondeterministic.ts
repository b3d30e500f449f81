import { InvalidArgumentError } from '@lattice/core';
import { validateModel } from './check.js';
import { deepEqual, defaultHash } from './state-key.js';
import type { Model, Operation } from './types.js';

/**
 * A sequential specification whose operations may lead to several states (a cache that may or
 * may not evict, a counter that may count a retried increment twice). Turn it into a
 * {@link Model} with {@link fromNondeterministic}.
 */
export interface NondeterministicModel<S, I, O> {
  /** The possible initial states. */
  init(): S[];
  /**
   * Every state `input` applied to `state` may lead to while answering `output`
   * (`undefined` = unknown answer); empty when `output` is impossible.
   */
  step(state: S, input: I, output: O | undefined): S[];
  /** State equality; defaults as in {@link Model.equal}. */
  equal?(a: S, b: S): boolean;
  /** State hash consistent with `equal`; defaults as in {@link Model.hash}. */
  hash?(state: S): string | number;
  /** As {@link Model.partition}. */
  partition?(history: readonly Operation<I, O>[]): Operation<I, O>[][];
  /** As {@link Model.describeOperation}. */
  describeOperation?(input: I, output: O | undefined): string;
  /** Text of one state, for reports. */
  describeState?(state: S): string;
}

/**
 * Turns a {@link NondeterministicModel} into a deterministic {@link Model} whose state is the
 * set of states the object may be in (the powerset construction, as Porcupine does): a step
 * is possible when some member allows it, and leads to every state some member may reach.
 *
 * @example
 * ```ts
 * import { check, fromNondeterministic } from '@lattice/linearizability';
 *
 * // An increment that a retry may apply twice.
 * const counter = fromNondeterministic<number, 'inc' | 'get', number>({
 *   init: () => [0],
 *   step: (n, input, output) =>
 *     input === 'inc' ? [n + 1, n + 2] : output === undefined || output === n ? [n] : [],
 * });
 * check(counter, [
 *   { process: 0, call: 0, return: 1, input: 'inc', output: undefined },
 *   { process: 0, call: 2, return: 3, input: 'get', output: 2 },
 * ]).verdict; // 'linearizable'
 * ```
 */
export function fromNondeterministic<S, I, O>(model: NondeterministicModel<S, I, O>): Model<readonly S[], I, O> {
  validateModel(model);
  const states = (value: unknown, what: string): S[] => {
    if (!Array.isArray(value)) throw new InvalidArgumentError(`a nondeterministic model's ${what} must return an array of states, got ${String(value)}`);
    return value;
  };
  const equal = model.equal ? model.equal.bind(model) : (deepEqual as (a: S, b: S) => boolean);
  const hash = model.hash ? model.hash.bind(model) : (defaultHash as (state: S) => string | number);
  const dedupe = (states: S[]): S[] => {
    const out: S[] = [];
    const byHash = new Map<string | number, S[]>();
    for (const state of states) {
      const key = hash(state);
      const seen = byHash.get(key);
      if (seen === undefined) byHash.set(key, [state]);
      else if (seen.some((other) => equal(other, state))) continue;
      else seen.push(state);
      out.push(state);
    }
    return out;
  };
  const setHash = (states: readonly S[]): string => states.map((s) => String(hash(s))).sort().join('\u0000');
  const result: Model<readonly S[], I, O> = {
    init: () => dedupe(states(model.init(), 'init()')),
    step(current, input, output) {
      const next: S[] = [];
      for (const state of current) for (const s of states(model.step(state, input, output), 'step()')) next.push(s);
      const unique = dedupe(next);
      return { ok: unique.length > 0, state: unique };
    },
    equal: (a, b) => a.length === b.length && a.every((x) => b.some((y) => equal(x, y))),
    hash: setHash,
    describeState: (states) => `{${states.map((s) => (model.describeState ? model.describeState(s) : String(hash(s)))).join(' | ')}}`,
  };
  if (model.partition) result.partition = model.partition.bind(model);
  if (model.describeOperation) result.describeOperation = model.describeOperation.bind(model);
  return result;
}
