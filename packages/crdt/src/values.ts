import { DecodeError, InvalidArgumentError, type NodeId } from '@lattice/core';
import type { Reader, Writer } from './binary.js';

/** A JSON value: what registers and maps store. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** What sets hold and maps are keyed by: compared by value (`Map`/`Set` semantics). */
export type Key = string | number | boolean;

/** Throws an `InvalidArgumentError` unless `value` can be a set element or map key. */
export function assertKey(value: unknown, what = 'key'): asserts value is Key {
  if (typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number' && Number.isFinite(value)) return;
  throw new InvalidArgumentError(`${what} must be a string, a finite number or a boolean, got ${String(value)}`);
}

/** Throws an `InvalidArgumentError` unless `value` survives a JSON round trip. */
export function assertJsonValue(value: unknown, what = 'value'): asserts value is JsonValue {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new InvalidArgumentError(`${what} must be JSON-serialisable`, { cause });
  }
  if (text === undefined) throw new InvalidArgumentError(`${what} must be JSON-serialisable, got ${typeof value}`);
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

/** @internal */
export function readJsonValue(r: Reader): JsonValue {
  const text = r.string();
  try {
    return JSON.parse(text) as JsonValue;
  } catch (cause) {
    throw new DecodeError('Invalid JSON value', { cause });
  }
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
    if (value === undefined) throw new DecodeError(`${what} is missing`);
    return value as JsonValue;
  },
};
