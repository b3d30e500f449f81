import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/** Reported when a page sends the relay something that is not a valid message; it changes nothing. */
export class EditorProtocolError extends LatticeError {
  static readonly code = 'ERR_EDITOR_PROTOCOL';
  override readonly name = 'EditorProtocolError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(EditorProtocolError.code, message, options);
  }
}

/** Thrown when a document's log on disk cannot be read back into a document. */
export class EditorStorageError extends LatticeError {
  static readonly code = 'ERR_EDITOR_STORAGE';
  override readonly name = 'EditorStorageError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(EditorStorageError.code, message, options);
  }
}
