import { InvalidArgumentError } from '@lattice/core';
import { RecordTooLargeError } from './errors.js';

/** Largest index a log hands out: indexes are stored as unsigned 64-bit but must stay exact in a JS number. */
export const MAX_INDEX = Number.MAX_SAFE_INTEGER;

export function assertIndex(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${name} must be a non-negative safe integer, got ${String(value)}`);
  }
}

/** Normalises the argument of `append` to an array and checks every record. */
export function recordsOf(input: Uint8Array | readonly Uint8Array[], maxRecordSize: number): readonly Uint8Array[] {
  const records = input instanceof Uint8Array ? [input] : input;
  if (!Array.isArray(records)) throw new InvalidArgumentError('append takes a Uint8Array or an array of Uint8Array');
  for (const record of records) {
    if (!(record instanceof Uint8Array)) throw new InvalidArgumentError('every record must be a Uint8Array');
    if (record.length > maxRecordSize) throw new RecordTooLargeError(record.length, maxRecordSize);
  }
  return records;
}
