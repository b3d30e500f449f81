import { InvalidArgumentError } from './errors.js';

/**
 * The identity of a node (a process taking part in a protocol): a non-empty string of at
 * most {@link MAX_NODE_ID_LENGTH} characters without control characters, unique in its cluster.
 */
export type NodeId = string;

/** The longest node id accepted, in UTF-16 code units. */
export const MAX_NODE_ID_LENGTH = 255;

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Throws an `InvalidArgumentError` unless `value` is a valid {@link NodeId}. */
export function assertNodeId(value: unknown, what = 'node id'): asserts value is NodeId {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NODE_ID_LENGTH || CONTROL_CHARACTERS.test(value)) {
    throw new InvalidArgumentError(
      `${what} must be a non-empty string of at most ${MAX_NODE_ID_LENGTH} characters without control characters, got ${JSON.stringify(value)}`,
    );
  }
}
