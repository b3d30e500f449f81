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
 * exposed as a static constant, and a literal `name` equal to the class name (a literal, because
 * minifiers rename classes). Match on `code` against the static constant (or use
 * {@link isLatticeError}), never on `instanceof` or the message text.
 *
 * @example
 * ```ts
 * try { await endpoint.send('b', bytes); }
 * catch (err) { if (isLatticeError(err, MessageTooLargeError.code)) split(bytes); else throw err; }
 * ```
 */
export class LatticeError extends Error {
  /** Stable, machine-readable error code; each subclass also exposes it as a static `code`. */
  readonly code: string;
  /**
   * A literal, not `new.target.name`: minified bundles rename classes. A subclass's own
   * `name` field is initialised after this constructor returns, so it wins.
   */
  override readonly name: string = 'LatticeError';
  readonly [LATTICE_ERROR] = true as const;

  constructor(code: string, message: string, options?: LatticeErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
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
  static readonly code = 'ERR_INVALID_ARGUMENT';
  override readonly name = 'InvalidArgumentError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(InvalidArgumentError.code, message, options);
  }
}

/** Thrown when an operation is cancelled through its `AbortSignal`; `cause` is the signal's reason. */
export class AbortError extends LatticeError {
  static readonly code = 'ERR_ABORT';
  override readonly name = 'AbortError';
  constructor(message = 'The operation was aborted', options?: LatticeErrorOptions) {
    super(AbortError.code, message, options);
  }
}

/** Thrown when an operation did not finish within its time budget. */
export class TimeoutError extends LatticeError {
  static readonly code = 'ERR_TIMEOUT';
  override readonly name = 'TimeoutError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(TimeoutError.code, message, options);
  }
}

/** Thrown when an object is used after `close()`. */
export class ClosedError extends LatticeError {
  static readonly code = 'ERR_CLOSED';
  override readonly name = 'ClosedError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(ClosedError.code, message, options);
  }
}

/**
 * Thrown when bytes cannot be decoded: malformed, truncated, or not of the expected format. A
 * well-formed input of a newer format version is an {@link UnsupportedVersionError} instead,
 * because the remedy differs: upgrade this build rather than distrust the sender.
 */
export class DecodeError extends LatticeError {
  static readonly code = 'ERR_DECODE';
  override readonly name = 'DecodeError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(DecodeError.code, message, options);
  }
}

/**
 * Thrown by every Lattice decoder that reads a format version (clock encodings, CRDT states and
 * sync messages, text documents, WAL segments and metadata, Raft messages, ring snapshots, saved
 * simulation runs) when the input carries a version this build does not read, typically one
 * written by a newer release. Nothing is changed by the failed decode. Its own class and code
 * rather than a {@link DecodeError}, so a caller can tell "upgrade this build" from "the
 * sender sent garbage"; a handler meant for every undecodable input checks both codes.
 *
 * @example
 * ```ts
 * try { decode(bytes); }
 * catch (err) { if (isLatticeError(err, UnsupportedVersionError.code)) askForUpgrade(err.version); else throw err; }
 * ```
 */
export class UnsupportedVersionError extends LatticeError {
  static readonly code = 'ERR_UNSUPPORTED_VERSION';
  override readonly name = 'UnsupportedVersionError';
  /** The version found in the input. */
  readonly version: number;
  /** The newest version this build reads. */
  readonly supported: number;
  /**
   * @param what - The format, as the message names it (`'CRDT state'`, `'WAL segment'`).
   */
  constructor(version: number, supported: number, what = 'format', options?: LatticeErrorOptions) {
    super(UnsupportedVersionError.code, `${what} version ${version} is not supported: this build reads versions up to ${supported}`, options);
    this.version = version;
    this.supported = supported;
  }
}

/** Thrown when a message exceeds the transport's maximum message size. */
export class MessageTooLargeError extends LatticeError {
  static readonly code = 'ERR_MESSAGE_TOO_LARGE';
  override readonly name = 'MessageTooLargeError';
  /** Size of the rejected message, in bytes. */
  readonly size: number;
  /** The limit it exceeded, in bytes. */
  readonly limit: number;
  constructor(size: number, limit: number, options?: LatticeErrorOptions) {
    super(MessageTooLargeError.code, `Message of ${size} bytes exceeds the limit of ${limit} bytes`, options);
    this.size = size;
    this.limit = limit;
  }
}

/** Options of the node-id errors: the message names where the id was looked up. */
export interface NodeErrorOptions extends LatticeErrorOptions {
  /** Replaces the default message. */
  readonly message?: string;
}

/**
 * Thrown when a node id is not known where it is looked up: a transport has no route or
 * address for the destination, or a partitioner (`@lattice/hashring`) has no such member.
 */
export class UnknownPeerError extends LatticeError {
  static readonly code = 'ERR_UNKNOWN_PEER';
  override readonly name = 'UnknownPeerError';
  /** The node id that could not be resolved. */
  readonly peer: string;
  constructor(peer: string, options?: NodeErrorOptions) {
    super(UnknownPeerError.code, options?.message ?? `No route to unknown peer "${peer}"`, options);
    this.peer = peer;
  }
}

/**
 * Thrown when a node id that must be unique is given twice: opened twice on the same
 * transport, or added twice to a partitioner's membership (`@lattice/hashring`).
 */
export class DuplicateNodeError extends LatticeError {
  static readonly code = 'ERR_DUPLICATE_NODE';
  override readonly name = 'DuplicateNodeError';
  /** The node id that is already present. */
  readonly node: string;
  constructor(node: string, options?: NodeErrorOptions) {
    super(DuplicateNodeError.code, options?.message ?? `Node "${node}" is already open on this transport`, options);
    this.node = node;
  }
}

/** Reported (never thrown into the caller) when a user-supplied handler throws. */
export class HandlerError extends LatticeError {
  static readonly code = 'ERR_HANDLER';
  override readonly name = 'HandlerError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(HandlerError.code, message, options);
  }
}
