import type { Key, Value } from './types.js';

/** How a transaction is named in explanations: its index in the history. */
export function txnName(index: number): string {
  return `T${index}`;
}

export function formatValue(value: Key | Value | null): string {
  if (value === null) return 'nil';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** A list as Elle prints it; long lists keep their ends so the interesting part shows. */
export function formatList(list: readonly Value[]): string {
  if (list.length <= 8) return `[${list.map(formatValue).join(' ')}]`;
  return `[${list.slice(0, 3).map(formatValue).join(' ')} … ${list.slice(-3).map(formatValue).join(' ')}] (${list.length} elements)`;
}

/** Caps how many cases of one data anomaly type are kept; the count of the rest is kept too. */
export const MAX_CASES_PER_TYPE = 64;
