import { assertNodeId, DecodeError, InvalidArgumentError, type NodeId } from '@lattice/core';
import type { Dot } from './dotted-version-vector.js';
import { CounterOverflowError } from './errors.js';

/**
 * A causal context: the set of dots a replica has seen, stored as a compact version vector
 * (every counter `1..n` of a node) plus a dot cloud holding the dots that arrived with gaps.
 *
 * Compaction only ever folds a contiguous run into the version vector: a cloud dot `(a, 5)` is
 * absorbed only once `(a, 1..4)` are all present. (The `delta-crdts` package raises the vector
 * to the largest cloud dot regardless of gaps, which makes a replica believe it has seen dots it
 * never received, so their later arrival is silently discarded.)
 *
 * @example
 * ```ts
 * const context = new DotContext();
 * context.add('a', 1);
 * context.add('a', 3);       // gap: 3 waits in the cloud
 * context.has('a', 2);       // false
 * context.add('a', 2);       // fills the gap: compacts to a:3
 * context.toJSON();          // { a: { max: 3, cloud: [] } }
 * ```
 *
 * `@lattice/crdt` builds its causal CRDTs (OR-Set, OR-Map, MV-Register, causal counters) and its
 * delta sync on this class and writes it in its binary format ({@link DotContext.addUpTo} and
 * {@link DotContext.cloudOf} are what a binary codec needs).
 */
export class DotContext {
  readonly #vector = new Map<NodeId, number>();
  readonly #cloud = new Map<NodeId, Set<number>>();

