import { DecodeError, InvalidArgumentError, type NodeId } from '@lattice/core';
import type { Reader, Writer } from './binary.js';
import { ValueTooDeepError, ValueTooLargeError } from './errors.js';

/** A JSON value: what registers and maps store. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** What sets hold and maps are keyed by: compared by value (`Map`/`Set` semantics). */
export type Key = string | number | boolean;

/** Throws an `InvalidArgumentError` unless `value` can be a set element or map key. */
export function assertKey(value: unknown, what = 'key'): asserts value is Key {
  if (typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number' && Number.isFinite(value)) return;
  throw new InvalidArgumentError(`${what} must be a string, a finite number or a boolean, got ${describeArgument(value)}`);
}

/** Names a bad argument in an error message without calling anything on it. @internal */
export function describeArgument(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return typeof value;
}

/** Throws an `InvalidArgumentError` unless `value` can be iterated (an initial collection). @internal */
export function assertIterable(value: unknown, what: string): asserts value is Iterable<unknown> {
  if (typeof value === 'string' || typeof value !== 'object' || value === null || typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new InvalidArgumentError(`${what} must be an iterable of elements, got ${describeArgument(value)}`);
  }
}

/**
 * The deepest nesting of arrays and objects in a register or map value (`[[1]]` is 2 deep).
 * Local writes and decoders both refuse deeper values, so a replica never holds one it could not
 * encode again, and no encoder or decoder recurses deeper than this.
 */
export const MAX_VALUE_DEPTH = 128;

/** The most UTF-8 bytes of JSON one register or map value may take (1 MiB), enforced on local writes and on decode. */
export const MAX_VALUE_BYTES = 1_048_576;

/** UTF-8 length of `text`, as the binary encoding writes it (a lone surrogate becomes the 3-byte U+FFFD). @internal */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function checkSize(text: string, what: string): void {
  // Three UTF-8 bytes per UTF-16 unit at most: short texts need no exact count.
  if (text.length * 3 <= MAX_VALUE_BYTES) return;
  const bytes = utf8Length(text);
  if (bytes > MAX_VALUE_BYTES) throw new ValueTooLargeError(`${what} takes ${bytes} bytes of JSON, more than the limit of ${MAX_VALUE_BYTES}`);
}

/**
 * Nesting depth of JSON text, scanned without recursion (JSON.parse would accept any depth, and
 * re-encoding the result would then overflow the stack). Text that is not JSON is left to JSON.parse.
 */
function checkTextDepth(text: string, what: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c) i++;
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x5b || char === 0x7b) {
      if (++depth > MAX_VALUE_DEPTH) throw new ValueTooDeepError(`${what} nests deeper than the limit of ${MAX_VALUE_DEPTH}`);
    } else if (char === 0x5d || char === 0x7d) depth--;
  }
}

/**
 * Walks a value without recursion, bounding its depth and its number of parts before anything
 * serialises it. `strict` admits only what JSON.parse can produce (decoded input); local writes
 * also admit what JSON.stringify converts (a `Date`, a `toJSON` method).
 */
function checkValueTree(value: unknown, what: string, strict: boolean): void {
  const stack: unknown[] = [value];
  const depths: number[] = [0];
  let parts = 0;
  while (stack.length > 0) {
    const item = stack.pop();
    const depth = depths.pop()!;
    if (++parts > MAX_VALUE_BYTES) throw new ValueTooLargeError(`${what} has more than ${MAX_VALUE_BYTES} parts`);
    if (typeof item !== 'object' || item === null) {
      if (strict && !(item === null || typeof item === 'string' || typeof item === 'boolean' || (typeof item === 'number' && Number.isFinite(item)))) {
        throw new DecodeError(`${what} holds ${typeof item === 'number' ? String(item) : typeof item}, which is not JSON`);
      }
      continue;
    }
    if (depth >= MAX_VALUE_DEPTH) throw new ValueTooDeepError(`${what} nests deeper than the limit of ${MAX_VALUE_DEPTH}`);
    if (Array.isArray(item)) {
      // Checked before iterating: a sparse array's length costs nothing to claim.
      if (parts + stack.length + item.length > MAX_VALUE_BYTES) throw new ValueTooLargeError(`${what} has more than ${MAX_VALUE_BYTES} parts`);
      for (const element of item) {
        stack.push(element);
        depths.push(depth + 1);
      }
      continue;
    }
    if (strict) {
      const prototype = Object.getPrototypeOf(item);
      if (prototype !== Object.prototype && prototype !== null) throw new DecodeError(`${what} holds an object that is not plain JSON`);
    }
    for (const key of Object.keys(item)) {
      stack.push((item as Record<string, unknown>)[key]);
      depths.push(depth + 1);
    }
  }
}

