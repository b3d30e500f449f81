import type { Agent } from './agent.js';

/*
 * The document order of a replica's characters: a list of items (runs of characters), cut into
 * leaves of at most LEAF_MAX items, each leaf caching its number of visible code points. A
 * cursor (the leaf last found and where it starts) answers nearby position lookups by walking a
 * few leaves; a Fenwick tree over the leaves' counts answers far ones in O(log leaves).
 */

/** Most items a leaf holds before it splits in two. */
const LEAF_MAX = 64;
/** How full leaves are when a list is built in one go (from a snapshot or a copy). */
const LEAF_FILL = 48;
/** Leaves walked from the cursor before a position lookup uses the Fenwick tree instead. */
const NEAR_LEAVES = 8;
/** Agent index meaning "no origin" (document start for left, document end for right). */
export const NONE = -1;

/**
 * A run of characters inserted by one agent with consecutive sequence numbers, all deleted or
 * all visible. Character k > 0 has left origin (agent, seq + k - 1); every character has right
 * origin (orAgent, orSeq).
 */
export class Item {
  constructor(
    public agent: number,
    public seq: number,
    public len: number,
    public olAgent: number,
    public olSeq: number,
    public orAgent: number,
    public orSeq: number,
    public deleted: boolean,
    public leaf: Leaf,
    /** The fragment with the next sequence numbers of the same agent (split chain), if any. */
    public next: Item | null,
  ) {}
}

/** A chunk of the document's item list, with its number of visible code points cached. */
export class Leaf {
  items: Item[] = [];
  visible = 0;
  index = 0;
}

/** True when `tail` is exactly the continuation of `head` (same agent, next seq, implied origins). */
export function continues(head: Item, tail: Item): boolean {
  return (
    head.agent === tail.agent &&
    head.seq + head.len === tail.seq &&
    tail.olAgent === tail.agent &&
    tail.olSeq === tail.seq - 1 &&
    tail.orAgent === head.orAgent &&
    tail.orSeq === head.orSeq
  );
}

/**
 * The items of one replica in document order. Splitting and merging fragments keeps each
 * agent's id index (in {@link Agent}) pointing at the right fragments, so the list holds the
 * replica's agents.
 */
export class ItemList {
  leaves: Leaf[] = [new Leaf()];
  /** Number of visible code points. */
  visibleLength = 0;
  /** Results of {@link ItemList.seek}. */
  foundLeaf = 0;
  foundItem = 0;
  foundOffset = 0;
  readonly #agents: Agent[];
  /** Cursor cache: a leaf index and the visible position where that leaf starts. */
  #cacheLeaf = 0;
  #cacheStart = 0;
  /** Prefix sums of leaf counts for far jumps; null when a leaf split made it stale. */
  #fenwick: Float64Array | null = null;

  constructor(agents: Agent[]) {
    this.#agents = agents;
  }

  /** The first item in document order, if any. */
  first(): Item | null {
    return this.leaves[0]!.items[0] ?? null;
  }

