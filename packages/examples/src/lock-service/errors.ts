import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/** Thrown when a lock-service message (from a client, a lock node, a Redis-like node or the store) is not one of the protocol's. */
export class LockMessageError extends LatticeError {
  static readonly code = 'ERR_LOCK_MESSAGE';
  override readonly name = 'LockMessageError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(LockMessageError.code, message, options);
  }
}

/** Thrown when the lock state machine meets a log entry that is not one of its commands. */
export class LockCommandDecodeError extends LatticeError {
  static readonly code = 'ERR_LOCK_COMMAND_DECODE';
  override readonly name = 'LockCommandDecodeError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(LockCommandDecodeError.code, message, options);
  }
}
