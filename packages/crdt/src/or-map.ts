import { InvalidArgumentError, type NodeId } from '@lattice/core';
import { CausalCrdt, type CausalKind, confinedDelta } from './causal.js';
import { isTypeDescriptor, MAX_TYPE_NESTING, sameType } from './crdt.js';
import { checkNode, checkState, DotContext } from './dot-context.js';
import { ReadOnlyReplicaError } from './errors.js';
import { assertKey, compareKeys, expect, type Key, readKey, writeKey } from './values.js';

/** Any dot-based CRDT that can be an {@link ORMap} value. */
export type AnyCausalCrdt = CausalCrdt<unknown, unknown>;

/** The value type of a CRDT. */
export type ValueOf<C> = C extends { value(): infer V } ? V : never;

/** The dot store type of a causal CRDT. */
export type StoreOf<C> = C extends CausalCrdt<infer S, unknown> ? S : never;

const kindCache = new WeakMap<CausalKind<unknown, unknown>, CausalKind<Map<Key, unknown>, unknown>>();

/** @internal Builds (or reuses) the dot-store kind of OR-Maps whose values are of kind `inner`. */
export function mapKind<S, C>(inner: CausalKind<S, C>): CausalKind<Map<Key, S>, ORMap<Key, C & AnyCausalCrdt>> {
  if (typeof inner !== 'object' || inner === null || typeof inner.join !== 'function' || typeof inner.read !== 'function') {
    throw new InvalidArgumentError('an OR-Map needs the kind of its values, e.g. ORSet.kind');
  }
  const cached = kindCache.get(inner as CausalKind<unknown, unknown>);
  if (cached === undefined && !isTypeDescriptor({ name: 'or-map', value: inner.type })) {
    throw new InvalidArgumentError(`OR-Maps nest at most ${MAX_TYPE_NESTING} deep (the decoders refuse deeper types)`);
  }
  if (cached !== undefined) return cached as unknown as CausalKind<Map<Key, S>, ORMap<Key, C & AnyCausalCrdt>>;
  const kind: CausalKind<Map<Key, S>, ORMap<Key, C & AnyCausalCrdt>> = {
    type: { name: 'or-map', value: inner.type },
    empty: () => new Map(),
    isEmpty: (store) => store.size === 0,
    join(a, ca, b, cb) {
      const confined =
        cb.isEmpty() ||
        confinedDelta(ca, cb, (visit) => {
          for (const key of b.keys()) {
            const value = a.get(key);
            if (value !== undefined) inner.dots(value, visit);
          }
        });
      for (const [key, value] of b) {
        const joined = inner.join(a.get(key) ?? inner.empty(), ca, value, cb);
        if (inner.isEmpty(joined)) a.delete(key);
        else a.set(key, joined);
      }
      if (confined) return a;
      const nothing = inner.empty();
      for (const [key, value] of a) {
        if (b.has(key)) continue;
        const joined = inner.join(value, ca, nothing, cb);
        if (inner.isEmpty(joined)) a.delete(key);
        else if (joined !== value) a.set(key, joined);
      }
      return a;
    },
    dots(store, visit) {
      for (const value of store.values()) inner.dots(value, visit);
    },
    clone(store) {
      const copy = new Map<Key, S>();
      for (const [key, value] of store) copy.set(key, inner.clone(value));
      return copy;
    },
    wrap: (store, context, node) => new ORMap(node, inner as never, { store: store as never, context }),
    write(w, store) {
      w.uint(store.size);
      for (const [key, value] of store) {
        writeKey(w, key);
        inner.write(w, value);
      }
    },
    read(r) {
      const store = new Map<Key, S>();
      const count = r.count(2);
      for (let i = 0; i < count; i++) {
        const key = readKey(r);
        const value = inner.read(r);
        if (!inner.isEmpty(value)) store.set(key, value);
      }
      return store;
    },
    toJSON: (store) =>
      [...store]
        .sort(([a], [b]) => compareKeys(a, b))
        .map(([key, value]) => [key, inner.toJSON(value)]),
    fromJSON(json) {
      const store = new Map<Key, S>();
      for (const pair of expect.array(json, 'or-map store')) {
        const [key, value] = expect.array(pair, 'or-map entry');
        const parsed = inner.fromJSON(value);
        if (!inner.isEmpty(parsed)) store.set(expect.key(key, 'or-map key'), parsed);
      }
      return store;
    },
  };
  kindCache.set(inner as CausalKind<unknown, unknown>, kind as unknown as CausalKind<Map<Key, unknown>, unknown>);
  return kind;
}

