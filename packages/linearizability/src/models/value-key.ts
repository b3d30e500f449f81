import { canonicalKey } from '../state-key.js';
import type { RegisterValue } from './register.js';

/**
 * Canonical text of a register value, for the hashes of collection states: values a read cannot
 * tell apart (`0` and `-0`, two NaNs) get one key, values of different types (`1`, `"1"`, `1n`)
 * different ones.
 */
export function valueKey(value: RegisterValue): string {
  return value === 0 ? '0' : canonicalKey(value);
}

/** Keys of `values`, sorted: two collections hold the same members exactly when these match. */
export function sortedKeys(values: readonly RegisterValue[]): string[] {
  return values.map(valueKey).sort();
}
