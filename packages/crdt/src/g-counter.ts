import { DecodeError, InvalidArgumentError, type NodeId } from '@lattice/core';
import type { Reader, Writer } from './binary.js';
import { type Crdt, type CrdtTypeDescriptor, joinMismatch } from './crdt.js';
import { checkNode } from './dot-context.js';
import { CounterOverflowError, ReadOnlyReplicaError } from './errors.js';
import { expect } from './values.js';

/** Per-node totals: the state of a grow-only counter. */
export type Totals = Map<NodeId, number>;

/** @internal */
export function joinTotals(a: Totals, b: Totals): void {
  for (const [node, total] of b) if (total > (a.get(node) ?? 0)) a.set(node, total);
}

/** @internal */
export function writeTotals(w: Writer, totals: Totals): void {
  w.uint(totals.size);
  for (const [node, total] of totals) {
    w.ref(node);
    w.uint(total);
  }
}

/** @internal */
export function readTotals(r: Reader): Totals {
  const totals: Totals = new Map();
  const count = r.count(2);
  for (let i = 0; i < count; i++) {
    const node = r.ref();
    const total = r.uint();
    if (totals.has(node)) throw new DecodeError(`Node "${node}" appears twice in a counter`);
    if (total > 0) totals.set(node, total);
  }
  return totals;
}

/** @internal */
export function totalsToJSON(totals: Totals): Record<NodeId, number> {
  const json: Record<NodeId, number> = {};
  for (const node of [...totals.keys()].sort()) json[node] = totals.get(node)!;
  return json;
}

/** @internal */
export function totalsFromJSON(json: unknown, what: string): Totals {
  const totals: Totals = new Map();
  for (const [node, total] of Object.entries(expect.object(json, what))) {
    const value = expect.natural(total, `${what} total`);
    if (value > 0) totals.set(expect.node(node, `${what} node`), value);
  }
  return totals;
}

/** @internal */
export function sumTotals(totals: Totals): number {
  let sum = 0;
  for (const total of totals.values()) sum += total;
  return sum;
}

/** @internal */
export function checkAmount(amount: number): void {
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0) {
    throw new InvalidArgumentError(`amount must be a non-negative safe integer, got ${String(amount)}`);
  }
}

/** A node's new running total, refused before anything changes if it would leave the safe integers (the encoding could not write it). @internal */
export function addToTotal(current: number, amount: number, operation: string): number {
  const total = current + amount;
  if (total > Number.MAX_SAFE_INTEGER) throw new CounterOverflowError(`${operation}: this node's total would exceed 2^53 - 1`);
  return total;
}

/** @internal */
export function checkTotals(totals: unknown, what: string): asserts totals is Totals {
  if (!(totals instanceof Map)) throw new InvalidArgumentError(`${what} must be a Map of node ids to totals`);
  for (const [node, total] of totals) {
    if (typeof node !== 'string' || node.length === 0) throw new InvalidArgumentError(`${what}: node ids must be non-empty strings`);
    if (typeof total !== 'number' || !Number.isSafeInteger(total) || total < 1) throw new InvalidArgumentError(`${what}: totals must be positive safe integers, got ${String(total)}`);
  }
}

/**
 * Grow-only counter: each node counts its own increments; the value is the sum, the join
 * the per-node maximum.
 *
 * @example
 * ```ts
 * const a = new GCounter('a');
 * const b = new GCounter('b');
 * b.join(a.increment(3));
 * b.increment();
 * b.value(); // 4
 * ```
 */
export class GCounter implements Crdt<number> {
  readonly node: NodeId | undefined;
  /** @internal */
  readonly totals: Totals;

  /**
   * @param node - this replica's node id (needed to mutate; omit for a read-only state).
   * @param totals - @internal the per-node totals to wrap.
   */
  constructor(node?: NodeId, totals: Totals = new Map()) {
    checkNode(node);
    checkTotals(totals, 'GCounter totals');
    this.node = node;
    this.totals = totals;
  }

  get type(): CrdtTypeDescriptor {
    return { name: 'g-counter' };
  }

  /** Adds `amount` (default 1, never negative); returns the delta. */
  increment(amount = 1): GCounter {
    checkAmount(amount);
    if (this.node === undefined) throw new ReadOnlyReplicaError('GCounter.increment');
    const total = addToTotal(this.totals.get(this.node) ?? 0, amount, 'GCounter.increment');
    if (total > 0) this.totals.set(this.node, total);
    return new GCounter(undefined, new Map(total > 0 ? [[this.node, total]] : []));
  }

  value(): number {
    return sumTotals(this.totals);
  }

  join(other: this): this {
    if (!(other instanceof GCounter)) joinMismatch(this, other);
    joinTotals(this.totals, other.totals);
    return this;
  }

  clone(): this {
    return new GCounter(this.node, new Map(this.totals)) as this;
  }

  empty(): this {
    return new GCounter() as this;
  }

  /** @internal */
  writeState(w: Writer): void {
    writeTotals(w, this.totals);
  }

  /** @internal */
  stateToJSON(): unknown {
    return totalsToJSON(this.totals);
  }

  /** @internal */
  static readState(r: Reader): GCounter {
    return new GCounter(undefined, readTotals(r));
  }

  /** @internal */
  static stateFromJSON(json: unknown): GCounter {
    return new GCounter(undefined, totalsFromJSON(json, 'g-counter'));
  }
}
