import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/** Thrown when a member that left the cluster is asked to join again, gossip or change its metadata. */
export class MemberLeftError extends LatticeError {
  static readonly code = 'ERR_MEMBER_LEFT';
  override readonly name = 'MemberLeftError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(MemberLeftError.code, message, options);
  }
}

/**
 * Reported when an encrypted SWIM message opens under none of the installed keys: it was sealed
 * with a key this member does not hold, or it was altered or cut short on the way. It is dropped.
 */
export class MessageAuthenticationError extends LatticeError {
  static readonly code = 'ERR_MESSAGE_AUTHENTICATION';
  override readonly name = 'MessageAuthenticationError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(MessageAuthenticationError.code, message, options);
  }
}

/** Reported when a plaintext SWIM message reaches a member that requires encryption (`verifyIncoming`). It is dropped. */
export class UnencryptedMessageError extends LatticeError {
  static readonly code = 'ERR_UNENCRYPTED_MESSAGE';
  override readonly name = 'UnencryptedMessageError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(UnencryptedMessageError.code, message, options);
  }
}

/** Thrown when a keyring is asked to use a key it does not hold (install it first). */
export class KeyNotInstalledError extends LatticeError {
  static readonly code = 'ERR_KEY_NOT_INSTALLED';
  override readonly name = 'KeyNotInstalledError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(KeyNotInstalledError.code, message, options);
  }
}

/** Thrown when the primary key would be removed from a keyring (make another key primary first). */
export class PrimaryKeyRemovalError extends LatticeError {
  static readonly code = 'ERR_PRIMARY_KEY_REMOVAL';
  override readonly name = 'PrimaryKeyRemovalError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(PrimaryKeyRemovalError.code, message, options);
  }
}
