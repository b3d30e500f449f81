import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/**
 * Thrown when a proposal cannot be accepted now: there is no leader, this node may not forward,
 * a leadership transfer is under way, or the uncommitted log is at its size limit. Retry later
 * or at the leader.
 */
export class ProposalDroppedError extends LatticeError {
  static readonly code = 'ERR_PROPOSAL_DROPPED';
  override readonly name = 'ProposalDroppedError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(ProposalDroppedError.code, message, options);
  }
}

/** Thrown when an operation needs the leader and this node is not it; `leader` is the known leader, if any. */
export class NotLeaderError extends LatticeError {
  static readonly code = 'ERR_NOT_LEADER';
  override readonly name = 'NotLeaderError';
  readonly leader: string;
  constructor(leader: string, options?: LatticeErrorOptions) {
    super(NotLeaderError.code, leader === '' ? 'This node is not the leader, and no leader is known' : `This node is not the leader; the leader is "${leader}"`, options);
    this.leader = leader;
  }
}

/** Thrown when a membership change is invalid (removes the last voter, leaves a joint configuration that is not joint, …) or another is still pending. */
export class ConfChangeError extends LatticeError {
  static readonly code = 'ERR_CONF_CHANGE';
  override readonly name = 'ConfChangeError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(ConfChangeError.code, message, options);
  }
}

/** Thrown when a linearizable read could not be confirmed (no leader, or leadership was lost while it waited); retry it. */
export class ReadDroppedError extends LatticeError {
  static readonly code = 'ERR_READ_DROPPED';
  override readonly name = 'ReadDroppedError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(ReadDroppedError.code, message, options);
  }
}
