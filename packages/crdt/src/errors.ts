import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/**
 * Thrown when encoded CRDT bytes or JSON carry a format version newer than this build reads.
 * The replica the bytes were meant for is left untouched.
 */
export class UnsupportedFormatVersionError extends LatticeError {
  static readonly code = 'ERR_UNSUPPORTED_VERSION';
  override readonly name = 'UnsupportedFormatVersionError';
  /** The version found in the input. */
  readonly version: number;
  /** The newest version this build understands. */
  readonly supported: number;
  constructor(version: number, supported: number, options?: LatticeErrorOptions) {
    super(UnsupportedFormatVersionError.code, `Encoded CRDT format version ${version} is newer than the supported version ${supported}`, options);
    this.version = version;
    this.supported = supported;
  }
}

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
