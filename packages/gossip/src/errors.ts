import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/** Thrown when a member that left the cluster is asked to join again, gossip or change its metadata. */
export class MemberLeftError extends LatticeError {
  static readonly code = 'ERR_MEMBER_LEFT';
  override readonly name = 'MemberLeftError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(MemberLeftError.code, message, options);
  }
}
