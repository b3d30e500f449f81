/**
 * Marks every Lattice error, so errors can be recognised across two installed copies of a
 * package, where `instanceof` fails.
 */
export const LATTICE_ERROR: unique symbol = Symbol.for('@lattice/error') as never;

/** Options every Lattice error accepts. */
export interface LatticeErrorOptions {
  /** The underlying error, kept so nothing is lost. */
  cause?: unknown;
}

/**
 * Base class of every error Lattice throws or reports.
 *
 * Convention: one subclass per condition, each with a stable `code` (`ERR_` + SCREAMING_CASE)
 * and a `name` equal to the class name. Match on `code` (or use {@link isLatticeError}),
 * never on `instanceof` or the message text.
 *
 * @example
 * ```ts
 * try { await endpoint.send('b', bytes); }
 * catch (err) { if (isLatticeError(err, 'ERR_MESSAGE_TOO_LARGE')) split(bytes); else throw err; }
 * ```
 */
export class LatticeError extends Error {
  /** Stable, machine-readable error code. */
  readonly code: string;
  readonly [LATTICE_ERROR] = true as const;

  constructor(code: string, message: string, options?: LatticeErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * True when `value` is a Lattice error (from any installed copy), optionally with `code`.
 */
export function isLatticeError(value: unknown, code?: string): value is LatticeError {
  if (typeof value !== 'object' || value === null) return false;
  if ((value as Record<symbol, unknown>)[LATTICE_ERROR] !== true) return false;
  return code === undefined || (value as LatticeError).code === code;
}

/** Thrown when an argument is out of range, of the wrong type or otherwise invalid. */
export class InvalidArgumentError extends LatticeError {
  constructor(message: string, options?: LatticeErrorOptions) {
    super('ERR_INVALID_ARGUMENT', message, options);
  }
}

/** Thrown when an operation is cancelled through its `AbortSignal`; `cause` is the signal's reason. */
export class AbortError extends LatticeError {
  constructor(message = 'The operation was aborted', options?: LatticeErrorOptions) {
    super('ERR_ABORTED', message, options);
  }
}

/** Thrown when an operation did not finish within its time budget. */
export class TimeoutError extends LatticeError {
  constructor(message: string, options?: LatticeErrorOptions) {
    super('ERR_TIMEOUT', message, options);
  }
}

/** Thrown when an object is used after `close()`. */
export class ClosedError extends LatticeError {
  constructor(message: string, options?: LatticeErrorOptions) {
    super('ERR_CLOSED', message, options);
  }
}

/** Thrown when bytes cannot be decoded: malformed, truncated, or of an unsupported format version. */
export class DecodeError extends LatticeError {
  constructor(message: string, options?: LatticeErrorOptions) {
    super('ERR_DECODE', message, options);
  }
}

/** Thrown when a message exceeds the transport's maximum message size. */
export class MessageTooLargeError extends LatticeError {
  /** Size of the rejected message, in bytes. */
  readonly size: number;
  /** The limit it exceeded, in bytes. */
  readonly limit: number;
  constructor(size: number, limit: number, options?: LatticeErrorOptions) {
    super('ERR_MESSAGE_TOO_LARGE', `Message of ${size} bytes exceeds the limit of ${limit} bytes`, options);
    this.size = size;
    this.limit = limit;
  }
}

/** Thrown when a transport has no route or address for the destination node id. */
export class UnknownPeerError extends LatticeError {
  /** The node id that could not be resolved. */
  readonly peer: string;
  constructor(peer: string, options?: LatticeErrorOptions) {
    super('ERR_UNKNOWN_PEER', `No route to unknown peer "${peer}"`, options);
    this.peer = peer;
  }
}

/** Thrown when a node id is opened twice on the same transport. */
export class DuplicateNodeError extends LatticeError {
  /** The node id that is already open. */
  readonly node: string;
  constructor(node: string, options?: LatticeErrorOptions) {
    super('ERR_DUPLICATE_NODE', `Node "${node}" is already open on this transport`, options);
    this.node = node;
  }
}

/** Reported (never thrown into the caller) when a user-supplied handler throws. */
export class HandlerError extends LatticeError {
  constructor(message: string, options?: LatticeErrorOptions) {
    super('ERR_HANDLER', message, options);
  }
}
