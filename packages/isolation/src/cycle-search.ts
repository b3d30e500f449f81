import { type DependencyGraph, KIND_BITS, PROCESS, RT, RW, stronglyConnected, WR, WW } from './graph.js';
import type { CycleAnomalyType, EdgeKind } from './types.js';

/** A cycle as found: transactions in order and the kind that links each to the next. */
export interface FoundCycle {
  readonly type: CycleAnomalyType;
  readonly nodes: readonly number[];
  readonly kinds: readonly EdgeKind[];
}

/**
 * One class of cycle: which kinds of edge it may use, how many anti-dependencies it needs,
 * and whether it must use a realtime or process edge. The search state of a path is
 * (transaction, anti-dependencies so far capped at 2, used a wr edge, used an order edge).
 */
interface CycleClass {
  readonly base: 'G0' | 'G1c' | 'G-single' | 'G2-item';
  readonly allowed: number;
  readonly rw: 0 | 1 | 2;
  readonly needsWr: boolean;
  readonly needsOrder: boolean;
  /** Kind a cycle must start with (the rarest it needs), to pick starting points. */
  readonly startKind: number;
}

const ORDER = RT | PROCESS;
const BASE_CLASSES: readonly CycleClass[] = [
  { base: 'G0', allowed: WW, rw: 0, needsWr: false, needsOrder: false, startKind: WW },
  { base: 'G1c', allowed: WW | WR, rw: 0, needsWr: true, needsOrder: false, startKind: WR },
  { base: 'G-single', allowed: WW | WR | RW, rw: 1, needsWr: false, needsOrder: false, startKind: RW },
  { base: 'G2-item', allowed: WW | WR | RW, rw: 2, needsWr: false, needsOrder: false, startKind: RW },
];

const STATES = 16;
const RW_MASK = 3;
const SAW_WR = 4;
const SAW_ORDER = 8;

/** Limits that keep the search near-linear on huge, densely broken histories. */
export interface CycleSearchLimits {
  /** Starting transactions tried per component and class; the shortest cycle found wins. */
  readonly startsPerComponent: number;
  /** Search states expanded per component and class before settling for the best so far. */
  readonly expansionsPerComponent: number;
}

export const DEFAULT_LIMITS: CycleSearchLimits = { startsPerComponent: 24, expansionsPerComponent: 400_000 };

/**
 * Finds, for every cycle class and every strongly connected component of the edges that class
 * may use, the shortest cycle of that class through a few well-chosen transactions (BFS over
 * path states), as Elle does: Tarjan first, so that acyclic parts cost nothing.
 */
export function findCycles(graph: DependencyGraph, withOrder: boolean, limits: CycleSearchLimits = DEFAULT_LIMITS): FoundCycle[] {
  const classes: CycleClass[] = [...BASE_CLASSES];
  if (withOrder) {
    for (const c of BASE_CLASSES) classes.push({ ...c, allowed: c.allowed | ORDER, needsOrder: true, startKind: ORDER });
  }
  const search = new StateSearch(graph);
  const found: FoundCycle[] = [];
  const sccCache = new Map<number, ReturnType<typeof stronglyConnected>>();
  for (const cls of classes) {
    let scc = sccCache.get(cls.allowed);
    if (scc === undefined) {
      scc = stronglyConnected(graph, cls.allowed);
      sccCache.set(cls.allowed, scc);
    }
    for (let id = 0; id < scc.components.length; id++) {
      const members = scc.components[id]!;
      const starts = startingPoints(graph, members, scc.componentOf, id, cls, limits.startsPerComponent);
      let best: FoundCycle | undefined;
      let budget = limits.expansionsPerComponent;
      for (const start of starts) {
        if (budget <= 0) break;
        const maxLength = best === undefined ? Number.POSITIVE_INFINITY : best.nodes.length - 1;
        if (maxLength < 2) break;
        const { cycle, expanded } = search.shortest(start, cls, scc.componentOf, id, maxLength, budget);
        budget -= expanded;
        if (cycle !== undefined) best = cycle;
      }
      if (best !== undefined) found.push(best);
    }
  }
  return found;
}

