import type { NodeId } from '@lattice/core';
import type { Reader, Writer } from './binary.js';
import { type Crdt, type CrdtTypeDescriptor, joinMismatch } from './crdt.js';
import { checkNode } from './dot-context.js';
import { ReadOnlyReplicaError } from './errors.js';
import { addToTotal, checkAmount, checkTotals, joinTotals, readTotals, sumTotals, type Totals, totalsFromJSON, totalsToJSON, writeTotals } from './g-counter.js';
import { expect } from './values.js';

/**
 * Positive-negative counter: two grow-only counters, one of increments and one of decrements.
 *
 * @example
 * ```ts
 * const a = new PNCounter('a');
 * const b = new PNCounter('b');
 * b.join(a.increment(5));
 * b.join(b.decrement(2));
 * b.value(); // 3
 * ```
 */
export class PNCounter implements Crdt<number> {
  readonly node: NodeId | undefined;
  /** @internal */
  readonly increments: Totals;
  /** @internal */
  readonly decrements: Totals;

  /**
   * @param node - this replica's node id (needed to mutate; omit for a read-only state).
   * @param increments - @internal the per-node increments to wrap.
   * @param decrements - @internal the per-node decrements to wrap.
   */
  constructor(node?: NodeId, increments: Totals = new Map(), decrements: Totals = new Map()) {
    checkNode(node);
    checkTotals(increments, 'PNCounter increments');
    checkTotals(decrements, 'PNCounter decrements');
    this.node = node;
    this.increments = increments;
    this.decrements = decrements;
  }

  get type(): CrdtTypeDescriptor {
    return { name: 'pn-counter' };
  }

  /** Adds `amount` (a safe integer; negative amounts decrement); returns the delta. */
  increment(amount = 1): PNCounter {
    if (typeof amount === 'number' && amount < 0) return this.decrement(-amount);
    return this.#bump(this.increments, amount, 'PNCounter.increment', true);
  }

  /** Subtracts `amount`; returns the delta. */
  decrement(amount = 1): PNCounter {
    if (typeof amount === 'number' && amount < 0) return this.increment(-amount);
    return this.#bump(this.decrements, amount, 'PNCounter.decrement', false);
  }

  #bump(totals: Totals, amount: number, operation: string, positive: boolean): PNCounter {
    checkAmount(amount);
    if (this.node === undefined) throw new ReadOnlyReplicaError(operation);
    const total = addToTotal(totals.get(this.node) ?? 0, amount, operation);
    if (total > 0) totals.set(this.node, total);
    const delta: Totals = new Map(total > 0 ? [[this.node, total]] : []);
    return positive ? new PNCounter(undefined, delta) : new PNCounter(undefined, new Map(), delta);
  }

  value(): number {
    return sumTotals(this.increments) - sumTotals(this.decrements);
  }

  join(other: this): this {
    if (!(other instanceof PNCounter)) joinMismatch(this, other);
    joinTotals(this.increments, other.increments);
    joinTotals(this.decrements, other.decrements);
    return this;
  }

  clone(): this {
    return new PNCounter(this.node, new Map(this.increments), new Map(this.decrements)) as this;
  }

  empty(): this {
    return new PNCounter() as this;
  }

  /** @internal */
  writeState(w: Writer): void {
    writeTotals(w, this.increments);
    writeTotals(w, this.decrements);
  }

  /** @internal */
  stateToJSON(): unknown {
    return { p: totalsToJSON(this.increments), n: totalsToJSON(this.decrements) };
  }

  /** @internal */
  static readState(r: Reader): PNCounter {
    const increments = readTotals(r);
    return new PNCounter(undefined, increments, readTotals(r));
  }

  /** @internal */
  static stateFromJSON(json: unknown): PNCounter {
    const fields = expect.object(json, 'pn-counter');
    return new PNCounter(undefined, totalsFromJSON(fields['p'], 'pn-counter p'), totalsFromJSON(fields['n'], 'pn-counter n'));
  }
}
