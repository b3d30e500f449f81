import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/** Thrown when a cost, penalty or reward is not a positive safe integer (zero and negative costs included). */
export class InvalidCostError extends LatticeError {
  static readonly code = 'ERR_INVALID_COST';
  override readonly name = 'InvalidCostError';
  /** The rejected value. */
  readonly cost: number;
  constructor(cost: number, options?: LatticeErrorOptions) {
    super(InvalidCostError.code, `Cost must be a positive safe integer, got ${String(cost)}`, options);
    this.cost = cost;
  }
}

/**
 * Thrown when a single request costs more than the limit can ever hold (a bucket's capacity, a
 * window's limit): such a request could never be admitted, so it is refused up front instead of
 * being queued or retried forever.
 */
export class CostExceedsLimitError extends LatticeError {
  static readonly code = 'ERR_COST_EXCEEDS_LIMIT';
  override readonly name = 'CostExceedsLimitError';
  /** The requested cost. */
  readonly cost: number;
  /** The limit it exceeds. */
  readonly limit: number;
  constructor(cost: number, limit: number, options?: LatticeErrorOptions) {
    super(CostExceedsLimitError.code, `A cost of ${cost} can never be admitted by a limit of ${limit}`, options);
    this.cost = cost;
    this.limit = limit;
  }
}

/**
 * Thrown by `waitFor`/`acquire` when the key's wait queue already holds its maximum number of
 * waiters (`maxQueue`): callers waiting for permits, not messages. Distinct from the TCP
 * transport's `SendQueueFullError`, which is about outbound messages to one peer; this one means
 * "too many callers are waiting on this key", and the caller should shed load, not retry a send.
 */
export class QueueFullError extends LatticeError {
  static readonly code = 'ERR_QUEUE_FULL';
  override readonly name = 'QueueFullError';
  /** The key whose queue is full. */
  readonly key: string;
  constructor(key: string, maxQueue: number, options?: LatticeErrorOptions) {
    super(QueueFullError.code, `The wait queue of key "${key}" is full (${maxQueue} waiters)`, options);
    this.key = key;
  }
}

/**
 * Thrown (or reported to `onError`, depending on the failure policy) when a store cannot give a
 * decision: the Redis command failed, the connection is down, or it exceeded its timeout. The
 * underlying error (a client error or a core `TimeoutError`) is the `cause`.
 */
export class StoreUnavailableError extends LatticeError {
  static readonly code = 'ERR_STORE_UNAVAILABLE';
  override readonly name = 'StoreUnavailableError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(StoreUnavailableError.code, message, options);
  }
}

/** Thrown when a store returns a reply this package cannot interpret (a different script under the same SHA, a proxy). */
export class StoreReplyError extends LatticeError {
  static readonly code = 'ERR_STORE_REPLY';
  override readonly name = 'StoreReplyError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(StoreReplyError.code, message, options);
  }
}
