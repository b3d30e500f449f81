import { InvalidArgumentError } from '@lattice/core';
import { registerOperationProblem, registerValueProblem } from './operation-shapes.js';
import type { Model } from '../types.js';

/** A value a built-in register can hold; `null` is the initial, absent value. */
export type RegisterValue = string | number | boolean | bigint | null;

/** Input of {@link registerModel}: read the register, or write a value. */
export type RegisterInput = { op: 'read' } | { op: 'write'; value: RegisterValue };

/** Output of {@link registerModel}: the value a read returned (writes answer nothing that matters). */
export type RegisterOutput = RegisterValue;

/** SameValueZero: `===`, except that NaN equals NaN. */
export function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** Text of a register value in reports: `nil` for the absent value, JSON otherwise. */
export function describeValue(value: unknown): string {
  if (value === null) return 'nil';
  if (typeof value === 'bigint') return `${value}n`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Options of {@link createRegisterModel}. */
export interface RegisterModelOptions {
  /** The initial value. Default `null` (absent). */
  initial?: RegisterValue;
}

/** The `initial` option of the register models: a register value, default `null`. */
export function initialValue(options: RegisterModelOptions | undefined): RegisterValue {
  if (options === undefined) return null;
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`options must be an object, got ${options === null ? 'null' : typeof options}`);
  const problem = options.initial === undefined ? undefined : registerValueProblem(options.initial, 'initial');
  if (problem !== undefined) throw new InvalidArgumentError(problem);
  return options.initial ?? null;
}

/**
 * A read/write register starting at `options.initial`.
 *
 * @example
 * ```ts
 * import { check, createRegisterModel } from '@lattice/linearizability';
 *
 * const model = createRegisterModel({ initial: 0 });
 * check(model, [{ process: 0, call: 0, return: 1, input: { op: 'read' }, output: 0 }]).verdict; // 'linearizable'
 * ```
 */
export function createRegisterModel(options: RegisterModelOptions = {}): Model<RegisterValue, RegisterInput, RegisterOutput> {
  const initial = initialValue(options);
  return {
    validateOperation: (input, output) => registerOperationProblem(input, output, false),
    init: () => initial,
    step(state, input, output) {
      if (input.op === 'write') return { ok: true, state: input.value };
      return { ok: output === undefined || sameValue(output, state), state };
    },
    isReadOnly: (input) => input.op === 'read',
    // A read of v can only become possible if some remaining write writes v.
    mayBecomePossible: (_state, _input, output, writers) =>
      output === undefined || writers.some((w) => w.op === 'write' && sameValue(w.value, output)),
    equal: sameValue,
    hash: (state) => (typeof state === 'number' ? state : `${typeof state}:${String(state)}`),
    describeOperation: (input, output) =>
      input.op === 'write'
        ? `write ${describeValue(input.value)}`
        : `read -> ${output === undefined ? '?' : describeValue(output)}`,
    describeState: describeValue,
  };
}

/**
 * A read/write register that starts absent (`null`). Inputs `{ op: 'read' }` (output: the
 * value read, `null` = absent) and `{ op: 'write', value }` (output ignored).
 *
 * @example
 * ```ts
 * import { check, registerModel } from '@lattice/linearizability';
 *
 * check(registerModel, [
 *   { process: 0, call: 0, return: 5, input: { op: 'write', value: 'x' }, output: undefined },
 *   { process: 1, call: 1, return: 2, input: { op: 'read' }, output: 'x' },
 * ]).verdict; // 'linearizable': the write may take effect before the read
 * ```
 */
export const registerModel: Model<RegisterValue, RegisterInput, RegisterOutput> = createRegisterModel();
