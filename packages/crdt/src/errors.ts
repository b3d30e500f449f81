import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/** Thrown when a decoded state or delta is of a different CRDT type than the replica it is joined into. */
export class CrdtTypeMismatchError extends LatticeError {
  static readonly code = 'ERR_CRDT_TYPE_MISMATCH';
  override readonly name = 'CrdtTypeMismatchError';
  constructor(expected: string, actual: string, options?: LatticeErrorOptions) {
    super(CrdtTypeMismatchError.code, `Expected a ${expected} state, got ${actual}`, options);
  }
}

/** Thrown when a mutator is called on a state that has no node id (a decoded state or a delta). */
export class ReadOnlyReplicaError extends LatticeError {
  static readonly code = 'ERR_READ_ONLY_REPLICA';
  override readonly name = 'ReadOnlyReplicaError';
  constructor(operation: string, options?: LatticeErrorOptions) {
    super(ReadOnlyReplicaError.code, `${operation} needs a replica created with a node id; decoded states and deltas are read-only`, options);
  }
}

/**
 * Thrown when a register or map value nests arrays and objects deeper than `MAX_VALUE_DEPTH`,
 * whether written locally or decoded from a peer (a decoded one is refused before it reaches a
 * replica, so no replica ever holds a value it could not encode again).
 */
export class ValueTooDeepError extends LatticeError {
  static readonly code = 'ERR_VALUE_TOO_DEEP';
  override readonly name = 'ValueTooDeepError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(ValueTooDeepError.code, message, options);
  }
}

/**
 * Thrown when a register or map value takes more than `MAX_VALUE_BYTES` of UTF-8 JSON, whether
 * written locally or decoded from a peer.
 */
export class ValueTooLargeError extends LatticeError {
  static readonly code = 'ERR_VALUE_TOO_LARGE';
  override readonly name = 'ValueTooLargeError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(ValueTooLargeError.code, message, options);
  }
}

/** Thrown when an increment or a new dot would take a counter past `Number.MAX_SAFE_INTEGER`: `@lattice/clocks`' class (its `DotContext` throws it too). */
export { CounterOverflowError } from '@lattice/clocks';

/**
 * Thrown (and reported by `CrdtSync`) when a state or delta cannot be encoded; `cause` is the
 * underlying failure. States built through this package's mutators and decoders always encode.
 */
export class CrdtEncodeError extends LatticeError {
  static readonly code = 'ERR_CRDT_ENCODE';
  override readonly name = 'CrdtEncodeError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(CrdtEncodeError.code, message, options);
  }
}
