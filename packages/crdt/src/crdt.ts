import type { Writer } from './binary.js';

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

/** Human-readable name of a type descriptor, e.g. `or-map<or-set>`. */
export function describeType(type: CrdtTypeDescriptor): string {
  return type.name === 'or-map' ? `or-map<${describeType(type.value)}>` : type.name;
}

/** True if two descriptors name the same type. */
export function sameType(a: CrdtTypeDescriptor, b: CrdtTypeDescriptor): boolean {
  if (a.name !== b.name) return false;
  if (a.name === 'or-map' && b.name === 'or-map') return sameType(a.value, b.value);
  return true;
}
