import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/** Thrown when a global transaction id is not 1–200 bytes of UTF-8 text. */
export class InvalidGidError extends LatticeError {
  static readonly code = 'ERR_INVALID_GID';
  override readonly name = 'InvalidGidError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(InvalidGidError.code, message, options);
  }
}

/** Thrown when a transaction is started with a global transaction id the coordinator already knows. */
export class DuplicateTransactionError extends LatticeError {
  static readonly code = 'ERR_DUPLICATE_TRANSACTION';
  override readonly name = 'DuplicateTransactionError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(DuplicateTransactionError.code, message, options);
  }
}
