import { assertNodeId, InvalidArgumentError, type NodeId } from '@lattice/core';
import { InvalidWeightError } from './errors.js';

/** A member as given to a partitioner: an id, or an id with a weight and a failure zone. */
export type MemberInput = NodeId | { readonly id: NodeId; readonly weight?: number; readonly zone?: string };

/** A member of a partitioner. */
export interface Member {
  /** The node id. */
  readonly id: NodeId;
  /** Relative capacity: twice the weight takes about twice the keys. Default 1. */
  readonly weight: number;
  /** Failure zone (rack, availability zone) used by `lookupN(..., { distinctZones: true })`. */
  readonly zone?: string;
  /**
   * Ketama only: a fixed number of point hashes for this member instead of the weighted
   * share, as `hashring`'s `{ vnodes }` server option.
   */
  readonly vnodes?: number;
}

/** Validates a weight: a finite number greater than zero. */
export function checkWeight(id: string, weight: unknown): number {
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) throw new InvalidWeightError(id, weight);
  return weight;
}

/** Validates and normalises a {@link MemberInput}. */
export function toMember(input: MemberInput): Member {
  if (typeof input === 'string') {
    assertNodeId(input, 'member id');
    return { id: input, weight: 1 };
  }
  if (typeof input !== 'object' || input === null) {
    throw new InvalidArgumentError(`member must be a node id or { id, weight?, zone? }, got ${JSON.stringify(input)}`);
  }
  assertNodeId(input.id, 'member id');
  const weight = input.weight === undefined ? 1 : checkWeight(input.id, input.weight);
  if (input.zone === undefined) return { id: input.id, weight };
  if (typeof input.zone !== 'string' || input.zone === '') {
    throw new InvalidArgumentError(`zone of member "${input.id}" must be a non-empty string, got ${JSON.stringify(input.zone)}`);
  }
  return { id: input.id, weight, zone: input.zone };
}

/** Orders node ids by UTF-16 code units: the same order in every process and locale. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
