import { InvalidArgumentError } from '@lattice/core';
import type { Writer } from './binary.js';
import { CrdtTypeMismatchError } from './errors.js';

/** Names the CRDT type of a state; nested maps name their value type. */
export type CrdtTypeDescriptor =
  | {
      readonly name:
        | 'g-counter'
        | 'pn-counter'
        | 'lww-register'
        | 'mv-register'
        | 'g-set'
        | '2p-set'
        | 'or-set'
        | 'lww-map'
        | 'causal-counter';
    }
  | { readonly name: 'or-map'; readonly value: CrdtTypeDescriptor };

/**
 * What every state-based CRDT of this package offers: a join (least upper bound) that is
 * commutative, associative and idempotent, and a value. Mutators return deltas: small states of
 * the same class, joined like any other state. The sync protocol and the encodings are generic
 * over this interface.
 *
 * @example
 * ```ts
 * const a = new GCounter('a');
 * const b = new GCounter('b');
 * const delta = a.increment(2); // a small GCounter
 * b.join(delta);                // b.value() === 2
 * ```
 */
export interface Crdt<V = unknown> {
  /** The type of this state, as written by the encodings. */
  readonly type: CrdtTypeDescriptor;
  /** The current value. */
  value(): V;
  /** Joins another state or delta of the same type into this one, in place; returns `this`. */
  join(other: this): this;
  /** A deep copy (keeps the node id). */
  clone(): this;
  /** A state of the same type with nothing in it (and no node id). */
  empty(): this;
  /** @internal Writes the state body of the binary encoding. */
  writeState(w: Writer): void;
  /** @internal The canonical JSON body of the state (sorted, so equal states give equal JSON). */
  stateToJSON(): unknown;
}

const TYPE_NAMES: ReadonlySet<string> = new Set([
  'g-counter',
  'pn-counter',
  'lww-register',
  'mv-register',
  'g-set',
  '2p-set',
  'or-set',
  'lww-map',
  'or-map',
  'causal-counter',
]);

/** The deepest nesting of OR-Maps in one type (the decoders refuse deeper types, so replicas cannot hold them). */
export const MAX_TYPE_NESTING = 32;

/** True if `value` is a well-formed descriptor no deeper than {@link MAX_TYPE_NESTING}; iterative, so a hostile chain cannot overflow the stack. @internal */
export function isTypeDescriptor(value: unknown): value is CrdtTypeDescriptor {
  let current = value;
  for (let depth = 0; depth <= MAX_TYPE_NESTING; depth++) {
    if (typeof current !== 'object' || current === null) return false;
    const name = (current as { name?: unknown }).name;
    if (typeof name !== 'string' || !TYPE_NAMES.has(name)) return false;
    if (name !== 'or-map') return true;
    current = (current as { value?: unknown }).value;
  }
  return false;
}

function checkDescriptor(value: unknown, what: string): asserts value is CrdtTypeDescriptor {
  if (!isTypeDescriptor(value)) throw new InvalidArgumentError(`${what} must be a CRDT type descriptor (e.g. { name: 'or-set' }) at most ${MAX_TYPE_NESTING} maps deep`);
}

/** Human-readable name of a type descriptor, e.g. `or-map<or-set>`. */
export function describeType(type: CrdtTypeDescriptor): string {
  checkDescriptor(type, 'type');
  let prefix = '';
  let suffix = '';
  let current: CrdtTypeDescriptor = type;
  while (current.name === 'or-map') {
    prefix += 'or-map<';
    suffix += '>';
    current = current.value;
  }
  return prefix + current.name + suffix;
}

/** True if two descriptors name the same type. */
export function sameType(a: CrdtTypeDescriptor, b: CrdtTypeDescriptor): boolean {
  checkDescriptor(a, 'first type');
  checkDescriptor(b, 'second type');
  let x: CrdtTypeDescriptor = a;
  let y: CrdtTypeDescriptor = b;
  while (x.name === y.name) {
    if (x.name !== 'or-map' || y.name !== 'or-map') return true;
    x = x.value;
    y = y.value;
  }
  return false;
}

/** Names what a value is, for error messages: its CRDT type if it has one. @internal */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  const type = (value as { type?: unknown }).type;
  if (isTypeDescriptor(type)) return describeType(type);
  return `an object that is not a CRDT state (${value.constructor?.name ?? 'no prototype'})`;
}

/** Throws an `InvalidArgumentError` unless `value` is a CRDT state of this package's shape. @internal */
export function assertCrdt(value: unknown, what = 'state'): asserts value is Crdt {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as Crdt).join !== 'function' ||
    typeof (value as Crdt).writeState !== 'function' ||
    typeof (value as Crdt).clone !== 'function' ||
    !isTypeDescriptor((value as Crdt).type)
  ) {
    throw new InvalidArgumentError(`${what} must be a CRDT state or delta, got ${describeValue(value)}`);
  }
}

/**
 * Throws the `CrdtTypeMismatchError` of joining `other` into `self`. Each `join` checks `other`
 * itself, with one `instanceof` of the class defining the join (so subclasses still join the
 * deltas base mutators return), and calls this only on a mismatch: a check shared by every type
 * would see every class and slow the cheapest joins down by a third. @internal
 */
export function joinMismatch(self: Crdt, other: unknown): never {
  throw new CrdtTypeMismatchError(describeType(self.type), describeValue(other));
}

/** Throws a `CrdtTypeMismatchError` unless `other` is a state or delta of `like`'s CRDT type (what the sync protocol logs and sends). @internal */
export function assertSameType(like: Crdt, other: unknown): void {
  const type = typeof other === 'object' && other !== null ? (other as { type?: unknown }).type : undefined;
  if (typeof (other as Crdt | undefined)?.writeState === 'function' && isTypeDescriptor(type) && sameType(like.type, type)) return;
  throw new CrdtTypeMismatchError(describeType(like.type), describeValue(other));
}
