import type { NodeId } from '@lattice/core';
import { CausalCrdt, type CausalKind, compareDots, type DotEntry, joinEntries } from './causal.js';
import { checkNode, checkState, DotContext } from './dot-context.js';
import { expect, type JsonValue, readJsonValue, toStoredValue, writeJsonValue } from './values.js';

type Store = readonly DotEntry<JsonValue>[];

const mvRegisterKind: CausalKind<Store, MVRegister> = {
  type: { name: 'mv-register' },
  empty: () => [],
  isEmpty: (store) => store.length === 0,
  join: (a, ca, b, cb) => joinEntries(a, ca, b, cb),
  dots(store, visit) {
    for (const entry of store) visit(entry);
  },
  clone: (store) => store,
  wrap: (store, context, node) => new MVRegister(node, { store, context }),
  write(w, store) {
    w.uint(store.length);
    for (const entry of store) {
      w.ref(entry.node);
      w.uint(entry.counter);
      writeJsonValue(w, entry.value);
    }
  },
  read(r) {
    const count = r.count(3);
    const store: DotEntry<JsonValue>[] = [];
    for (let i = 0; i < count; i++) store.push({ node: r.ref(), counter: r.counter(), value: readJsonValue(r) });
    return store;
  },
  toJSON: (store) => [...store].sort(compareDots).map((entry) => [entry.node, entry.counter, entry.value]),
  fromJSON: (json) =>
    expect.array(json, 'mv-register store').map((item) => {
      const [node, counter, value] = expect.array(item, 'mv-register entry');
      return { node: expect.node(node, 'dot node'), counter: expect.counter(counter, 'dot counter'), value: expect.json(value, 'register value') };
    }),
};

/**
 * Multi-value register. A write replaces every value it has observed; concurrent writes are
 * all kept as siblings until a later write (that has seen them) replaces them. Nothing is lost,
 * and the application decides how to resolve siblings.
 *
 * @example
 * ```ts
 * const a = new MVRegister<string>('a');
 * const b = new MVRegister<string>('b');
 * const x = a.set('red');
 * const y = b.set('blue');     // concurrent
 * a.join(y); b.join(x);
 * a.value();                   // ['red', 'blue'] (same order on every replica)
 * b.join(a.set('purple'));     // a has seen both: ['purple'] everywhere
 * ```
 */
export class MVRegister<T extends JsonValue = JsonValue> extends CausalCrdt<readonly DotEntry<T>[], T[]> {
  /** The dot-store kind of MV-Registers, for nesting in an {@link ORMap}. */
  static readonly kind: CausalKind<readonly DotEntry<JsonValue>[], MVRegister> = mvRegisterKind;

  /** {@link MVRegister.kind}, typed for values of type `T`. */
  static kindOf<T extends JsonValue = JsonValue>(): CausalKind<readonly DotEntry<T>[], MVRegister<T>> {
    return mvRegisterKind as unknown as CausalKind<readonly DotEntry<T>[], MVRegister<T>>;
  }

  /**
   * @param node - this replica's node id (needed to mutate; omit for a read-only state).
   * @param state - @internal store and context to wrap.
   */
  constructor(node?: NodeId, state?: { store: readonly DotEntry<T>[]; context: DotContext }) {
    checkNode(node);
    checkState(state, Array, 'MVRegister');
    super(mvRegisterKind as unknown as CausalKind<readonly DotEntry<T>[], unknown>, state?.store ?? [], state?.context ?? new DotContext(), node);
  }

  /** Writes `value`, replacing every value observed here; returns the delta. */
  set(value: T): MVRegister<T> {
    const stored = toStoredValue(value);
    const context = new DotContext();
    for (const old of this.store) context.add(old.node, old.counter);
    const dot = this.nextDot('MVRegister.set');
    context.add(dot.node, dot.counter);
    const entry: DotEntry<T> = { node: dot.node, counter: dot.counter, value: stored };
    this.store = [entry];
    return this.delta([entry], context);
  }

  /** Clears the register (removes every value observed here); returns the delta. */
  clear(): MVRegister<T> {
    const context = new DotContext();
    for (const old of this.store) context.add(old.node, old.counter);
    this.store = [];
    return this.delta([], context);
  }

  /** The concurrent values (siblings), ordered by their dots so every replica lists them alike. */
  value(): T[] {
    return [...this.store].sort(compareDots).map((entry) => entry.value);
  }
}