/**
 * Observed-remove map whose values are themselves causal CRDTs ({@link ORSet},
 * {@link MVRegister}, {@link CausalCounter}, or another `ORMap`), all sharing the map's causal
 * context. Updating a key concurrently with its removal keeps the update (add-wins); a removal
 * resets the value as observed by the remover.
 *
 * @example
 * ```ts
 * const carts = new ORMap('a', ORSet.kind);                  // key -> OR-Set
 * const delta = carts.update('alice', (items) => items.add('apple'));
 * const replica = new ORMap('b', ORSet.kind).join(delta);
 * replica.get('alice');                                       // Set { 'apple' }
 * const nested = new ORMap('a', ORMap.kindOf(CausalCounter.kind)); // map of maps of counters
 * nested.update('eu', (m) => m.update('visits', (c) => c.increment()));
 * ```
 */
export class ORMap<K extends Key, C extends AnyCausalCrdt> extends CausalCrdt<Map<K, StoreOf<C>>, Map<K, ValueOf<C>>> {
  /** The kind of the values. */
  readonly valueKind: CausalKind<StoreOf<C>, C>;

  /** The dot-store kind of OR-Maps with values of kind `valueKind` (to nest maps in maps). */
  static kindOf<C2 extends AnyCausalCrdt, K2 extends Key = Key>(valueKind: CausalKind<StoreOf<C2>, C2>): CausalKind<Map<K2, StoreOf<C2>>, ORMap<K2, C2>> {
    return mapKind(valueKind) as unknown as CausalKind<Map<K2, StoreOf<C2>>, ORMap<K2, C2>>;
  }

  /**
   * @param node - this replica's node id (needed to mutate; omit for a read-only state).
   * @param valueKind - the kind of the values, e.g. `ORSet.kind`.
   * @param state - @internal store and context to wrap.
   */
  constructor(node: NodeId | undefined, valueKind: CausalKind<StoreOf<C>, C>, state?: { store: Map<K, StoreOf<C>>; context: DotContext }) {
    if (typeof valueKind !== 'object' || valueKind === null || typeof valueKind.join !== 'function') {
      throw new InvalidArgumentError('ORMap needs the kind of its values, e.g. new ORMap(node, ORSet.kind)');
    }
    checkNode(node);
    checkState(state, Map, 'ORMap');
    super(mapKind(valueKind) as unknown as CausalKind<Map<K, StoreOf<C>>, unknown>, state?.store ?? new Map(), state?.context ?? new DotContext(), node);
    this.valueKind = valueKind;
  }

  /**
   * Applies `mutate` to the value at `key` (an empty value if absent) and returns the map delta.
   * `mutate` must return the delta its mutator returned (mutators can be chained with `join`).
   */
  update(key: K, mutate: (value: C) => C): ORMap<K, C> {
    assertKey(key);
    if (typeof mutate !== 'function') throw new InvalidArgumentError('ORMap.update needs a function that applies a mutator to the value and returns its delta');
    if (this.node === undefined) throw new ReadOnlyReplicaError('ORMap.update');
    const view = this.valueKind.wrap(this.store.get(key) ?? this.valueKind.empty(), this.context, this.node);
    const delta = mutate(view);
    if (delta === view || !(delta instanceof CausalCrdt) || !sameType(delta.type, this.valueKind.type) || delta.context === this.context) {
      throw new InvalidArgumentError('ORMap.update: the callback must return the delta of a mutator of the value');
    }
    if (this.valueKind.isEmpty(view.store as StoreOf<C>)) this.store.delete(key);
    else this.store.set(key, view.store as StoreOf<C>);
    const store = new Map<K, StoreOf<C>>();
    if (!this.valueKind.isEmpty(delta.store as StoreOf<C>)) store.set(key, delta.store as StoreOf<C>);
    return this.delta(store, delta.context);
  }

  /** Removes `key` as observed here (concurrent updates elsewhere win); returns the delta. */
  remove(key: K): ORMap<K, C> {
    assertKey(key);
    const context = new DotContext();
    const value = this.store.get(key);
    if (value !== undefined) this.valueKind.dots(value, (dot) => context.add(dot.node, dot.counter));
    this.store.delete(key);
    return this.delta(new Map(), context);
  }

  /** The value at `key`, or undefined. */
  get(key: K): ValueOf<C> | undefined {
    assertKey(key);
    const store = this.store.get(key);
    if (store === undefined) return undefined;
    return this.valueKind.wrap(store, this.context, undefined).value() as ValueOf<C>;
  }

  has(key: K): boolean {
    assertKey(key);
    return this.store.has(key);
  }

  keys(): K[] {
    return [...this.store.keys()];
  }

  get size(): number {
    return this.store.size;
  }

  value(): Map<K, ValueOf<C>> {
    const result = new Map<K, ValueOf<C>>();
    for (const [key, store] of this.store) result.set(key, this.valueKind.wrap(store, this.context, undefined).value() as ValueOf<C>);
    return result;
  }
}
