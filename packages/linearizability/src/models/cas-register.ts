import type { Model } from '../types.js';
import { registerOperationProblem } from './operation-shapes.js';
import { describeValue, initialValue, type RegisterValue, sameValue } from './register.js';

/** Input of {@link casRegisterModel}: read, write, or compare-and-set. */
export type CasRegisterInput =
  | { op: 'read' }
  | { op: 'write'; value: RegisterValue }
  | { op: 'cas'; from: RegisterValue; to: RegisterValue };

/**
 * Output of {@link casRegisterModel}: for a read, the value read (`null` = absent); for a cas,
 * whether the compare matched (and so the write happened); for a write, ignored.
 */
export type CasRegisterOutput = RegisterValue | boolean;

/** Options of {@link createCasRegisterModel}. */
export interface CasRegisterModelOptions {
  /** The initial value. Default `null` (absent). */
  initial?: RegisterValue;
}

/**
 * A compare-and-set register starting at `options.initial`.
 *
 * @example
 * ```ts
 * import { createCasRegisterModel } from '@lattice/linearizability';
 *
 * const model = createCasRegisterModel({ initial: 0 });
 * model.step(0, { op: 'cas', from: 0, to: 1 }, true); // { ok: true, state: 1 }
 * ```
 */
export function createCasRegisterModel(options: CasRegisterModelOptions = {}): Model<RegisterValue, CasRegisterInput, CasRegisterOutput> {
  const initial = initialValue(options);
  return {
    validateOperation: (input, output) => registerOperationProblem(input, output, true),
    init: () => initial,
    step(state, input, output) {
      switch (input.op) {
        case 'write':
          return { ok: true, state: input.value };
        case 'read':
          return { ok: output === undefined || sameValue(output, state), state };
        case 'cas': {
          const matches = sameValue(input.from, state);
          // Unknown outcome: the cas happened (or will be placed last, i.e. never mattered).
          if (output === undefined) return { ok: true, state: matches ? input.to : state };
          return { ok: output === matches, state: matches ? input.to : state };
        }
      }
    },
    isReadOnly: (input, output) => input.op === 'read' || (input.op === 'cas' && output === false),
    mayBecomePossible(_state, input, output, writers) {
      if (output === undefined) return true;
      // A read of v needs a remaining write or cas that writes v.
      if (input.op === 'read') return writers.some((w) => (w.op === 'write' && sameValue(w.value, output)) || (w.op === 'cas' && sameValue(w.to, output)));
      // A failed cas (impossible now: the value equals its `from`) needs the value to change.
      return writers.length > 0;
    },
    equal: sameValue,
    hash: (state) => (typeof state === 'number' ? state : `${typeof state}:${String(state)}`),
    describeOperation(input, output) {
      switch (input.op) {
        case 'write':
          return `write ${describeValue(input.value)}`;
        case 'read':
          return `read -> ${output === undefined ? '?' : describeValue(output)}`;
        case 'cas':
          return `cas ${describeValue(input.from)}->${describeValue(input.to)}${output === undefined ? ' ?' : output === true ? ' ok' : ' failed'}`;
      }
    },
    describeState: describeValue,
  };
}

/**
 * A compare-and-set register that starts absent (`null`): inputs `{ op: 'read' }`,
 * `{ op: 'write', value }` and `{ op: 'cas', from, to }`; a cas outputs `true` when the compare
 * matched and the write happened, `false` when it did not match (no effect).
 *
 * @example
 * ```ts
 * import { casRegisterModel, check } from '@lattice/linearizability';
 *
 * check(casRegisterModel, [
 *   { process: 0, call: 0, return: 1, input: { op: 'write', value: 1 }, output: undefined },
 *   { process: 1, call: 2, return: 3, input: { op: 'cas', from: 1, to: 2 }, output: true },
 *   { process: 0, call: 4, return: 5, input: { op: 'read' }, output: 1 },
 * ]).verdict; // 'not linearizable': the cas completed before the read began
 * ```
 */
export const casRegisterModel: Model<RegisterValue, CasRegisterInput, CasRegisterOutput> = createCasRegisterModel();
