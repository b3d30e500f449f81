import { InvalidArgumentError } from '@lattice/core';
import type { Model } from '../types.js';
import { isRecord, registerValueProblem, show } from './operation-shapes.js';
import { describeValue, type RegisterValue, sameValue } from './register.js';
import { valueKey } from './value-key.js';

/** A register's name in {@link multiRegisterModel}: a string or a number (`1` and `"1"` differ). */
export type MultiRegisterKey = string | number;

/** One micro-operation of a transaction: read a register, or write one. */
export type MultiRegisterMicroOp = { f: 'read'; key: MultiRegisterKey } | { f: 'write'; key: MultiRegisterKey; value: RegisterValue };

/** Input of {@link multiRegisterModel}: a transaction, its micro-operations applied in order. */
export interface MultiRegisterInput {
  op: 'txn';
  ops: readonly MultiRegisterMicroOp[];
}

/**
 * Output of {@link multiRegisterModel}: one entry per micro-operation, the value each read
 * returned (`null` = the register was absent; `undefined` = not known, which constrains
 * nothing). Entries of writes are ignored.
 */
export type MultiRegisterOutput = readonly (RegisterValue | undefined)[];

/**
 * State of {@link multiRegisterModel}: the registers that hold a value (absent ones read
 * `null`), never changed in place, with a canonical key that two states share exactly when
 * every read answers the same in both.
 */
export interface MultiRegisterState {
  readonly values: ReadonlyMap<MultiRegisterKey, RegisterValue>;
  readonly key: string;
}

function keyProblem(key: unknown, where: string): string | undefined {
  if (typeof key === 'string' || (typeof key === 'number' && Number.isFinite(key))) return undefined;
  return `${where} must be a string or a finite number, got ${show(key)}`;
}