/**
 * Throws unless `value` can be a register or map value: an `InvalidArgumentError` unless it
 * survives a JSON round trip, a `ValueTooDeepError` or `ValueTooLargeError` beyond
 * {@link MAX_VALUE_DEPTH} or {@link MAX_VALUE_BYTES}.
 */
export function assertJsonValue(value: unknown, what = 'value'): asserts value is JsonValue {
  jsonText(value, what);
}

/**
 * The value a local write stores: a copy through JSON, so the writer holds exactly what every
 * peer decodes (a `Date` becomes its string, an `undefined` property disappears). Throws as
 * {@link assertJsonValue}. @internal
 */
export function toStoredValue<T extends JsonValue>(value: T, what = 'value'): T {
  return JSON.parse(jsonText(value, what)) as T;
}

function jsonText(value: unknown, what: string): string {
  checkValueTree(value, what, false);
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new InvalidArgumentError(`${what} must be JSON-serialisable`, { cause });
  }
  if (text === undefined) throw new InvalidArgumentError(`${what} must be JSON-serialisable, got ${typeof value}`);
  checkSize(text, what);
  // A toJSON method may have produced a deeper value than the object it was called on.
  checkTextDepth(text, what);
  return text;
}

/** A decoded JSON value (already parsed), checked like a local write but admitting only plain JSON. @internal */
export function checkDecodedJsonValue(value: unknown, what: string): JsonValue {
  if (value === undefined) throw new DecodeError(`${what} is missing`);
  checkValueTree(value, what, true);
  checkSize(JSON.stringify(value), what);
  return value as JsonValue;
}

/** @internal */
export function writeKey(w: Writer, key: Key): void {
  if (typeof key === 'string') {
    w.byte(0);
    w.string(key);
  } else if (typeof key === 'number') {
    if (Number.isSafeInteger(key)) {
      w.byte(1);
      w.int(key);
    } else {
      w.byte(2);
      w.f64(key);
    }
  } else {
    w.byte(key ? 3 : 4);
  }
}

/** @internal */
export function readKey(r: Reader): Key {
  const tag = r.byte();
  switch (tag) {
    case 0:
      return r.string();
    case 1:
      return r.int();
    case 2: {
      const value = r.f64();
      if (!Number.isFinite(value)) throw new DecodeError('Non-finite number key');
      return value;
    }
    case 3:
      return true;
    case 4:
      return false;
    default:
      throw new DecodeError(`Unknown key tag ${tag}`);
  }
}

/** @internal */
export function writeJsonValue(w: Writer, value: JsonValue): void {
  w.string(JSON.stringify(value));
}

/** @internal Reads a value written by {@link writeJsonValue}, refusing what a local write would refuse. */
export function readJsonValue(r: Reader): JsonValue {
  const text = r.string();
  checkSize(text, 'decoded value');
  checkTextDepth(text, 'decoded value');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new DecodeError('Invalid JSON value', { cause });
  }
  return value as JsonValue;
}

/** Orders keys deterministically (type, then value) for canonical JSON. @internal */
export function compareKeys(a: Key, b: Key): number {
  const ta = typeof a;
  const tb = typeof b;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** @internal JSON shape checks that throw `DecodeError`. */
export const expect = {
  object(value: unknown, what: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DecodeError(`${what} must be an object`);
    return value as Record<string, unknown>;
  },
  array(value: unknown, what: string): unknown[] {
    if (!Array.isArray(value)) throw new DecodeError(`${what} must be an array`);
    return value;
  },
  string(value: unknown, what: string): string {
    if (typeof value !== 'string') throw new DecodeError(`${what} must be a string`);
    return value;
  },
  node(value: unknown, what: string): NodeId {
    if (typeof value !== 'string' || value.length === 0) throw new DecodeError(`${what} must be a non-empty string`);
    return value;
  },
  counter(value: unknown, what: string): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new DecodeError(`${what} must be a positive integer`);
    return value;
  },
  natural(value: unknown, what: string): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new DecodeError(`${what} must be a non-negative integer`);
    return value;
  },
  integer(value: unknown, what: string): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new DecodeError(`${what} must be an integer`);
    return value;
  },
  key(value: unknown, what: string): Key {
    if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return value;
    throw new DecodeError(`${what} must be a string, finite number or boolean`);
  },
  json(value: unknown, what: string): JsonValue {
    return checkDecodedJsonValue(value, what);
  },
};
