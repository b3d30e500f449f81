import type { Model, Operation } from '../types.js';

/**
 * Input of {@link kvModel}: `get` a key, `put` a value (replace), or `append` a string to the
 * key's value. Every key starts as the empty string.
 */
export type KvInput = { op: 'get'; key: string } | { op: 'put'; key: string; value: string } | { op: 'append'; key: string; value: string };

/** Output of {@link kvModel}: the string a `get` returned (ignored for put and append). */
export type KvOutput = string;

/**
 * State of {@link kvModel}: key -> value, with empty values left out (so equal stores have
 * equal states). Treated as immutable.
 */
export type KvState = ReadonlyMap<string, string>;

const EMPTY: KvState = new Map();

function kvHash(state: KvState): string | number {
  if (state.size === 0) return 0;
  if (state.size === 1) {
    const [key, value] = state.entries().next().value as [string, string];
    return `${key.length}:${key}${value}`;
  }
  const keys = [...state.keys()].sort();
  let text = '';
  for (const key of keys) {
    const value = state.get(key)!;
    text += `${key.length}:${key}${value.length}:${value}`;
  }
  return text;
}

function kvEqual(a: KvState, b: KvState): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}

function withValue(state: KvState, key: string, value: string): KvState {
  const copy = new Map(state);
  if (value === '') copy.delete(key);
  else copy.set(key, value);
  return copy;
}

/** Partitions a key-value history by key: operations on different keys are independent. */
export function partitionByKey<O>(history: readonly Operation<KvInput, O>[]): Operation<KvInput, O>[][] {
  const byKey = new Map<string, Operation<KvInput, O>[]>();
  for (const op of history) {
    const list = byKey.get(op.input.key);
    if (list) list.push(op);
    else byKey.set(op.input.key, [op]);
  }
  return [...byKey.values()];
}

/**
 * A key-value store of strings, every key starting as `''`: `get` (output: the value),
 * `put` (replace) and `append` (concatenate). Partitions histories by key.
 *
 * @example
 * ```ts
 * import { check, kvModel } from '@lattice/linearizability';
 *
 * check(kvModel, [
 *   { process: 0, call: 0, return: 2, input: { op: 'append', key: 'a', value: 'x' }, output: undefined },
 *   { process: 1, call: 1, return: 3, input: { op: 'append', key: 'a', value: 'y' }, output: undefined },
 *   { process: 2, call: 4, return: 5, input: { op: 'get', key: 'a' }, output: 'yx' },
 * ]).verdict; // 'linearizable'
 * ```
 */
export const kvModel: Model<KvState, KvInput, KvOutput> = {
  init: () => EMPTY,
  step(state, input, output) {
    const current = state.get(input.key) ?? '';
    switch (input.op) {
      case 'get':
        return { ok: output === undefined || output === current, state };
      case 'put':
        return { ok: true, state: current === input.value ? state : withValue(state, input.key, input.value) };
      case 'append':
        return { ok: true, state: input.value === '' ? state : withValue(state, input.key, current + input.value) };
    }
  },
  isReadOnly: (input) => input.op === 'get' || (input.op === 'append' && input.value === ''),
  equal: kvEqual,
  hash: kvHash,
  partition: partitionByKey,
  describeOperation(input, output) {
    switch (input.op) {
      case 'get':
        return `get(${JSON.stringify(input.key)}) -> ${output === undefined ? '?' : JSON.stringify(output)}`;
      case 'put':
        return `put(${JSON.stringify(input.key)}, ${JSON.stringify(input.value)})`;
      case 'append':
        return `append(${JSON.stringify(input.key)}, ${JSON.stringify(input.value)})`;
    }
  },
  describeState(state) {
    if (state.size === 0) return '{} (every key empty)';
    const keys = [...state.keys()].sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}: ${JSON.stringify(state.get(k))}`).join(', ')}}`;
  },
};
