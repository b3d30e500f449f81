import { describeValue, InvalidArgumentError, isLatticeError } from '@lattice/core';

/**
 * Runs `write` on a caller's message or record. A value that is not an object of one of
 * `types`, or one whose fields cannot be written, is an `InvalidArgumentError` saying so, not a
 * `TypeError` from inside the writer. Costs one type lookup on the way (no copy, no closure).
 */
export function encodeChecked<T extends { readonly type: string }>(what: string, types: readonly string[], value: T, write: (value: T) => Uint8Array): Uint8Array {
  if (typeof value !== 'object' || value === null || !types.includes(value.type)) {
    throw new InvalidArgumentError(`${what} needs a value of type ${types.join(', ')}, got ${describeValue(value)}`);
  }
  try {
    return write(value);
  } catch (error) {
    if (isLatticeError(error)) throw error;
    throw new InvalidArgumentError(`${what}: the ${value.type} cannot be encoded (a field is missing or of the wrong type): ${(error as Error).message}`, { cause: error });
  }
}
