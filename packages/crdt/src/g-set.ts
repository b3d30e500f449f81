import type { Reader, Writer } from './binary.js';
import { type Crdt, type CrdtTypeDescriptor, joinMismatch } from './crdt.js';
import { assertIterable, assertKey, compareKeys, expect, type Key, readKey, writeKey } from './values.js';

/** @internal */
export function writeKeys(w: Writer, keys: ReadonlySet<Key>): void {
  w.uint(keys.size);
  for (const key of keys) writeKey(w, key);
}

/** @internal */
export function readKeys(r: Reader): Set<Key> {
  const count = r.count(1);
  const keys = new Set<Key>();
  for (let i = 0; i < count; i++) keys.add(readKey(r));
  return keys;
}

/** @internal */
export function keysFromJSON(json: unknown, what: string): Set<Key> {
  return new Set(expect.array(json, what).map((key) => expect.key(key, `${what} element`)));
}

/**
 * Grow-only set: elements can be added, never removed. Needs no node id and no metadata.
 *
 * @example
 * ```ts
 * const a = new GSet<string>();
 * const b = new GSet<string>();
 * b.join(a.add('x'));
 * b.has('x'); // true
 * ```
 */
export class GSet<E extends Key = Key> implements Crdt<ReadonlySet<E>> {
  /** @internal */
  readonly elements: Set<E>;

  constructor(elements: Iterable<E> = []) {
    assertIterable(elements, 'GSet elements');
    this.elements = new Set();
    for (const element of elements) {
      assertKey(element, 'element');
      this.elements.add(element);
    }
  }

  get type(): CrdtTypeDescriptor {
    return { name: 'g-set' };
  }

  /** Adds `element`; returns the delta. */
  add(element: E): GSet<E> {
    assertKey(element, 'element');
    this.elements.add(element);
    return new GSet([element]);
  }

  has(element: E): boolean {
    assertKey(element, 'element');
    return this.elements.has(element);
  }

  get size(): number {
    return this.elements.size;
  }

  value(): ReadonlySet<E> {
    return new Set(this.elements);
  }

  join(other: this): this {
    if (!(other instanceof GSet)) joinMismatch(this, other);
    for (const element of other.elements) this.elements.add(element);
    return this;
  }

  clone(): this {
    return new GSet(this.elements) as this;
  }

  empty(): this {
    return new GSet<E>() as this;
  }

  /** @internal */
  writeState(w: Writer): void {
    writeKeys(w, this.elements);
  }

  /** @internal */
  stateToJSON(): unknown {
    return [...this.elements].sort(compareKeys);
  }

  /** @internal */
  static readState(r: Reader): GSet {
    return new GSet(readKeys(r));
  }

  /** @internal */
  static stateFromJSON(json: unknown): GSet {
    return new GSet(keysFromJSON(json, 'g-set'));
  }
}
