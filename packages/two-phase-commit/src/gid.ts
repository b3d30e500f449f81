import { describeValue } from '@lattice/core';
import { InvalidGidError } from './errors.js';

/** Longest global transaction id, in UTF-8 bytes (PostgreSQL's `PREPARE TRANSACTION` limit is 200). */
export const MAX_GID_BYTES = 200;

const encoder = new TextEncoder();

/** Why `gid` is not a valid global transaction id, or undefined when it is. */
export function gidProblem(gid: unknown): string | undefined {
  if (typeof gid !== 'string') return `a gid must be a string, got ${describeValue(gid)}`;
  if (gid.length === 0) return 'a gid must not be empty';
  const bytes = encoder.encode(gid).length;
  if (bytes > MAX_GID_BYTES) return `a gid must be at most ${MAX_GID_BYTES} bytes of UTF-8, got ${bytes}`;
  return undefined;
}

/** Throws `InvalidGidError` unless `gid` is 1–200 bytes of UTF-8. */
export function assertGid(gid: unknown): asserts gid is string {
  const problem = gidProblem(gid);
  if (problem !== undefined) throw new InvalidGidError(problem);
}
