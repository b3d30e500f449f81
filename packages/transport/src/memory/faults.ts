import { assertNodeId, assertOptionalObject, describeValue, InvalidArgumentError, type NodeId } from '@lattice/core';

/** Faults a {@link MemoryNetwork} injects into every message; each can be changed at run time. */
export interface FaultOptions {
  /** Probability in [0, 1] that a message is lost. */
  dropRate?: number;
  /** Probability in [0, 1] that a message is delivered twice. */
  duplicateRate?: number;
  /**
   * Probability in [0, 1] that a message gets an extra random delay (up to
   * `max(10, 2 × latency.max)` ms), so later messages on the same link overtake it.
   */
  reorderRate?: number;
  /** Delivery delay in ms, drawn uniformly from [min, max] per message. */
  latency?: { min: number; max: number };
}

/** Fault settings with every field present. */
export interface ResolvedFaults {
  dropRate: number;
  duplicateRate: number;
  reorderRate: number;
  latency: { min: number; max: number };
}

export const NO_FAULTS: ResolvedFaults = Object.freeze({ dropRate: 0, duplicateRate: 0, reorderRate: 0, latency: Object.freeze({ min: 0, max: 0 }) });

/** Validates `update` and merges it over `current`. */
export function mergeFaults(current: ResolvedFaults, update: FaultOptions): ResolvedFaults {
  assertOptionalObject(update, 'faults');
  assertOptionalObject(update.latency, 'faults.latency');
  // Only the known fields are copied: a misspelt or foreign key must not ride along into `faults`.
  const next: ResolvedFaults = {
    dropRate: update.dropRate === undefined ? current.dropRate : update.dropRate,
    duplicateRate: update.duplicateRate === undefined ? current.duplicateRate : update.duplicateRate,
    reorderRate: update.reorderRate === undefined ? current.reorderRate : update.reorderRate,
    latency: update.latency === undefined ? { ...current.latency } : { min: update.latency.min, max: update.latency.max },
  };
  for (const key of ['dropRate', 'duplicateRate', 'reorderRate'] as const) {
    const value: unknown = next[key];
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      throw new InvalidArgumentError(`${key} must be a probability in [0, 1], got ${describeValue(value)}`);
    }
  }
  const { min, max }: { min: unknown; max: unknown } = next.latency;
  if (typeof min !== 'number' || typeof max !== 'number' || !(Number.isFinite(min) && Number.isFinite(max) && min >= 0 && max >= min)) {
    throw new InvalidArgumentError(`latency must satisfy 0 <= min <= max (finite numbers), got {min: ${describeValue(min)}, max: ${describeValue(max)}}`);
  }
  return next;
}

/** The kind of rule that keeps a link down. */
export type LinkBlocker = 'partition' | 'cut' | 'isolated';

/**
 * Which links are up: named partition groups, one-way cuts and isolated nodes. A message
 * from `a` to `b` passes only if no rule blocks it. Loopback (a node to itself) is never cut.
 */
export class LinkState {
  #groupOf = new Map<NodeId, string>();
  #cuts = new Set<string>();
  #isolated = new Set<NodeId>();

  /** Splits the listed nodes into named groups; nodes in different groups cannot talk. Unlisted nodes are unaffected. */
  partition(groups: Record<string, readonly NodeId[]>): void {
    if (groups === undefined) throw new InvalidArgumentError('partition needs the groups, e.g. { left: ["a"], right: ["b"] }');
    assertOptionalObject(groups, 'partition groups');
    const groupOf = new Map<NodeId, string>();
    for (const [name, members] of Object.entries(groups)) {
      if (!Array.isArray(members)) throw new InvalidArgumentError(`partition group "${name}" must be an array of node ids, got ${describeValue(members)}`);
      for (const id of members as unknown[]) {
        assertNodeId(id, `a member of partition group "${name}"`);
        const existing = groupOf.get(id);
        if (existing !== undefined && existing !== name) {
          throw new InvalidArgumentError(`Node "${id}" is in two partition groups ("${existing}" and "${name}")`);
        }
        groupOf.set(id, name);
      }
    }
    this.#groupOf = groupOf;
  }

  cut(from: NodeId, to: NodeId): void {
    assertLink(from, to);
    this.#cuts.add(linkKey(from, to));
  }

  restore(from: NodeId, to: NodeId): void {
    assertLink(from, to);
    this.#cuts.delete(linkKey(from, to));
  }

  isolate(id: NodeId): void {
    assertNodeId(id);
    this.#isolated.add(id);
  }

  heal(): void {
    this.#groupOf.clear();
    this.#cuts.clear();
    this.#isolated.clear();
  }

  allows(from: NodeId, to: NodeId): boolean {
    return this.blocker(from, to) === undefined;
  }

  /** The rule that blocks a message from `from` to `to` now, or undefined when it passes. */
  blocker(from: NodeId, to: NodeId): LinkBlocker | undefined {
    if (from === to) return undefined;
    // The common case on a hot path: no partition, cut or isolation at all.
    if (this.#isolated.size === 0 && this.#cuts.size === 0 && this.#groupOf.size === 0) return undefined;
    if (this.#isolated.has(from) || this.#isolated.has(to)) return 'isolated';
    if (this.#cuts.has(linkKey(from, to))) return 'cut';
    const a = this.#groupOf.get(from);
    const b = this.#groupOf.get(to);
    return a === undefined || b === undefined || a === b ? undefined : 'partition';
  }
}

/** Throws `InvalidArgumentError` unless both ends of a link are node ids. */
export function assertLink(from: unknown, to: unknown): void {
  assertNodeId(from, 'from');
  assertNodeId(to, 'to');
}

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}\u0000${to}`;
}