/** Why an operation is not a multi-register transaction (with an output that fits it). */
export function multiRegisterOperationProblem(input: unknown, output: unknown): string | undefined {
  if (!isRecord(input)) return `input must be an object, got ${show(input)}`;
  if (input['op'] !== 'txn') return `input.op must be "txn" for the multi-register model, got ${show(input['op'])}`;
  const ops = input['ops'];
  if (!Array.isArray(ops)) return `input.ops must be an array of micro-operations, got ${show(ops)}`;
  for (let i = 0; i < ops.length; i++) {
    const micro: unknown = ops[i];
    const where = `input.ops[${i}]`;
    if (!isRecord(micro)) return `${where} must be { f: 'read', key } or { f: 'write', key, value }, got ${show(micro)}`;
    if (micro['f'] !== 'read' && micro['f'] !== 'write') return `${where}.f must be "read" or "write", got ${show(micro['f'])}`;
    const problem = keyProblem(micro['key'], `${where}.key`) ?? (micro['f'] === 'write' ? registerValueProblem(micro['value'], `${where}.value`) : undefined);
    if (problem !== undefined) return problem;
  }
  if (output === undefined) return undefined;
  if (!Array.isArray(output)) return `output must be an array with one entry per micro-operation, got ${show(output)}`;
  if (output.length !== ops.length) return `output has ${output.length} entries for ${ops.length} micro-operations`;
  for (let i = 0; i < output.length; i++) {
    const value: unknown = output[i];
    if (value === undefined) continue;
    const problem = registerValueProblem(value, `output[${i}]`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function stateOf(values: ReadonlyMap<MultiRegisterKey, RegisterValue>): MultiRegisterState {
  const entries = [...values].map(([k, v]) => `${typeof k === 'number' ? valueKey(k) : JSON.stringify(k)}=${valueKey(v)}`).sort();
  return Object.freeze({ values, key: entries.join(',') });
}

/** Options of {@link createMultiRegisterModel}. */
export interface MultiRegisterModelOptions {
  /** Initial values of registers (every other one starts absent, `null`), e.g. `{ x: 0, y: 0 }`. */
  initial?: ReadonlyMap<MultiRegisterKey, RegisterValue> | Readonly<Record<string, RegisterValue>>;
}

function initialValues(options: MultiRegisterModelOptions): Map<MultiRegisterKey, RegisterValue> {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`options must be an object, got ${options === null ? 'null' : typeof options}`);
  const initial: unknown = options.initial;
  const values = new Map<MultiRegisterKey, RegisterValue>();
  if (initial === undefined) return values;
  let entries: [unknown, unknown][];
  if (initial instanceof Map) entries = [...initial];
  else if (isRecord(initial)) entries = Object.entries(initial);
  else throw new InvalidArgumentError(`options.initial must be a Map or an object of register values, got ${show(initial)}`);
  for (const [key, value] of entries) {
    const problem = keyProblem(key, 'a key of options.initial') ?? registerValueProblem(value, `options.initial[${show(key)}]`);
    if (problem !== undefined) throw new InvalidArgumentError(problem);
    if (value !== null) values.set(key as MultiRegisterKey, value as RegisterValue);
  }
  return values;
}

function describeKey(key: MultiRegisterKey): string {
  return typeof key === 'number' ? String(key) : key;
}

/**
 * Registers read and written together in transactions, as Knossos's `multi-register`: a
 * transaction's micro-operations apply in order (a read after a write in the same
 * transaction sees it), and the transaction is possible when every read returned the value
 * its register held at that point. Registers start at `options.initial`, or absent (`null`).
 *
 * Knossos counts a `nil` read as unknown; here an unknown read is `undefined` and `null` means
 * "absent", as in the register models. Writing `null` makes a register absent.
 *
 * @example
 * ```ts
 * import { check, createMultiRegisterModel } from '@lattice/linearizability';
 *
 * const model = createMultiRegisterModel({ initial: { x: 0, y: 0 } });
 * const swapped = { op: 'txn', ops: [{ f: 'write', key: 'x', value: 1 }, { f: 'write', key: 'y', value: 1 }] } as const;
 * const read = { op: 'txn', ops: [{ f: 'read', key: 'x' }, { f: 'read', key: 'y' }] } as const;
 * check(model, [
 *   { process: 0, call: 0, return: 3, input: swapped, output: undefined },
 *   { process: 1, call: 1, return: 2, input: read, output: [1, 0] },
 * ]).verdict; // 'not linearizable': the transaction was seen half done
 * ```
 */
export function createMultiRegisterModel(options: MultiRegisterModelOptions = {}): Model<MultiRegisterState, MultiRegisterInput, MultiRegisterOutput> {
  const initial = stateOf(initialValues(options));
  return {
    validateOperation: multiRegisterOperationProblem,
    init: () => initial,
    step(state, input, output) {
      let values: Map<MultiRegisterKey, RegisterValue> | undefined;
      const current = (key: MultiRegisterKey): RegisterValue => (values ?? state.values).get(key) ?? null;
      for (let i = 0; i < input.ops.length; i++) {
        const micro = input.ops[i]!;
        if (micro.f === 'read') {
          const seen = output?.[i];
          if (seen !== undefined && !sameValue(seen, current(micro.key))) return { ok: false, state };
          continue;
        }
        values ??= new Map(state.values);
        if (micro.value === null) values.delete(micro.key);
        else values.set(micro.key, micro.value);
      }
      return { ok: true, state: values === undefined ? state : stateOf(values) };
    },
    isReadOnly: (input) => input.ops.every((micro) => micro.f === 'read'),
    mayBecomePossible(state, input, output, writers) {
      if (output === undefined) return true;
      // A read-only transaction is impossible because some read differs; each such register
      // needs a remaining transaction that writes the value read.
      for (let i = 0; i < input.ops.length; i++) {
        const micro = input.ops[i]!;
        const seen = output[i];
        if (seen === undefined || sameValue(seen, state.values.get(micro.key) ?? null)) continue;
        const writable = writers.some((w) => w.ops.some((m) => m.f === 'write' && m.key === micro.key && sameValue(m.value, seen)));
        if (!writable) return false;
      }
      return true;
    },
    equal: (a, b) => a.key === b.key,
    hash: (state) => state.key,
    describeOperation(input, output) {
      const parts = input.ops.map((micro, i) => {
        if (micro.f === 'write') return `w ${describeKey(micro.key)} ${describeValue(micro.value)}`;
        const seen = output?.[i];
        return `r ${describeKey(micro.key)} ${seen === undefined ? '?' : describeValue(seen)}`;
      });
      return `txn [${parts.join(', ')}]`;
    },
    describeState(state) {
      const entries = [...state.values].map(([k, v]) => `${describeKey(k)}: ${describeValue(v)}`).sort();
      return `{${entries.join(', ')}}`;
    },
  };
}

/**
 * The multi-register with every register starting absent (`null`); see
 * {@link createMultiRegisterModel}. Input `{ op: 'txn', ops: [{ f: 'read', key }, { f: 'write', key, value }] }`,
 * output the value of each micro-operation (reads: what they returned).
 *
 * @example
 * ```ts
 * import { check, multiRegisterModel } from '@lattice/linearizability';
 *
 * check(multiRegisterModel, [
 *   { process: 0, call: 0, return: 1, input: { op: 'txn', ops: [{ f: 'write', key: 'x', value: 1 }] }, output: undefined },
 *   { process: 1, call: 2, return: 3, input: { op: 'txn', ops: [{ f: 'read', key: 'x' }, { f: 'read', key: 'y' }] }, output: [1, null] },
 * ]).verdict; // 'linearizable'
 * ```
 */
export const multiRegisterModel: Model<MultiRegisterState, MultiRegisterInput, MultiRegisterOutput> = createMultiRegisterModel();
