import type { NodeId } from '@lattice/core';
import type { Reader, Writer } from './binary.js';
import { type Crdt, type CrdtTypeDescriptor, joinMismatch, sameType } from './crdt.js';
import { type Dot, DotContext, writeContext } from './dot-context.js';
import { ReadOnlyReplicaError } from './errors.js';

/**
 * A dot store kind: how one causal CRDT keeps its dots, joins them under causal contexts, and
 * encodes them. OR-Set, MV-Register, causal counter and OR-Map are kinds, so an OR-Map can hold
 * any of them (including OR-Maps) as values sharing the map's causal context.
 *
 * `join(a, ca, b, cb)` is the causal join of Almeida et al.: an entry survives if both sides
 * have it, or if the other side has not seen its dot. It may reuse and modify `a`; it never
 * modifies `b` nor shares `b`'s mutable parts.
 */
export interface CausalKind<S, C> {
  readonly type: CrdtTypeDescriptor;
  empty(): S;
  isEmpty(store: S): boolean;
  join(a: S, ca: DotContext, b: S, cb: DotContext): S;
  /** Calls `visit` with every dot in the store. */
  dots(store: S, visit: (dot: Dot) => void): void;
  clone(store: S): S;
  /** Wraps a store and a context (shared, not copied) in the kind's replica class. */
  wrap(store: S, context: DotContext, node: NodeId | undefined): C;
  /** @internal */
  write(w: Writer, store: S): void;
  /** @internal */
  read(r: Reader): S;
  toJSON(store: S): unknown;
  fromJSON(json: unknown): S;
}

/**
 * Base of the dot-based CRDTs: a dot store plus the causal context it shares with its deltas'
 * joins. Removals leave no tombstones: a removed entry's dots stay only in the (compacting)
 * context.
 */
export abstract class CausalCrdt<S, V> implements Crdt<V> {
  /** @internal */
  store: S;
  /** The causal context: every dot this state has seen. */
  readonly context: DotContext;
  /** The node id mutators stamp dots with; undefined for deltas and decoded states. */
  readonly node: NodeId | undefined;
  /** @internal */
  readonly kind: CausalKind<S, this>;

  /** @internal */
  constructor(kind: CausalKind<S, unknown>, store: S, context: DotContext, node: NodeId | undefined) {
    this.kind = kind as CausalKind<S, this>;
    this.store = store;
    this.context = context;
    this.node = node;
  }

  get type(): CrdtTypeDescriptor {
    return this.kind.type;
  }

  abstract value(): V;

  join(other: this): this {
    // One class holds every kind (an OR-Map of sets and one of counters): the kinds must match too.
    if (!(other instanceof CausalCrdt) || (other.kind !== this.kind && !sameType(this.type, other.type))) joinMismatch(this, other);
    this.store = this.kind.join(this.store, this.context, other.store, other.context);
    this.context.join(other.context);
    return this;
  }

  clone(): this {
    return this.kind.wrap(this.kind.clone(this.store), this.context.clone(), this.node);
  }

  empty(): this {
    return this.kind.wrap(this.kind.empty(), new DotContext(), undefined);
  }

  /** @internal */
  writeState(w: Writer): void {
    writeContext(w, this.context);
    this.kind.write(w, this.store);
  }

  /** @internal */
  stateToJSON(): unknown {
    return { context: this.context.toJSON(), store: this.kind.toJSON(this.store) };
  }

  /** @internal Allocates the next dot of this replica. */
  protected nextDot(operation: string): Dot {
    if (this.node === undefined) throw new ReadOnlyReplicaError(operation);
    return this.context.next(this.node);
  }

  /** @internal Builds a delta of this kind. */
  protected delta(store: S, context: DotContext): this {
    return this.kind.wrap(store, context, undefined);
  }
}

/** Dots carrying a value (a "dot fun"); a dot set is the same with no value. @internal */
export interface DotEntry<V> extends Dot {
  readonly value: V;
}

/**
 * Causal join of two small lists of dot entries. Entries are immutable, so sharing them is safe.
 * @internal
 */
export function joinEntries<E extends Dot>(a: readonly E[], ca: DotContext, b: readonly E[], cb: DotContext, merge?: (x: E, y: E) => E): E[] {
  const result: E[] = [];
  for (const x of a) {
    const y = find(b, x);
    if (y !== undefined) result.push(merge === undefined ? x : merge(x, y));
    else if (!cb.has(x.node, x.counter)) result.push(x);
  }
  for (const y of b) {
    if (find(a, y) === undefined && !ca.has(y.node, y.counter)) result.push(y);
  }
  return result;
}

function find<E extends Dot>(list: readonly E[], dot: Dot): E | undefined {
  for (const entry of list) if (entry.counter === dot.counter && entry.node === dot.node) return entry;
  return undefined;
}

/**
 * True if the join of a store with delta context `cb` can only remove dots held under the keys
 * `visitCandidates` visits (the keys the delta itself touches), so the other keys need no scan.
 * Typical add or update deltas pass; removal deltas and full states do not. @internal
 */
export function confinedDelta(ca: DotContext, cb: DotContext, visitCandidates: (visit: (dot: Dot) => void) => void): boolean {
  const dots = cb.missingFrom(new DotContext(), 64);
  if (dots === undefined) return false;
  const pending = new Set<string>();
  for (const dot of dots) if (ca.has(dot.node, dot.counter)) pending.add(`${dot.counter}\u0000${dot.node}`);
  if (pending.size === 0) return true;
  visitCandidates((dot) => void pending.delete(`${dot.counter}\u0000${dot.node}`));
  return pending.size === 0;
}

/** Sort order of dots for canonical JSON. @internal */
export function compareDots(a: Dot, b: Dot): number {
  return a.node < b.node ? -1 : a.node > b.node ? 1 : a.counter - b.counter;
}
