import { type AbortOptions, InvalidArgumentError, type Random, type Timers } from '@lattice/core';

/**
 * Checks of the arguments callers pass to the public API. A wrong argument must be refused
 * where it is passed, with an `InvalidArgumentError` that names it: left alone, a string
 * payload or a `NaN` timeout fails much later, from a timer or a socket callback, as a
 * `TypeError` nobody can catch.
 */

/** A short description of a wrong value for an error message. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'function') return 'a function';
  return `${typeof value} ${String(value)}`;
}

/**
 * True for a `Uint8Array` (a `Buffer` is one), also one made in another realm (a worker or a
 * `vm` context), where `instanceof` fails. `ArrayBuffer.isView` rules out look-alike objects;
 * the tag rules out the other typed arrays and `DataView`.
 */
export function isBytes(value: unknown): value is Uint8Array {
  return ArrayBuffer.isView(value) && (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'Uint8Array';
}

/** Throws `InvalidArgumentError` unless `payload` is a `Uint8Array` (a `Buffer` is one). */
export function assertPayload(payload: unknown): asserts payload is Uint8Array {
  if (!isBytes(payload)) throw new InvalidArgumentError(`payload must be a Uint8Array (or Buffer), got ${describe(payload)}`);
}

/** Throws `InvalidArgumentError` unless `value` is `undefined` or a non-null, non-array object. */
export function assertOptionalObject(value: unknown, what: string): asserts value is object | undefined {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(`${what} must be an object, got ${describe(value)}`);
  }
}

/** Throws `InvalidArgumentError` unless `options` is absent or an object whose `signal`, if any, is an `AbortSignal`. */
export function assertAbortOptions(options: unknown, what = 'options'): asserts options is AbortOptions | undefined {
  assertOptionalObject(options, what);
  const signal = (options as AbortOptions | undefined)?.signal;
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean')) {
    throw new InvalidArgumentError(`${what}.signal must be an AbortSignal, got ${describe(signal)}`);
  }
}

/** Throws `InvalidArgumentError` unless `timers` is absent or has `setTimeout` and `clearTimeout` functions. */
export function assertOptionalTimers(timers: unknown, what = 'timers'): asserts timers is Timers | undefined {
  if (timers === undefined) return;
  const candidate = timers as Partial<Timers> | null;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.setTimeout !== 'function' || typeof candidate.clearTimeout !== 'function') {
    throw new InvalidArgumentError(`${what} must have setTimeout and clearTimeout functions, got ${describe(timers)}`);
  }
}

/** Throws `InvalidArgumentError` unless `random` is absent or has a `next` function. */
export function assertOptionalRandom(random: unknown, what = 'random'): asserts random is Random | undefined {
  if (random === undefined) return;
  const candidate = random as Partial<Random> | null;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.next !== 'function') {
    throw new InvalidArgumentError(`${what} must be a Random (an object with a next() function), got ${describe(random)}`);
  }
}

/** The longest delay the host's timers honour (2^31 − 1 ms); a longer one fires at once. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/** Throws `InvalidArgumentError` unless `value` is a finite number of milliseconds in [min, {@link MAX_TIMER_DELAY_MS}]. */
export function assertDelay(value: unknown, what: string, min: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > MAX_TIMER_DELAY_MS) {
    throw new InvalidArgumentError(`${what} must be a number of milliseconds in [${min}, ${MAX_TIMER_DELAY_MS}], got ${describe(value)}`);
  }
}

/** Throws `InvalidArgumentError` unless `value` is a safe integer in [min, max]. */
export function assertInteger(value: unknown, what: string, min: number, max: number = Number.MAX_SAFE_INTEGER): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${what} must be an integer in ${min}..${max}, got ${describe(value)}`);
  }
}
