import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/** Reported when a message on a node's subject is not a Lattice frame (garbage, a truncated or forged header, an invalid sender id, an oversize payload). The message is dropped. */
export class NatsMessageError extends LatticeError {
  static readonly code = 'ERR_NATS_MESSAGE';
  override readonly name = 'NatsMessageError';
  /** The subject the message arrived on. */
  readonly subject: string;
  constructor(subject: string, message: string, options?: LatticeErrorOptions) {
    super(NatsMessageError.code, message, options);
    this.subject = subject;
  }
}

/** What happened to the NATS connection: it dropped (the client reconnects), the client reported an error, or it closed for good. */
export type NatsConnectionEvent = 'disconnect' | 'error' | 'closed';

/** Reported when the NATS connection drops (the client reconnects by itself), reports an error, or closes for good (endpoints then close); thrown by `open` when connecting fails. */
export class NatsConnectionError extends LatticeError {
  static readonly code = 'ERR_NATS_CONNECTION';
  override readonly name = 'NatsConnectionError';
  /** What happened. */
  readonly event: NatsConnectionEvent;
  constructor(event: NatsConnectionEvent, message: string, options?: LatticeErrorOptions) {
    super(NatsConnectionError.code, message, options);
    this.event = event;
  }
}

/** Thrown by `open` when the NATS client, an optional peer dependency, is not installed and no connection was passed in. */
export class NatsClientMissingError extends LatticeError {
  static readonly code = 'ERR_NATS_CLIENT_MISSING';
  override readonly name = 'NatsClientMissingError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(NatsClientMissingError.code, message, options);
  }
}
