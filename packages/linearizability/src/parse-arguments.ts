import { InvalidArgumentError } from '@lattice/core';
import type { ParseOptions } from './jepsen-log.js';

/** Checks a parser's arguments (text, then an options object) and returns the source name. */
export function parseArguments(text: unknown, options: ParseOptions | undefined): string {
  if (typeof text !== 'string') throw new InvalidArgumentError(`a history must be text (a string), got ${text === null ? 'null' : typeof text}`);
  if (options === undefined) return '<input>';
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`options must be an object, got ${options === null ? 'null' : typeof options}`);
  if (options.source !== undefined && typeof options.source !== 'string') throw new InvalidArgumentError(`options.source must be a string, got ${typeof options.source}`);
  return options.source ?? '<input>';
}
