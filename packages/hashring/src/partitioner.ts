import type { NodeId } from '@lattice/core';
import type { Key } from './hash-function.js';
import type { Member, MemberInput } from './member.js';
import type { Movement } from './movement.js';

/** The algorithms of this package. */
export type Algorithm = 'ring' | 'ketama' | 'rendezvous' | 'jump' | 'maglev' | 'multi-probe' | 'bounded-loads';

/** Options of {@link Partitioner.lookupN}. */
export interface LookupNOptions {
  /**
   * Pick nodes in distinct failure zones (members without a zone count as a zone of their
   * own). Throws `NotEnoughMembersError` when there are fewer zones than `n`.
   */
  readonly distinctZones?: boolean;
}

/** A snapshot value: what {@link Partitioner.snapshot} returns and `restore` accepts. */
export interface Snapshot {
  readonly format: 'lattice-hashring';
  /** Format version; `restore` rejects versions it does not know with a `DecodeError`. */
  readonly version: 1;
  readonly algorithm: Algorithm;
  /** Name of the hash function. */
  readonly hash: string;
  /** Algorithm parameters (vnodes, table size, ...), keys in sorted order. */
  readonly params: Readonly<Record<string, number | string | boolean>>;
  /** Members, sorted by id for order-independent algorithms, in placement order for `ketama` and `jump`. */
  readonly members: readonly Member[];
  /** xxHash64 (hex) of the placement the members produce; `restore` recomputes and compares it. */
  readonly fingerprint: string;
}

/**
 * The interface every placement algorithm of this package shares: look keys up, change the
 * membership and learn what moved, and take a deterministic snapshot.
 */
export interface Partitioner {
  readonly algorithm: Algorithm;
  /** Number of members. */
  readonly size: number;
  /** The members, in the order the snapshot lists them. */
  members(): Member[];
  /** True when `id` is a member. */
  has(id: NodeId): boolean;
  /** The 32-bit hash of a key, the coordinate that {@link Movement.ranges} are expressed in. */
  hashKey(key: Key): number;
  /** The owner of `key`. Throws `EmptyRingError` when there are no members. */
  lookup(key: Key): NodeId;
  /**
   * `n` distinct owners of `key` (the first is {@link Partitioner.lookup}'s), for replicas.
   * Throws `NotEnoughMembersError` when `n` exceeds the membership (or the zones).
   */
  lookupN(key: Key, n: number, options?: LookupNOptions): NodeId[];
  /** Adds a member and reports what moved. Throws `DuplicateNodeError` (from `@lattice/core`), `InvalidWeightError`. */
  add(member: MemberInput): Movement;
  /** Removes a member and reports what moved. Throws `UnknownPeerError` (from `@lattice/core`). */
  remove(id: NodeId): Movement;
  /** Changes a member's weight and reports what moved. Throws `UnknownPeerError`, `InvalidWeightError`. */
  reweight(id: NodeId, weight: number): Movement;
  /** A versioned, deterministic description of the ring. */
  snapshot(): Snapshot;
  /** {@link Partitioner.snapshot} as canonical JSON: equal strings for equal rings, in every process. */
  serialize(): string;
}