  /** True if `(node, counter)` has been seen. */
  has(node: NodeId, counter: number): boolean {
    if (typeof node !== 'string' || typeof counter !== 'number') throw new InvalidArgumentError('DotContext.has needs a node id and a counter');
    if (counter <= (this.#vector.get(node) ?? 0)) return true;
    return this.#cloud.get(node)?.has(counter) ?? false;
  }

  /** True if the dot has been seen. */
  hasDot(dot: Dot): boolean {
    if (typeof dot !== 'object' || dot === null) throw new InvalidArgumentError('DotContext.hasDot needs a dot { node, counter }');
    return this.has(dot.node, dot.counter);
  }

  /** Records `(node, counter)` as seen, compacting contiguous runs into the vector. */
  add(node: NodeId, counter: number): void {
    if (typeof node !== 'string' || node.length === 0) throw new InvalidArgumentError(`a dot node must be a non-empty string, got ${JSON.stringify(node) ?? typeof node}`);
    checkCounter(counter);
    const max = this.#vector.get(node) ?? 0;
    if (counter <= max) return;
    if (counter === max + 1) {
      this.#vector.set(node, counter);
      const cloud = this.#cloud.get(node);
      if (cloud !== undefined) this.#compact(node, cloud);
      return;
    }
    let cloud = this.#cloud.get(node);
    if (cloud === undefined) this.#cloud.set(node, (cloud = new Set()));
    cloud.add(counter);
  }

  /**
   * Records every counter `1..max` of `node` as seen (a version vector entry; what a decoder of
   * a compact context does). Counters below the node's contiguous maximum change nothing.
   */
  addUpTo(node: NodeId, max: number): void {
    if (typeof node !== 'string' || node.length === 0) throw new InvalidArgumentError(`a dot node must be a non-empty string, got ${JSON.stringify(node) ?? typeof node}`);
    if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 0) throw new InvalidArgumentError(`max must be a non-negative safe integer, got ${String(max)}`);
    if (max <= (this.#vector.get(node) ?? 0)) return;
    this.#vector.set(node, max);
    const cloud = this.#cloud.get(node);
    if (cloud !== undefined) this.#compact(node, cloud);
  }

  /** The largest counter of `node` seen, contiguous or not (0 if none). */
  max(node: NodeId): number {
    if (typeof node !== 'string') throw new InvalidArgumentError('DotContext.max needs a node id');
    let max = this.#vector.get(node) ?? 0;
    const cloud = this.#cloud.get(node);
    if (cloud !== undefined) for (const counter of cloud) if (counter > max) max = counter;
    return max;
  }

  /** The counter below which every dot of `node` has been seen (the compact vector entry). */
  contiguous(node: NodeId): number {
    if (typeof node !== 'string') throw new InvalidArgumentError('DotContext.contiguous needs a node id');
    return this.#vector.get(node) ?? 0;
  }

  /** The counters of `node` seen above its contiguous maximum, in ascending order (a new array). */
  cloudOf(node: NodeId): number[] {
    if (typeof node !== 'string') throw new InvalidArgumentError('DotContext.cloudOf needs a node id');
    const cloud = this.#cloud.get(node);
    return cloud === undefined ? [] : [...cloud].sort((a, b) => a - b);
  }

  /** Allocates and records the next dot of `node`. */
  next(node: NodeId): Dot {
    assertNodeId(node);
    const max = this.max(node);
    if (max >= Number.MAX_SAFE_INTEGER) throw new CounterOverflowError(`node "${node}" has used every dot counter up to 2^53 - 1`);
    const dot = { node, counter: max + 1 };
    this.add(dot.node, dot.counter);
    return dot;
  }

  /** Adds every dot of `other` (in place). */
  join(other: DotContext): this {
    checkContext(other, 'DotContext.join');
    for (const [node, counter] of other.#vector) {
      if (counter > (this.#vector.get(node) ?? 0)) this.#vector.set(node, counter);
    }
    for (const [node, cloud] of other.#cloud) {
      let mine = this.#cloud.get(node);
      if (mine === undefined) this.#cloud.set(node, (mine = new Set()));
      for (const counter of cloud) mine.add(counter);
    }
    for (const node of other.nodes()) {
      const cloud = this.#cloud.get(node);
      if (cloud !== undefined) this.#compact(node, cloud);
    }
    return this;
  }

  #compact(node: NodeId, cloud: Set<number>): void {
    let max = this.#vector.get(node) ?? 0;
    while (cloud.has(max + 1)) {
      cloud.delete(max + 1);
      max++;
    }
    if (max > 0) this.#vector.set(node, max);
    for (const counter of cloud) if (counter <= max) cloud.delete(counter);
    if (cloud.size === 0) this.#cloud.delete(node);
  }

  /** True if every dot of `other` is in this context. */
  includes(other: DotContext): boolean {
    checkContext(other, 'DotContext.includes');
    for (const [node, counter] of other.#vector) {
      if (counter > (this.#vector.get(node) ?? 0)) {
        const cloud = this.#cloud.get(node);
        if (cloud === undefined) return false;
        for (let c = (this.#vector.get(node) ?? 0) + 1; c <= counter; c++) if (!cloud.has(c)) return false;
      }
    }
    for (const [node, cloud] of other.#cloud) {
      for (const counter of cloud) if (!this.has(node, counter)) return false;
    }
    return true;
  }

  /**
   * The dots of this context that `other` lacks, or `undefined` if there are more than `limit`.
   */
  missingFrom(other: DotContext, limit = Number.POSITIVE_INFINITY): Dot[] | undefined {
    checkContext(other, 'DotContext.missingFrom');
    if (typeof limit !== 'number' || Number.isNaN(limit) || limit < 0) throw new InvalidArgumentError(`limit must be a number >= 0, got ${String(limit)}`);
    const result: Dot[] = [];
    for (const [node, max] of this.#vector) {
      for (let counter = other.contiguous(node) + 1; counter <= max; counter++) {
        if (other.has(node, counter)) continue;
        if (result.length >= limit) return undefined;
        result.push({ node, counter });
      }
    }
    for (const [node, cloud] of this.#cloud) {
      for (const counter of cloud) {
        if (other.has(node, counter)) continue;
        if (result.length >= limit) return undefined;
        result.push({ node, counter });
      }
    }
    return result;
  }

  /** True if no dot has been seen. */
  isEmpty(): boolean {
    return this.#vector.size === 0 && this.#cloud.size === 0;
  }

  /** The nodes with at least one dot. */
  nodes(): NodeId[] {
    const nodes = new Set(this.#vector.keys());
    for (const node of this.#cloud.keys()) nodes.add(node);
    return [...nodes];
  }

  /** Number of dots held in the cloud (a measure of how fragmented the context is). */
  get cloudSize(): number {
    let size = 0;
    for (const cloud of this.#cloud.values()) size += cloud.size;
    return size;
  }

  clone(): DotContext {
    const copy = new DotContext();
    for (const [node, counter] of this.#vector) copy.#vector.set(node, counter);
    for (const [node, cloud] of this.#cloud) copy.#cloud.set(node, new Set(cloud));
    return copy;
  }

  /** Canonical JSON form: nodes sorted, each with its contiguous maximum and sorted cloud. */
  toJSON(): Record<NodeId, { max: number; cloud: number[] }> {
    const result: Record<NodeId, { max: number; cloud: number[] }> = {};
    for (const node of this.nodes().sort()) {
      result[node] = { max: this.#vector.get(node) ?? 0, cloud: [...(this.#cloud.get(node) ?? [])].sort((a, b) => a - b) };
    }
    return result;
  }

  /** Reads the form {@link DotContext.toJSON} writes; throws a `DecodeError` on a bad shape. */
  static fromJSON(json: unknown): DotContext {
    const context = new DotContext();
    for (const [node, entry] of Object.entries(decodeObject(json, 'context'))) {
      if (node.length === 0) throw new DecodeError('context node must be a non-empty string');
      const fields = decodeObject(entry, `context entry of ${node}`);
      const max = fields['max'];
      if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 0) throw new DecodeError('context max must be a non-negative integer');
      if (max > 0) context.#vector.set(node, max);
      const cloud = fields['cloud'];
      if (!Array.isArray(cloud)) throw new DecodeError('context cloud must be an array');
      for (const counter of cloud as unknown[]) {
        if (typeof counter !== 'number' || !Number.isSafeInteger(counter) || counter < 1) throw new DecodeError('cloud dot must be a positive integer');
        context.add(node, counter);
      }
    }
    return context;
  }
}

function checkCounter(counter: unknown): void {
  if (typeof counter !== 'number' || !Number.isSafeInteger(counter) || counter < 1) throw new InvalidArgumentError(`a dot counter must be a positive safe integer, got ${String(counter)}`);
}

function checkContext(value: unknown, operation: string): void {
  if (!(value instanceof DotContext)) throw new InvalidArgumentError(`${operation} needs a DotContext`);
}

function decodeObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DecodeError(`${what} must be an object`);
  return value as Record<string, unknown>;
}
