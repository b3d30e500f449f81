import type { EdgeKind } from './types.js';

/** Edge kinds as bits, so one pair of transactions carries every reason it is ordered. */
export const WW = 1;
export const WR = 2;
export const RW = 4;
export const RT = 8;
export const PROCESS = 16;

export const KIND_BITS: readonly (readonly [number, EdgeKind])[] = [
  [WW, 'ww'],
  [WR, 'wr'],
  [RW, 'rw'],
  [RT, 'rt'],
  [PROCESS, 'process'],
];

/** Collects edges as they are inferred; duplicates are merged when the graph is frozen. */
export class EdgeCollector {
  private from = new Int32Array(1024);
  private to = new Int32Array(1024);
  private kind = new Uint8Array(1024);
  length = 0;

  add(from: number, to: number, kind: number): void {
    if (from === to) return;
    if (this.length === this.from.length) {
      const grow = <T extends Int32Array | Uint8Array>(array: T, make: (size: number) => T): T => {
        const next = make(array.length * 2);
        next.set(array);
        return next;
      };
      this.from = grow(this.from, (n) => new Int32Array(n));
      this.to = grow(this.to, (n) => new Int32Array(n));
      this.kind = grow(this.kind, (n) => new Uint8Array(n));
    }
    this.from[this.length] = from;
    this.to[this.length] = to;
    this.kind[this.length] = kind;
    this.length++;
  }

  /** Freezes into compressed adjacency: one entry per ordered pair, its kinds OR-ed together. */
  freeze(nodes: number): DependencyGraph {
    const degree = new Int32Array(nodes + 1);
    for (let i = 0; i < this.length; i++) degree[this.from[i]! + 1]!++;
    for (let i = 0; i < nodes; i++) degree[i + 1]! += degree[i]!;
    const rawTargets = new Int32Array(this.length);
    const rawKinds = new Uint8Array(this.length);
    const fill = degree.slice(0, nodes);
    for (let i = 0; i < this.length; i++) {
      const at = fill[this.from[i]!]!++;
      rawTargets[at] = this.to[i]!;
      rawKinds[at] = this.kind[i]!;
    }
    const offsets = new Int32Array(nodes + 1);
    const targets = new Int32Array(this.length);
    const kinds = new Uint8Array(this.length);
    const slot = new Int32Array(nodes).fill(-1);
    let out = 0;
    for (let u = 0; u < nodes; u++) {
      offsets[u] = out;
      const start = out;
      for (let e = degree[u]!; e < degree[u + 1]!; e++) {
        const v = rawTargets[e]!;
        const existing = slot[v]!;
        if (existing >= start) kinds[existing]! |= rawKinds[e]!;
        else {
          slot[v] = out;
          targets[out] = v;
          kinds[out] = rawKinds[e]!;
          out++;
        }
      }
    }
    offsets[nodes] = out;
    return new DependencyGraph(nodes, offsets, targets.subarray(0, out), kinds.subarray(0, out));
  }
}

/** A frozen dependency graph over transaction indices. */
export class DependencyGraph {
  constructor(
    readonly nodes: number,
    readonly offsets: Int32Array,
    readonly targets: Int32Array,
    readonly kinds: Uint8Array,
  ) {}

  get edges(): number {
    return this.targets.length;
  }

  /** The kinds of the edge from → to, 0 when there is none. */
  kindsBetween(from: number, to: number): number {
    for (let e = this.offsets[from]!; e < this.offsets[from + 1]!; e++) if (this.targets[e] === to) return this.kinds[e]!;
    return 0;
  }
}

/**
 * Tarjan's strongly connected components over the edges that carry any of the `allowed` kinds;
 * iterative (histories have 100,000s of transactions). Returns the components of more than one
 * transaction, and each transaction's component number (-1 when trivial).
 */
export function stronglyConnected(graph: DependencyGraph, allowed: number): { components: Int32Array[]; componentOf: Int32Array } {
  const n = graph.nodes;
  const { offsets, targets, kinds } = graph;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack = new Int32Array(n);
  let stackTop = 0;
  const callNode = new Int32Array(n);
  const callEdge = new Int32Array(n);
  const componentOf = new Int32Array(n).fill(-1);
  const components: Int32Array[] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    let depth = 0;
    callNode[0] = root;
    callEdge[0] = offsets[root]!;
    index[root] = low[root] = counter++;
    stack[stackTop++] = root;
    onStack[root] = 1;
    while (depth >= 0) {
      const u = callNode[depth]!;
      let e = callEdge[depth]!;
      const end = offsets[u + 1]!;
      let descended = false;
      while (e < end) {
        if ((kinds[e]! & allowed) === 0) {
          e++;
          continue;
        }
        const v = targets[e]!;
        e++;
        if (index[v] === -1) {
          callEdge[depth] = e;
          depth++;
          callNode[depth] = v;
          callEdge[depth] = offsets[v]!;
          index[v] = low[v] = counter++;
          stack[stackTop++] = v;
          onStack[v] = 1;
          descended = true;
          break;
        }
        if (onStack[v] === 1 && index[v]! < low[u]!) low[u] = index[v]!;
      }
      if (descended) continue;
      if (low[u] === index[u]) {
        let size = 0;
        for (let i = stackTop - 1; stack[i] !== u; i--) size++;
        size++;
        const members = stack.slice(stackTop - size, stackTop);
        stackTop -= size;
        for (const m of members) onStack[m] = 0;
        if (size > 1) {
          const id = components.length;
          for (const m of members) componentOf[m] = id;
          components.push(members);
        }
      }
      depth--;
      if (depth >= 0) {
        const parent = callNode[depth]!;
        if (low[u]! < low[parent]!) low[parent] = low[u]!;
      }
    }
  }
  return { components, componentOf };
}
