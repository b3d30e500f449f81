import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/** Thrown when a key is looked up on a partitioner that has no members. */
export class EmptyRingError extends LatticeError {
  static readonly code = 'ERR_EMPTY_RING';
  override readonly name = 'EmptyRingError';
  constructor(message = 'Cannot look up a key: the ring has no members', options?: LatticeErrorOptions) {
    super(EmptyRingError.code, message, options);
  }
}

/**
 * Thrown when a weight is not a finite number greater than zero, or not an integer where the
 * algorithm needs one (ketama with a C client's point counts).
 */
export class InvalidWeightError extends LatticeError {
  static readonly code = 'ERR_INVALID_WEIGHT';
  override readonly name = 'InvalidWeightError';
  /** The rejected weight. */
  readonly weight: unknown;
  constructor(node: string, weight: unknown, options?: LatticeErrorOptions & { readonly requirement?: string }) {
    super(InvalidWeightError.code, `Weight of node "${node}" must be ${options?.requirement ?? 'a finite number > 0'}, got ${String(weight)}`, options);
    this.weight = weight;
  }
}

/**
 * Thrown when more distinct nodes (or distinct failure zones) are asked for than the
 * membership has.
 */
export class NotEnoughMembersError extends LatticeError {
  static readonly code = 'ERR_NOT_ENOUGH_MEMBERS';
  override readonly name = 'NotEnoughMembersError';
  /** How many were asked for. */
  readonly requested: number;
  /** How many distinct nodes (or zones) there are. */
  readonly available: number;
  constructor(requested: number, available: number, what = 'nodes', options?: LatticeErrorOptions) {
    super(NotEnoughMembersError.code, `Asked for ${requested} distinct ${what}, but only ${available} exist`, options);
    this.requested = requested;
    this.available = available;
  }
}

/**
 * Thrown when an algorithm cannot perform a membership change by construction, such as
 * removing a node other than the last one from a jump consistent hash.
 */
export class UnsupportedOperationError extends LatticeError {
  static readonly code = 'ERR_UNSUPPORTED_OPERATION';
  override readonly name = 'UnsupportedOperationError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(UnsupportedOperationError.code, message, options);
  }
}
