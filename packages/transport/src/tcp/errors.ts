import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/** Reported when a connection carries bytes that are not a valid frame: garbage, an oversize length, an unknown type, or a stream that ends mid-frame. The connection is closed. */
export class FrameError extends LatticeError {
  static readonly code = 'ERR_FRAME';
  override readonly name = 'FrameError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(FrameError.code, message, options);
  }
}

/** Reported when a peer fails the handshake: wrong cluster secret, unexpected node id, protocol violation or timeout. The connection is closed. */
export class HandshakeError extends LatticeError {
  static readonly code = 'ERR_HANDSHAKE';
  override readonly name = 'HandshakeError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(HandshakeError.code, message, options);
  }
}

/**
 * Thrown by `send` (overflow policy `"reject"`) or reported (policy `"drop-oldest"`) when a
 * peer's send queue of outbound messages is full (the connection is slow or down). Distinct from
 * the rate limiter's `QueueFullError`, which counts callers waiting for permits on a key: this
 * one names the `peer`, and the message was not sent.
 */
export class SendQueueFullError extends LatticeError {
  static readonly code = 'ERR_SEND_QUEUE_FULL';
  override readonly name = 'SendQueueFullError';
  /** The peer whose queue is full. */
  readonly peer: string;
  constructor(peer: string, limit: number, options?: LatticeErrorOptions) {
    super(SendQueueFullError.code, `Send queue to "${peer}" is full (${limit} messages)`, options);
    this.peer = peer;
  }
}

/** Reported when a connection to a peer fails or drops; the transport reconnects with backoff. */
export class ConnectionError extends LatticeError {
  static readonly code = 'ERR_CONNECTION';
  override readonly name = 'ConnectionError';
  /** The peer the connection was for. */
  readonly peer: string;
  constructor(peer: string, message: string, options?: LatticeErrorOptions) {
    super(ConnectionError.code, message, options);
    this.peer = peer;
  }
}
