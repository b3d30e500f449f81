import { describe, expect, it } from 'vitest';
import { canonicalKey, deepEqual, plainKey } from '../src/state-key.js';

describe('state keys', () => {
  it('are equal for structurally equal plain data, whatever the key or entry order', () => {
    expect(canonicalKey({ a: 1, b: [2, 'x'] })).toBe(canonicalKey({ b: [2, 'x'], a: 1 }));
    expect(canonicalKey(new Map([[1, 'a'], [2, 'b']]))).toBe(canonicalKey(new Map([[2, 'b'], [1, 'a']])));
    expect(canonicalKey(new Set([1, 2]))).toBe(canonicalKey(new Set([2, 1])));
    expect(deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(deepEqual(new Map([['k', new Set([1])]]), new Map([['k', new Set([1])]]))).toBe(true);
  });

  it('tell apart values of different types or shapes', () => {
    const values = [1, '1', 1n, true, 'true', null, undefined, 'null', [1], { 0: 1 }, new Set([1]), new Map([[1, 1]]), -0, 0, ''];
    const keys = values.map(canonicalKey);
    expect(new Set(keys).size).toBe(values.length);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
  });

  it('never equate class instances by their visible fields', () => {
    class Secret {
      readonly #value: number;
      constructor(value: number) {
        this.#value = value;
      }
      get value(): number {
        return this.#value;
      }
    }
    const a = new Secret(1);
    expect(deepEqual(a, new Secret(2))).toBe(false);
    expect(deepEqual(a, a)).toBe(true);
    expect(plainKey(a)).toBeUndefined();
    expect(plainKey({ op: 'write', value: [1] })).toBe(canonicalKey({ value: [1], op: 'write' }));
  });
});
