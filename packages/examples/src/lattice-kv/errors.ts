import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/** Thrown when a client sends bytes that are not a RESP request (or a request over the size limits). */
export class RespProtocolError extends LatticeError {
  static readonly code = 'ERR_RESP_PROTOCOL';
  override readonly name = 'RespProtocolError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(RespProtocolError.code, message, options);
  }
}

/** Thrown when a lattice-kv state machine meets a log entry that is not one of its commands. */
export class KvCommandDecodeError extends LatticeError {
  static readonly code = 'ERR_KV_COMMAND_DECODE';
  override readonly name = 'KvCommandDecodeError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(KvCommandDecodeError.code, message, options);
  }
}
