import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/** Thrown when a saga is started with the id of another saga (a different list of steps). */
export class SagaConflictError extends LatticeError {
  static readonly code = 'ERR_SAGA_CONFLICT';
  override readonly name = 'SagaConflictError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(SagaConflictError.code, message, options);
  }
}

/** Thrown when a barrier is given a request it cannot key: an empty or too long gid or branch, or an op other than "action" or "compensate". */
export class InvalidBarrierRequestError extends LatticeError {
  static readonly code = 'ERR_INVALID_BARRIER_REQUEST';
  override readonly name = 'InvalidBarrierRequestError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(InvalidBarrierRequestError.code, message, options);
  }
}

/** Thrown when the outcome of a saga is asked for that the orchestrator's log never held. */
export class UnknownSagaError extends LatticeError {
  static readonly code = 'ERR_UNKNOWN_SAGA';
  override readonly name = 'UnknownSagaError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(UnknownSagaError.code, message, options);
  }
}

/** Thrown when `MemoryBarrier.runSync` is called for a branch whose asynchronous request has not finished. */
export class BarrierBusyError extends LatticeError {
  static readonly code = 'ERR_BARRIER_BUSY';
  override readonly name = 'BarrierBusyError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(BarrierBusyError.code, message, options);
  }
}
