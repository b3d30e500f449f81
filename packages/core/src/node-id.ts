import { InvalidArgumentError } from './errors.js';

/**
 * The identity of a node (a process taking part in a protocol): a non-empty string of at
 * most {@link MAX_NODE_ID_LENGTH} characters without control characters, unique in its cluster.
 */
export type NodeId = string;

/** The longest node id accepted, in UTF-16 code units. */
export const MAX_NODE_ID_LENGTH = 255;

/**
 * Ids up to this length are checked by a loop over their code units, longer ones by a regular
 * expression: measured (`bench/node-id.ts`), the loop is about twice as fast on ids of a few
 * characters, the two are even around a dozen, and the expression's compiled scan wins on ids
 * of 40 characters and more.
 */
const LOOP_LIMIT = 32;
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * True when `value` is a valid {@link NodeId}. It runs for every id a decoder reads and every
 * message a transport routes, so it is kept cheap (see `LOOP_LIMIT`).
 *
 * @example
 * ```ts
 * isNodeId('node-1'); // true
 * isNodeId('a\nb'); // false: a control character
 * ```
 */
export function isNodeId(value: unknown): value is NodeId {
  if (typeof value !== 'string') return false;
  const length = value.length;
  if (length === 0 || length > MAX_NODE_ID_LENGTH) return false;
  if (length > LOOP_LIMIT) return !CONTROL_CHARACTER.test(value);
  for (let i = 0; i < length; i++) {
    const unit = value.charCodeAt(i);
    if (unit < 0x20 || unit === 0x7f) return false;
  }
  return true;
}

/** Throws an `InvalidArgumentError` unless `value` is a valid {@link NodeId} (see {@link isNodeId}). */
export function assertNodeId(value: unknown, what = 'node id'): asserts value is NodeId {
  if (!isNodeId(value)) {
    throw new InvalidArgumentError(
      `${what} must be a non-empty string of at most ${MAX_NODE_ID_LENGTH} characters without control characters, got ${JSON.stringify(value)}`,
    );
  }
}
