import type { NodeId } from '@lattice/core';

/** A range of 32-bit key hashes `(start, end]` (wrapping past 2^32 − 1 when start ≥ end) that changed owner. */
export interface MovedRange {
  /** Exclusive start of the range of key hashes. */
  readonly start: number;
  /** Inclusive end of the range of key hashes. */
  readonly end: number;
  /** Owner before the change, or null when the ring was empty. */
  readonly from: NodeId | null;
  /** Owner after the change, or null when the ring became empty. */
  readonly to: NodeId | null;
}

/** The share of the key space that went from one node to another. */
export interface Transfer {
  readonly from: NodeId | null;
  readonly to: NodeId | null;
  /** Fraction of all keys, in [0, 1]. */
  readonly fraction: number;
}

/**
 * What a membership change (add, remove, reweight) moved, for planning a rebalance.
 */
export interface Movement {
  /** Fraction of the key space whose owner changed, in [0, 1]. */
  readonly fraction: number;
  /**
   * True when `fraction` and `transfers` are exact over the 32-bit key-hash space (rings,
   * Maglev); false when they are the expected value (rendezvous, jump) or a sampled estimate
   * (multi-probe).
   */
  readonly exact: boolean;
  /** Who gave keys to whom, largest first. */
  readonly transfers: readonly Transfer[];
  /**
   * For the ring algorithms: the exact key-hash ranges that changed owner, in ascending
   * order. Test a key with `partitioner.hashKey(key)`.
   */
  readonly ranges?: readonly MovedRange[];
}

/** Collects fractions per (from, to) pair and builds a {@link Movement}. */
export class MovementBuilder {
  private readonly pairs = new Map<string, { from: NodeId | null; to: NodeId | null; fraction: number }>();
  private total = 0;

  add(from: NodeId | null, to: NodeId | null, fraction: number): void {
    if (from === to || fraction <= 0) return;
    const key = JSON.stringify([from, to]);
    const entry = this.pairs.get(key);
    if (entry) entry.fraction += fraction;
    else this.pairs.set(key, { from, to, fraction });
    this.total += fraction;
  }

  build(exact: boolean, ranges?: readonly MovedRange[]): Movement {
    const transfers = [...this.pairs.values()].sort(
      (a, b) => b.fraction - a.fraction || order(String(a.from), String(b.from)) || order(String(a.to), String(b.to)),
    );
    const fraction = Math.min(1, this.total);
    return ranges === undefined ? { fraction, exact, transfers } : { fraction, exact, transfers, ranges };
  }
}

/** A movement in which nothing moved. */
export function noMovement(exact = true): Movement {
  return { fraction: 0, exact, transfers: [] };
}

/** Code-unit order: the same in every process and locale. */
function order(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
