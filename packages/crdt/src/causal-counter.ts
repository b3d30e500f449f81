import { InvalidArgumentError, type NodeId } from '@lattice/core';
import { CausalCrdt, type CausalKind, compareDots, type DotEntry, joinEntries } from './causal.js';
import { checkNode, checkState, DotContext } from './dot-context.js';
import { CounterOverflowError } from './errors.js';
import { expect } from './values.js';

type Store = readonly DotEntry<number>[];

const causalCounterKind: CausalKind<Store, CausalCounter> = {
  type: { name: 'causal-counter' },
  empty: () => [],
  isEmpty: (store) => store.length === 0,
  join: (a, ca, b, cb) => joinEntries(a, ca, b, cb, (x, y) => (y.value > x.value ? y : x)),
  dots(store, visit) {
    for (const entry of store) visit(entry);
  },
  clone: (store) => store,
  wrap: (store, context, node) => new CausalCounter(node, { store, context }),
  write(w, store) {
    w.uint(store.length);
    for (const entry of store) {
      w.ref(entry.node);
      w.uint(entry.counter);
      w.int(entry.value);
    }
  },
  read(r) {
    const count = r.count(3);
    const store: DotEntry<number>[] = [];
    for (let i = 0; i < count; i++) store.push({ node: r.ref(), counter: r.counter(), value: r.int() });
    return store;
  },
  toJSON: (store) => [...store].sort(compareDots).map((entry) => [entry.node, entry.counter, entry.value]),
  fromJSON: (json) =>
    expect.array(json, 'causal-counter store').map((item) => {
      const [node, counter, value] = expect.array(item, 'causal-counter entry');
      return { node: expect.node(node, 'dot node'), counter: expect.counter(counter, 'dot counter'), value: expect.integer(value, 'counter value') };
    }),
};

/**
 * A counter that can be reset and nested in an {@link ORMap} (a PN-Counter cannot: it has no
 * dots). Each node keeps one dot carrying its running contribution; an increment replaces it.
 * `reset()` zeroes the contributions observed here. Because a node's dot carries its running
 * total, an increment concurrent with a reset re-asserts that node's whole total (as in the
 * causal counter of Almeida et al.); a reset that has observed every dot clears the counter.
 *
 * @example
 * ```ts
 * const a = new CausalCounter('a');
 * const b = new CausalCounter('b');
 * b.join(a.increment(5));
 * b.join(b.increment(-2));
 * b.value(); // 3
 * ```
 */
export class CausalCounter extends CausalCrdt<readonly DotEntry<number>[], number> {
  /** The dot-store kind of causal counters, for nesting in an {@link ORMap}. */
  static readonly kind: CausalKind<readonly DotEntry<number>[], CausalCounter> = causalCounterKind;

  /**
   * @param node - this replica's node id (needed to mutate; omit for a read-only state).
   * @param state - @internal store and context to wrap.
   */
  constructor(node?: NodeId, state?: { store: readonly DotEntry<number>[]; context: DotContext }) {
    checkNode(node);
    checkState(state, Array, 'CausalCounter');
    super(causalCounterKind, state?.store ?? [], state?.context ?? new DotContext(), node);
  }

  /** Adds `amount` (a safe integer, may be negative); returns the delta. */
  increment(amount = 1): CausalCounter {
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) throw new InvalidArgumentError(`amount must be a safe integer, got ${String(amount)}`);
    const context = new DotContext();
    let base = 0;
    const others: DotEntry<number>[] = [];
    for (const entry of this.store) {
      if (entry.node === this.node) {
        base += entry.value;
        context.add(entry.node, entry.counter);
      } else others.push(entry);
    }
    if (!Number.isSafeInteger(base + amount)) throw new CounterOverflowError(`CausalCounter.increment: this node's contribution would leave the safe integers`);
    const dot = this.nextDot('CausalCounter.increment');
    context.add(dot.node, dot.counter);
    const entry = { node: dot.node, counter: dot.counter, value: base + amount };
    others.push(entry);
    this.store = others;
    return this.delta([entry], context);
  }

  /** Subtracts `amount`; returns the delta. */
  decrement(amount = 1): CausalCounter {
    if (typeof amount !== 'number') throw new InvalidArgumentError(`amount must be a safe integer, got ${typeof amount}`);
    return this.increment(-amount);
  }

  /** Forgets every contribution observed here; returns the delta. */
  reset(): CausalCounter {
    const context = new DotContext();
    for (const old of this.store) context.add(old.node, old.counter);
    this.store = [];
    return this.delta([], context);
  }

  value(): number {
    let sum = 0;
    for (const entry of this.store) sum += entry.value;
    return sum;
  }
}
