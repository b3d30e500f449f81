import { InvalidArgumentError } from '@lattice/core';
import type { Gid, ParticipantRecord } from './types.js';

/**
 * How many of a participant's log records, from the oldest, are no longer needed: each belongs
 * to a transaction that a later `forgotten` record in `records` closes (the `forgotten` record
 * included). The first record still needed — of an open transaction, or a settled one not yet
 * announced forgotten — ends the prefix. Dropping it (`dropPrefix`) suits only a resource that
 * keeps committed work durably itself (PostgreSQL), and only once the resource has carried out
 * the gids' commits and aborts: a participant rebuilt from its log (`MemoryKv`) would lose the
 * dropped transactions' work. `released`, when given, says which forgotten gids the resource has
 * carried out (a `forget` effect done): only their `forgotten` records close anything. Runs in
 * one pass from the newest record. A value that is not a list of records is an `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * const drop = compactablePrefix(records); // records[0 .. drop) may go
 * ```
 */
export function compactablePrefix(records: readonly ParticipantRecord[], released?: (gid: Gid) => boolean): number {
  if (!Array.isArray(records)) throw new InvalidArgumentError('compactablePrefix needs a list of participant records');
  if (released !== undefined && typeof released !== 'function') throw new InvalidArgumentError('compactablePrefix: released must be a function');
  const closed = new Set<string>();
  let prefix = records.length;
  for (let i = records.length - 1; i >= 0; i--) {
    const record: unknown = records[i];
    if (typeof record !== 'object' || record === null || typeof (record as { gid?: unknown }).gid !== 'string') {
      throw new InvalidArgumentError(`compactablePrefix: record ${i} is not a participant record`);
    }
    const { type, gid } = record as ParticipantRecord;
    if (type === 'forgotten' && (released === undefined || released(gid))) closed.add(gid);
    else if (!closed.has(gid)) prefix = i;
  }
  return prefix;
}
