import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/** Reported when a connection carries bytes that are not a valid frame: garbage, an oversize length, an unknown type, or a stream that ends mid-frame. The connection is closed. */
export class FrameError extends LatticeError {
  constructor(message: string, options?: LatticeErrorOptions) {
    super('ERR_FRAME', message, options);
  }
}

/** Reported when a peer fails the handshake: wrong cluster secret, unexpected node id, protocol violation or timeout. The connection is closed. */
export class HandshakeError extends LatticeError {
  constructor(message: string, options?: LatticeErrorOptions) {
    super('ERR_HANDSHAKE', message, options);
  }
}

/** Thrown by `send` (overflow policy `"reject"`) or reported (policy `"drop-oldest"`) when a peer's send queue is full. */
export class SendQueueFullError extends LatticeError {
  /** The peer whose queue is full. */
  readonly peer: string;
  constructor(peer: string, limit: number, options?: LatticeErrorOptions) {
    super('ERR_SEND_QUEUE_FULL', `Send queue to "${peer}" is full (${limit} messages)`, options);
    this.peer = peer;
  }
}

/** Reported when a connection to a peer fails or drops; the transport reconnects with backoff. */
export class ConnectionError extends LatticeError {
  /** The peer the connection was for. */
  readonly peer: string;
  constructor(peer: string, message: string, options?: LatticeErrorOptions) {
    super('ERR_CONNECTION', message, options);
    this.peer = peer;
  }
}
