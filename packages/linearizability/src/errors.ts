import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/**
 * Thrown when a history file cannot be parsed: a malformed line or form, or events that do not
 * fit together (a completion without an invocation, two open operations on one process). The
 * message starts with `source:line:`.
 */
export class MalformedHistoryError extends LatticeError {
  static readonly code = 'ERR_MALFORMED_HISTORY';
  override readonly name = 'MalformedHistoryError';
  /** 1-based line number of the offending line or form. */
  readonly line: number;
  /** The name the caller gave the input (a file name), or `'<input>'`. */
  readonly source: string;
  constructor(source: string, line: number, message: string, options?: LatticeErrorOptions) {
    super(MalformedHistoryError.code, `${source}:${line}: ${message}`, options);
    this.line = line;
    this.source = source;
  }
}
