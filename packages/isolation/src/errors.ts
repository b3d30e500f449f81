import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/**
 * Thrown when a transactional history cannot be used: malformed JSON or EDN, a transaction
 * without a process or with an unknown type, a micro-operation of the wrong shape or of the
 * wrong model. The message starts with `source:` and names where in the input it went wrong.
 */
export class MalformedHistoryError extends LatticeError {
  static readonly code = 'ERR_MALFORMED_HISTORY';
  override readonly name = 'MalformedHistoryError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(MalformedHistoryError.code, message, options);
  }
}

/** Thrown when check or workload options are out of range (an unknown model, a negative size). */
export class InvalidCheckOptionsError extends LatticeError {
  static readonly code = 'ERR_INVALID_CHECK_OPTIONS';
  override readonly name = 'InvalidCheckOptionsError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(InvalidCheckOptionsError.code, message, options);
  }
}
