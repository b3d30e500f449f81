import { describeValue } from '@lattice/core';
import { InvalidCheckOptionsError } from './errors.js';
import type { DataModel } from './types.js';

/*
 * Checks of the options and ids the public functions take. Arguments of the wrong type are
 * refused with core's `InvalidArgumentError` (core's checks); an option of the wrong type or
 * range is this package's `InvalidCheckOptionsError`, as the options always were.
 */

/** Returns `model`, or throws `InvalidCheckOptionsError` when it is not a data model. */
export function checkModel(model: unknown, what = 'model'): DataModel {
  if (model !== 'list-append' && model !== 'rw-register') throw new InvalidCheckOptionsError(`${what} must be 'list-append' or 'rw-register', got ${describeValue(model)}`);
  return model;
}

/** Throws `InvalidCheckOptionsError` unless `value` is `undefined` or a boolean. */
export function checkOptionalBoolean(value: unknown, what: string): void {
  if (value !== undefined && typeof value !== 'boolean') throw new InvalidCheckOptionsError(`${what} must be true or false, got ${describeValue(value)}`);
}

/** Throws `InvalidCheckOptionsError` unless `value` is `undefined` or a string. */
export function checkOptionalString(value: unknown, what: string): void {
  if (value !== undefined && typeof value !== 'string') throw new InvalidCheckOptionsError(`${what} must be a string, got ${describeValue(value)}`);
}

/**
 * Why `value` cannot be a process id, or undefined when it can. Processes are told apart by
 * their ids (process order, one transaction in flight per process), so a number must be a
 * non-negative safe integer: above 2^53 − 1 two different ids read as one double and two
 * processes would merge; `1.5` or a negative number is corrupt input, not an id. Strings
 * (named clients) must not be empty.
 */
export function processIdProblem(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? 'a process id must not be empty' : undefined;
  if (typeof value !== 'number') return `process must be an integer or a string, got ${describeValue(value)}`;
  if (!Number.isFinite(value)) return `process id ${value} is not finite`;
  if (!Number.isInteger(value)) return `process id ${value} is not an integer`;
  if (value < 0) return `process id ${value} is negative`;
  if (!Number.isSafeInteger(value)) return `process id ${value} is above 2^53 - 1, where distinct ids would merge`;
  return undefined;
}
