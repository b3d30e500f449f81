import type { Reader, Writer } from './binary.js';
import { type Crdt, type CrdtTypeDescriptor, joinMismatch } from './crdt.js';
import { keysFromJSON, readKeys, writeKeys } from './g-set.js';
import { assertIterable, assertKey, compareKeys, expect, type Key } from './values.js';

/**
 * Two-phase set: a grow-only set of additions and one of removals (tombstones). Once removed,
 * an element can never be added again, and removals are kept forever by design.
 *
 * @example
 * ```ts
 * const a = new TwoPhaseSet<string>();
 * a.add('x');
 * const removed = a.remove('x');
 * a.add('x');   // no effect: 'x' stays removed
 * a.has('x');   // false
 * ```
 */
export class TwoPhaseSet<E extends Key = Key> implements Crdt<ReadonlySet<E>> {
  /** @internal */
  readonly added: Set<E>;
  /** @internal */
  readonly removed: Set<E>;

  constructor(added: Iterable<E> = [], removed: Iterable<E> = []) {
    assertIterable(added, 'TwoPhaseSet added');
    assertIterable(removed, 'TwoPhaseSet removed');
    this.added = new Set(added);
    this.removed = new Set(removed);
    for (const element of this.added) assertKey(element, 'element');
    for (const element of this.removed) assertKey(element, 'element');
  }

  get type(): CrdtTypeDescriptor {
    return { name: '2p-set' };
  }

  /** Adds `element` (no effect once it has been removed); returns the delta. */
  add(element: E): TwoPhaseSet<E> {
    assertKey(element, 'element');
    this.added.add(element);
    return new TwoPhaseSet([element]);
  }

  /** Removes `element` for good; returns the delta (empty if the element is not present here). */
  remove(element: E): TwoPhaseSet<E> {
    assertKey(element, 'element');
    if (!this.has(element)) return new TwoPhaseSet();
    this.removed.add(element);
    return new TwoPhaseSet([], [element]);
  }

  has(element: E): boolean {
    assertKey(element, 'element');
    return this.added.has(element) && !this.removed.has(element);
  }

  value(): ReadonlySet<E> {
    const result = new Set<E>();
    for (const element of this.added) if (!this.removed.has(element)) result.add(element);
    return result;
  }

  join(other: this): this {
    if (!(other instanceof TwoPhaseSet)) joinMismatch(this, other);
    for (const element of other.added) this.added.add(element);
    for (const element of other.removed) this.removed.add(element);
    return this;
  }

  clone(): this {
    return new TwoPhaseSet(this.added, this.removed) as this;
  }

  empty(): this {
    return new TwoPhaseSet<E>() as this;
  }

  /** @internal */
  writeState(w: Writer): void {
    writeKeys(w, this.added);
    writeKeys(w, this.removed);
  }

  /** @internal */
  stateToJSON(): unknown {
    return { added: [...this.added].sort(compareKeys), removed: [...this.removed].sort(compareKeys) };
  }

  /** @internal */
  static readState(r: Reader): TwoPhaseSet {
    const added = readKeys(r);
    return new TwoPhaseSet(added, readKeys(r));
  }

  /** @internal */
  static stateFromJSON(json: unknown): TwoPhaseSet {
    const fields = expect.object(json, '2p-set');
    return new TwoPhaseSet(keysFromJSON(fields['added'], '2p-set added'), keysFromJSON(fields['removed'], '2p-set removed'));
  }
}
