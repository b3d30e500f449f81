import { DuplicateNodeError, UnknownPeerError } from '@lattice/core';

/*
 * A ring's membership is a set of node ids, so its two membership errors are core's node-id
 * errors (one class per concept across Lattice), with messages that say "member".
 */

/** The error for adding `id` when it is already a member. */
export function duplicateMember(id: string): DuplicateNodeError {
  return new DuplicateNodeError(id, { message: `Node "${id}" is already a member` });
}

/** The error for naming `id` when it is not a member. */
export function unknownMember(id: string): UnknownPeerError {
  return new UnknownPeerError(id, { message: `Node "${id}" is not a member` });
}
