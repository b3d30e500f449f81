import { LatticeError, type LatticeErrorOptions } from '../errors.js';

/**
 * Thrown by a protocol core's `step` when a peer's message breaks the protocol (a forged term,
 * an index out of range, a field of the wrong type); the core's state is left untouched, and
 * the driver reports it as an `error` event.
 */
export class ProtocolViolationError extends LatticeError {
  static readonly code = 'ERR_PROTOCOL_VIOLATION';
  override readonly name = 'ProtocolViolationError';
  /** The peer the message came from, when known. */
  readonly peer: string | undefined;
  constructor(message: string, options?: LatticeErrorOptions & { peer?: string }) {
    super(ProtocolViolationError.code, message, options);
    this.peer = options?.peer;
  }
}

/**
 * Reported when a driver stopped its node because it can no longer be trusted to keep the
 * protocol's promises: durable storage failed (nothing that depended on it was sent), or the core
 * threw something other than a typed error. `cause` holds the original failure.
 */
export class NodeStoppedError extends LatticeError {
  static readonly code = 'ERR_NODE_STOPPED';
  override readonly name = 'NodeStoppedError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(NodeStoppedError.code, message, options);
  }
}

/**
 * Thrown by a protocol core when one of its own invariants would break (a bug, never a peer's
 * bad input): unlike other typed errors, the driver then stops the node (reporting a
 * `NodeStoppedError` whose `cause` is this error) instead of reporting it and carrying on.
 */
export class InvariantViolationError extends LatticeError {
  static readonly code = 'ERR_INVARIANT_VIOLATION';
  override readonly name = 'InvariantViolationError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(InvariantViolationError.code, message, options);
  }
}
