import { DecodeError, type NodeId } from '@lattice/core';
import type { Reader, Writer } from './binary.js';
import { CausalCrdt, type CausalKind, compareDots, confinedDelta, joinEntries } from './causal.js';
import { checkNode, checkState, type Dot, DotContext } from './dot-context.js';
import { assertKey, compareKeys, expect, type Key, readKey, writeKey } from './values.js';

type Store = Map<Key, readonly Dot[]>;

/** @internal Reads `count` dots of a store. */
export function readDots(r: Reader): Dot[] {
  const count = r.count(2);
  const dots: Dot[] = [];
  for (let i = 0; i < count; i++) dots.push({ node: r.ref(), counter: r.counter() });
  return dots;
}

/** @internal */
export function writeDots(w: Writer, dots: readonly Dot[]): void {
  w.uint(dots.length);
  for (const dot of dots) {
    w.ref(dot.node);
    w.uint(dot.counter);
  }
}

/** @internal */
export function dotsToJSON(dots: readonly Dot[]): [NodeId, number][] {
  return [...dots].sort(compareDots).map((dot) => [dot.node, dot.counter]);
}

/** @internal */
export function dotsFromJSON(json: unknown): Dot[] {
  return expect.array(json, 'dots').map((pair) => {
    const [node, counter] = expect.array(pair, 'dot');
    return { node: expect.node(node, 'dot node'), counter: expect.counter(counter, 'dot counter') };
  });
}

const orSetKind: CausalKind<Store, ORSet> = {
  type: { name: 'or-set' },
  empty: () => new Map(),
  isEmpty: (store) => store.size === 0,
  join(a, ca, b, cb) {
    const confined =
      cb.isEmpty() ||
      confinedDelta(ca, cb, (visit) => {
        for (const element of b.keys()) for (const dot of a.get(element) ?? []) visit(dot);
      });
    for (const [element, dots] of b) {
      const joined = joinEntries(a.get(element) ?? [], ca, dots, cb);
      if (joined.length === 0) a.delete(element);
      else a.set(element, joined);
    }
    if (confined) return a;
    for (const [element, dots] of a) {
      if (b.has(element)) continue;
      let kept: Dot[] | undefined;
      for (let i = 0; i < dots.length; i++) {
        const dot = dots[i]!;
        if (cb.has(dot.node, dot.counter)) kept ??= dots.slice(0, i);
        else kept?.push(dot);
      }
      if (kept === undefined) continue;
      if (kept.length === 0) a.delete(element);
      else a.set(element, kept);
    }
    return a;
  },
  dots(store, visit) {
    for (const dots of store.values()) for (const dot of dots) visit(dot);
  },
  clone: (store) => new Map(store),
  wrap: (store, context, node) => new ORSet(node, { store, context }),
  write(w, store) {
    w.uint(store.size);
    for (const [element, dots] of store) {
      writeKey(w, element);
      writeDots(w, dots);
    }
  },
  read(r) {
    const store: Store = new Map();
    const count = r.count(2);
    for (let i = 0; i < count; i++) {
      const element = readKey(r);
      const dots = readDots(r);
      if (dots.length > 0) store.set(element, dots);
    }
    return store;
  },
  toJSON: (store) =>
    [...store]
      .sort(([a], [b]) => compareKeys(a, b))
      .map(([element, dots]) => [element, dotsToJSON(dots)]),
  fromJSON(json) {
    const store: Store = new Map();
    for (const pair of expect.array(json, 'or-set store')) {
      const [element, dots] = expect.array(pair, 'or-set entry');
      const parsed = dotsFromJSON(dots);
      if (parsed.length > 0) store.set(expect.key(element, 'or-set element'), parsed);
    }
    return store;
  },
};

/**
 * Add-wins observed-remove set. Each add tags the element with a fresh dot; a remove deletes
 * the dots it has observed, so an add concurrent with a remove survives. Removed elements
 * leave nothing behind but their dots in the compacting causal context (no tombstones).
 *
 * @example
 * ```ts
 * const a = new ORSet<string>('a');
 * const b = new ORSet<string>('b');
 * b.join(a.add('milk'));
 * const removed = a.remove('milk');
 * const added = b.add('milk');   // concurrent with the remove
 * a.join(added); b.join(removed);
 * a.has('milk') && b.has('milk'); // true: add wins
 * ```
 */
export class ORSet<E extends Key = Key> extends CausalCrdt<Map<E, readonly Dot[]>, ReadonlySet<E>> {
  /** The dot-store kind of OR-Sets, for nesting in an {@link ORMap}. */
  static readonly kind: CausalKind<Map<Key, readonly Dot[]>, ORSet> = orSetKind;

  /** {@link ORSet.kind}, typed for elements of type `E` (e.g. `new ORMap<string, ORSet<string>>('a', ORSet.kindOf())`). */
  static kindOf<E extends Key = Key>(): CausalKind<Map<E, readonly Dot[]>, ORSet<E>> {
    return orSetKind as unknown as CausalKind<Map<E, readonly Dot[]>, ORSet<E>>;
  }

  /**
   * @param node - this replica's node id (needed to mutate; omit for a read-only state).
   * @param state - @internal store and context to wrap.
   */
  constructor(node?: NodeId, state?: { store: Map<E, readonly Dot[]>; context: DotContext }) {
    checkNode(node);
    checkState(state, Map, 'ORSet');
    super(orSetKind as unknown as CausalKind<Map<E, readonly Dot[]>, unknown>, state?.store ?? new Map(), state?.context ?? new DotContext(), node);
  }

  /** Adds `element`; returns the delta. */
  add(element: E): ORSet<E> {
    assertKey(element, 'element');
    const dot = this.nextDot('ORSet.add');
    const context = new DotContext();
    for (const old of this.store.get(element) ?? []) context.add(old.node, old.counter);
    context.add(dot.node, dot.counter);
    this.store.set(element, [dot]);
    return this.delta(new Map([[element, [dot]]]), context);
  }

  /** Removes `element` as observed here (concurrent adds elsewhere win); returns the delta. */
  remove(element: E): ORSet<E> {
    assertKey(element, 'element');
    const context = new DotContext();
    for (const old of this.store.get(element) ?? []) context.add(old.node, old.counter);
    this.store.delete(element);
    return this.delta(new Map(), context);
  }

  /** Removes every element observed here; returns the delta. */
  clear(): ORSet<E> {
    const context = new DotContext();
    this.kind.dots(this.store, (dot) => context.add(dot.node, dot.counter));
    this.store.clear();
    return this.delta(new Map(), context);
  }

  has(element: E): boolean {
    assertKey(element, 'element');
    return this.store.has(element);
  }

  get size(): number {
    return this.store.size;
  }

  value(): ReadonlySet<E> {
    return new Set(this.store.keys());
  }
}

/** Throws unless every dot of a decoded store is covered by its context. @internal */
export function checkDotsCovered(dots: (visit: (dot: Dot) => void) => void, context: DotContext): void {
  dots((dot) => {
    if (!context.has(dot.node, dot.counter)) throw new DecodeError(`Dot (${dot.node}, ${dot.counter}) is missing from the causal context`);
  });
}