  /** Counts `delta` more (or fewer) visible code points in `leaf`. */
  addVisible(leaf: Leaf, delta: number): void {
    leaf.visible += delta;
    this.visibleLength += delta;
    if (leaf.index < this.#cacheLeaf) this.#cacheStart += delta;
    const tree = this.#fenwick;
    if (tree !== null) for (let i = leaf.index + 1; i < tree.length; i += i & -i) tree[i]! += delta;
  }

  /**
   * The Fenwick tree of the leaves' visible counts (1-based), rebuilt in O(leaves) after a leaf
   * split shifted the leaves, then kept current in O(log leaves) per change.
   */
  #prefixTree(): Float64Array {
    if (this.#fenwick !== null) return this.#fenwick;
    const n = this.leaves.length;
    const tree = new Float64Array(n + 1);
    for (let i = 1; i <= n; i++) {
      tree[i]! += this.leaves[i - 1]!.visible;
      const parent = i + (i & -i);
      if (parent <= n) tree[parent]! += tree[i]!;
    }
    this.#fenwick = tree;
    return tree;
  }

  /** Finds the visible code point at `k` (0 ≤ k < length): sets foundLeaf/foundItem/foundOffset. */
  seek(k: number): void {
    const leaves = this.leaves;
    let li = this.#cacheLeaf;
    let start = this.#cacheStart;
    // Near the cursor: walk a few leaves. Farther: descend the Fenwick tree of leaf counts.
    let steps = 0;
    while (k < start && steps < NEAR_LEAVES) {
      li--;
      start -= leaves[li]!.visible;
      steps++;
    }
    while (k >= start + leaves[li]!.visible && steps < NEAR_LEAVES) {
      start += leaves[li]!.visible;
      li++;
      steps++;
    }
    if (k < start || k >= start + leaves[li]!.visible) {
      const tree = this.#prefixTree();
      let pos = 0;
      let rest = k;
      for (let step = highBit(leaves.length); step > 0; step >>= 1) {
        const next = pos + step;
        if (next <= leaves.length && tree[next]! <= rest) {
          pos = next;
          rest -= tree[next]!;
        }
      }
      li = pos;
      start = k - rest;
    }
    this.#cacheLeaf = li;
    this.#cacheStart = start;
    const items = leaves[li]!.items;
    let offset = k - start;
    for (let i = 0; ; i++) {
      const it = items[i]!;
      if (it.deleted) continue;
      if (offset < it.len) {
        this.foundLeaf = li;
        this.foundItem = i;
        this.foundOffset = offset;
        return;
      }
      offset -= it.len;
    }
  }

  /** Visible code points before `item` in document order: O(log leaves + leaf size). */
  visibleBefore(item: Item): number {
    const tree = this.#prefixTree();
    let sum = 0;
    for (let i = item.leaf.index; i > 0; i -= i & -i) sum += tree[i]!;
    for (const it of item.leaf.items) {
      if (it === item) break;
      if (!it.deleted) sum += it.len;
    }
    return sum;
  }

  /** Inserts `item` at index `i` of leaf `li`, splitting the leaf when it overflows. */
  insertAt(li: number, i: number, item: Item): void {
    const leaf = this.leaves[li]!;
    item.leaf = leaf;
    if (i === leaf.items.length) leaf.items.push(item);
    else leaf.items.splice(i, 0, item);
    if (leaf.items.length > LEAF_MAX) this.#splitLeaf(li);
  }

  #splitLeaf(li: number): void {
    const leaf = this.leaves[li]!;
    const moved = leaf.items.splice(leaf.items.length >> 1);
    const fresh = new Leaf();
    fresh.items = moved;
    let visible = 0;
    for (const it of moved) {
      it.leaf = fresh;
      if (!it.deleted) visible += it.len;
    }
    fresh.visible = visible;
    leaf.visible -= visible;
    this.leaves.splice(li + 1, 0, fresh);
    this.#fenwick = null;
    for (let j = li + 1; j < this.leaves.length; j++) this.leaves[j]!.index = j;
    if (this.#cacheLeaf > li) this.#cacheLeaf++;
  }

  /**
   * Splits `item` after `offset` code points; the tail becomes the next item (and the next
   * fragment of its chain). `li`/`i` locate the item when the caller knows them (else -1).
   */
  splitItem(item: Item, offset: number, li: number, i: number): void {
    const tail = new Item(item.agent, item.seq + offset, item.len - offset, item.agent, item.seq + offset - 1, item.orAgent, item.orSeq, item.deleted, item.leaf, item.next);
    item.next = tail;
    item.len = offset;
    const agent = this.#agents[item.agent]!;
    if (agent.last === item) agent.last = tail;
    if (li < 0) {
      li = item.leaf.index;
      i = item.leaf.items.indexOf(item);
    }
    this.insertAt(li, i + 1, tail);
  }

  /**
   * Merges a just-deleted item with deleted neighbours in the same leaf that it continues (or
   * that continue it), so runs of tombstones stay one item each.
   */
  coalesce(item: Item): void {
    const items = item.leaf.items;
    let i = items.indexOf(item);
    const before = items[i - 1];
    if (before?.deleted && continues(before, item)) {
      this.#absorb(before, item);
      items.splice(i, 1);
      item = before;
      i--;
    }
    const after = items[i + 1];
    if (after?.deleted && continues(item, after)) {
      this.#absorb(item, after);
      items.splice(i + 1, 1);
    }
  }

  /** Appends fragment `tail` (the chain successor of `head`) to `head`. */
  #absorb(head: Item, tail: Item): void {
    head.len += tail.len;
    head.next = tail.next;
    this.#agents[tail.agent]!.absorbed(head, tail);
  }

  /** Compares the document positions of two items (negative: `x` comes first). */
  compare(x: Item, y: Item): number {
    if (x.leaf !== y.leaf) return x.leaf.index - y.leaf.index;
    return x.leaf.items.indexOf(x) - y.leaf.items.indexOf(y);
  }

  /** Replaces the (empty) list with `items`, already in document order, in fresh leaves. */
  build(items: Item[]): void {
    const leaves: Leaf[] = [];
    for (let i = 0; i < items.length || leaves.length === 0; i += LEAF_FILL) {
      const leaf = new Leaf();
      leaf.index = leaves.length;
      leaf.items = items.slice(i, i + LEAF_FILL);
      for (const it of leaf.items) {
        it.leaf = leaf;
        if (!it.deleted) leaf.visible += it.len;
      }
      this.visibleLength += leaf.visible;
      leaves.push(leaf);
    }
    this.leaves = leaves;
    this.#fenwick = null;
    this.#cacheLeaf = 0;
    this.#cacheStart = 0;
  }
}

/** The highest power of two that is at most `n` (0 for 0). */
function highBit(n: number): number {
  let bit = 1;
  while (bit * 2 <= n) bit *= 2;
  return n === 0 ? 0 : bit;
}
