import { InvalidArgumentError } from '@lattice/core';
import type { Model, Operation } from '../types.js';
import { kvOperationProblem } from './operation-shapes.js';

/**
 * Input of {@link kvModel}: `get` a key, `put` a value (replace), or `append` a string to the
 * key's value. Every key starts as the empty string.
 */
export type KvInput = { op: 'get'; key: string } | { op: 'put'; key: string; value: string } | { op: 'append'; key: string; value: string };

/** Output of {@link kvModel}: the string a `get` returned (ignored for put and append). */
export type KvOutput = string;

/** Polynomial string hash (mod 2^32). */
const BASE = 0x01000193;

function stringHash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, BASE) + text.charCodeAt(i)) | 0;
  return h;
}

/** BASE to the power `exponent`, mod 2^32: what appending that many characters multiplies by. */
function basePower(exponent: number): number {
  let result = 1;
  let base = BASE;
  let e = exponent;
  while (e > 0) {
    if (e & 1) result = Math.imul(result, base);
    base = Math.imul(base, base);
    e >>>= 1;
  }
  return result;
}

function mixEntry(keyHash: number, valueHash: number): number {
  let h = (keyHash ^ Math.imul(valueHash, 0x9e3779b1)) | 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h;
}

/**
 * State of {@link kvModel}: an immutable map of key -> value, where a key never written holds
 * the empty string. It carries a hash maintained incrementally (an append does not rehash the
 * whole value), so the checker compares states cheaply. Keys are kept sorted in small arrays:
 * a checker partitioned by key sees one key a state.
 */
export class KvState {
  /** The empty store: every key holds `''`. */
  static readonly empty: KvState = new KvState([], [], [], 0);

  readonly #keys: readonly string[];
  readonly #values: readonly string[];
  readonly #hashes: readonly number[];
  /** A hash of the contents: equal stores have equal hashes. */
  readonly hash: number;

  private constructor(keys: readonly string[], values: readonly string[], hashes: readonly number[], hash: number) {
    this.#keys = keys;
    this.#values = values;
    this.#hashes = hashes;
    this.hash = hash;
  }

  #indexOf(key: string): number {
    const keys = this.#keys;
    if (keys.length === 1) return keys[0] === key ? 0 : -1;
    let low = 0;
    let high = keys.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (keys[mid]! < key) low = mid + 1;
      else high = mid;
    }
    return low < keys.length && keys[low] === key ? low : -1;
  }

  /** The value of `key` (`''` when never written). */
  get(key: string): string {
    if (typeof key !== 'string') throw new InvalidArgumentError(`a key must be a string, got ${typeof key}`);
    const at = this.#indexOf(key);
    return at < 0 ? '' : this.#values[at]!;
  }

  /** Number of keys holding a non-empty value. */
  get size(): number {
    return this.#keys.length;
  }

  /** The keys holding a non-empty value, sorted. */
  keys(): string[] {
    return [...this.#keys];
  }

  /** A store equal to this one except that `key` holds `value`. */
  set(key: string, value: string): KvState {
    if (typeof value !== 'string') throw new InvalidArgumentError(`a value must be a string, got ${typeof value}`);
    if (this.get(key) === value) return this;
    return this.#with(key, value, stringHash(value));
  }

  /** A store equal to this one except that `suffix` is appended to the value of `key`. */
  append(key: string, suffix: string): KvState {
    if (typeof key !== 'string' || typeof suffix !== 'string') throw new InvalidArgumentError('append takes a string key and a string suffix');
    if (suffix === '') return this;
    const at = this.#indexOf(key);
    if (at < 0) return this.#with(key, suffix, stringHash(suffix));
    const hash = (Math.imul(this.#hashes[at]!, basePower(suffix.length)) + stringHash(suffix)) | 0;
    return this.#with(key, this.#values[at]! + suffix, hash);
  }

  #with(key: string, value: string, valueHash: number): KvState {
    const at = this.#indexOf(key);
    const keyHash = stringHash(key);
    let hash = this.hash;
    const keys = this.#keys.slice();
    const values = this.#values.slice();
    const hashes = this.#hashes.slice();
    if (at >= 0) {
      hash = (hash - mixEntry(keyHash, hashes[at]!)) | 0;
      if (value === '') {
        keys.splice(at, 1);
        values.splice(at, 1);
        hashes.splice(at, 1);
      } else {
        values[at] = value;
        hashes[at] = valueHash;
      }
    } else if (value !== '') {
      let insert = 0;
      while (insert < keys.length && keys[insert]! < key) insert++;
      keys.splice(insert, 0, key);
      values.splice(insert, 0, value);
      hashes.splice(insert, 0, valueHash);
    }
    if (value !== '') hash = (hash + mixEntry(keyHash, valueHash)) | 0;
    return new KvState(keys, values, hashes, hash);
  }

  /** True when both stores hold the same values. */
  equals(other: KvState): boolean {
    if (this === other) return true;
    if (!(other instanceof KvState)) return false;
    if (this.hash !== other.hash || this.#keys.length !== other.#keys.length) return false;
    for (let i = 0; i < this.#keys.length; i++) {
      if (this.#keys[i] !== other.#keys[i] || this.#hashes[i] !== other.#hashes[i] || this.#values[i] !== other.#values[i]) return false;
    }
    return true;
  }

  /** The non-empty entries as a plain object with sorted keys. */
  toJSON(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const key of this.keys()) out[key] = this.get(key);
    return out;
  }
}

/** Partitions a key-value history by key: operations on different keys are independent. */
export function partitionByKey<O>(history: readonly Operation<KvInput, O>[]): Operation<KvInput, O>[][] {
  if (!Array.isArray(history)) throw new InvalidArgumentError('history must be an array of operations');
  const byKey = new Map<string, Operation<KvInput, O>[]>();
  for (let i = 0; i < history.length; i++) {
    const op = history[i]!;
    const key: unknown = typeof op === 'object' && op !== null && typeof op.input === 'object' && op.input !== null ? op.input.key : undefined;
    if (typeof key !== 'string') throw new InvalidArgumentError(`history[${i}] is not a key-value operation with a string input.key`);
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
  init: () => KvState.empty,
  validateOperation: kvOperationProblem,
  step(state, input, output) {
    switch (input.op) {
      case 'get':
        return { ok: output === undefined || output === state.get(input.key), state };
      case 'put':
        return { ok: true, state: state.set(input.key, input.value) };
      case 'append':
        return { ok: true, state: state.append(input.key, input.value) };
    }
  },
  isReadOnly: (input) => input.op === 'get' || (input.op === 'append' && input.value === ''),
  equal: (a, b) => a.equals(b),
  hash: (state) => state.hash,
  mayBecomePossible(state, input, output, writers) {
    if (input.op !== 'get' || output === undefined) return true;
    // The value read must be the current value, or the value of a put that may still come,
    // followed by appends that may still come (appends only extend a value).
    let appendable = 0;
    for (const w of writers) if (w.op === 'append' && w.key === input.key) appendable += w.value.length;
    const current = state.get(input.key);
    if (output.length - current.length <= appendable && output.startsWith(current)) return true;
    for (const w of writers) {
      if (w.op === 'put' && w.key === input.key && output.length - w.value.length <= appendable && output.startsWith(w.value)) return true;
    }
    return false;
  },
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
    return `{${state
      .keys()
      .map((k) => `${JSON.stringify(k)}: ${JSON.stringify(state.get(k))}`)
      .join(', ')}}`;
  },
};