function startingPoints(graph: DependencyGraph, members: Int32Array, componentOf: Int32Array, id: number, cls: CycleClass, max: number): number[] {
  const starts: number[] = [];
  for (const u of members) {
    for (let e = graph.offsets[u]!; e < graph.offsets[u + 1]!; e++) {
      if ((graph.kinds[e]! & cls.startKind) !== 0 && componentOf[graph.targets[e]!] === id) {
        starts.push(u);
        break;
      }
    }
    if (starts.length >= max) break;
  }
  return starts;
}

class StateSearch {
  private readonly seen: Int32Array;
  private readonly parent: Int32Array;
  private readonly via: Uint8Array;
  private readonly queue: Int32Array;
  private generation = 0;

  constructor(private readonly graph: DependencyGraph) {
    const size = graph.nodes * STATES;
    this.seen = new Int32Array(size);
    this.parent = new Int32Array(size);
    this.via = new Uint8Array(size);
    this.queue = new Int32Array(size);
  }

  shortest(start: number, cls: CycleClass, componentOf: Int32Array, id: number, maxLength: number, budget: number): { cycle: FoundCycle | undefined; expanded: number } {
    const { offsets, targets, kinds } = this.graph;
    const generation = ++this.generation;
    const seen = this.seen;
    let head = 0;
    let tail = 0;
    const origin = start * STATES;
    seen[origin] = generation;
    this.parent[origin] = -1;
    this.queue[tail++] = origin;
    // Depth by BFS layer, to stop once paths are longer than the best cycle already known.
    let layerEnd = tail;
    let depth = 0;
    let expanded = 0;
    while (head < tail) {
      if (head === layerEnd) {
        depth++;
        layerEnd = tail;
        if (depth >= maxLength) break;
      }
      const at = this.queue[head++]!;
      const u = (at / STATES) | 0;
      const state = at % STATES;
      expanded++;
      if (expanded > budget) break;
      for (let e = offsets[u]!; e < offsets[u + 1]!; e++) {
        const v = targets[e]!;
        if (componentOf[v] !== id) continue;
        const usable = kinds[e]! & cls.allowed;
        if (usable === 0) continue;
        for (const [bit] of KIND_BITS) {
          if ((usable & bit) === 0) continue;
          const next = transition(state, bit, cls);
          if (next < 0) continue;
          if (v === start) {
            if (accepts(next, cls)) return { cycle: this.rebuild(at, bit, start, cls), expanded };
            continue;
          }
          const key = v * STATES + next;
          if (seen[key] === generation) continue;
          seen[key] = generation;
          this.parent[key] = at;
          this.via[key] = bit;
          this.queue[tail++] = key;
        }
      }
    }
    return { cycle: undefined, expanded };
  }

  private rebuild(last: number, closingBit: number, start: number, cls: CycleClass): FoundCycle {
    const nodes: number[] = [];
    const bits: number[] = [closingBit];
    for (let at = last; at !== -1; at = this.parent[at]!) {
      nodes.push((at / STATES) | 0);
      if (this.parent[at] !== -1) bits.push(this.via[at]!);
    }
    nodes.reverse();
    bits.reverse();
    nodes.push(start);
    const kinds = bits.map((bit) => KIND_BITS.find(([b]) => b === bit)![1]);
    let type: string = cls.base;
    if (cls.needsOrder) type += kinds.includes('rt') ? '-realtime' : '-process';
    return { type: type as CycleAnomalyType, nodes, kinds };
  }
}

function transition(state: number, bit: number, cls: CycleClass): number {
  if (bit === WR) return state | SAW_WR;
  if (bit === RT || bit === PROCESS) return state | SAW_ORDER;
  if (bit === RW) {
    const count = (state & RW_MASK) + 1;
    if (cls.rw === 1 && count > 1) return -1;
    return (state & ~RW_MASK) | Math.min(count, 2);
  }
  return state;
}

function accepts(state: number, cls: CycleClass): boolean {
  if ((state & RW_MASK) !== cls.rw) return false;
  if (cls.needsWr && (state & SAW_WR) === 0) return false;
  if (cls.needsOrder && (state & SAW_ORDER) === 0) return false;
  return true;
}
