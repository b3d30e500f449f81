import { assertInteger, assertObject, describeValue, InvalidArgumentError } from '@lattice/core';
import type { RaftStoredState } from './raft-core.js';
import type { Entry, HardState, RaftRecord, Snapshot } from './types.js';

/**
 * Rebuilds what a node had on disk from its records, in the order they were persisted: entries
 * replace any stored entry at or after their first index, the last hard state wins, and a
 * snapshot drops the entries it covers.
 */
export function replayRaftRecords(records: Iterable<RaftRecord>): RaftStoredState {
  if (typeof (records as { [Symbol.iterator]?: unknown } | null)?.[Symbol.iterator] !== 'function' || typeof records === 'string') {
    throw new InvalidArgumentError(`replayRaftRecords needs an iterable of Raft records, got ${describeValue(records)}`);
  }
  let hardState: HardState | undefined;
  let snapshot: Snapshot | undefined;
  let entries: Entry[] = [];
  let position = 0;
  for (const record of records) {
    checkRecord(record, position++);
    if (record.type === 'hardState') {
      hardState = record.hardState;
    } else if (record.type === 'snapshot') {
      const { index } = record.snapshot.meta;
      if (snapshot !== undefined && index <= snapshot.meta.index) continue;
      snapshot = record.snapshot;
      const kept = entries.filter((entry) => entry.index > index);
      // A received snapshot whose last entry we do not hold replaces the whole log.
      const last = entries.find((entry) => entry.index === index);
      entries = last !== undefined && last.term === record.snapshot.meta.term ? kept : [];
    } else if (record.entries.length > 0) {
      const first = record.entries[0]!.index;
      const base = snapshot?.meta.index ?? 0;
      entries = entries.filter((entry) => entry.index < first);
      for (const entry of record.entries) if (entry.index > base) entries.push(entry);
    }
  }
  return {
    ...(hardState === undefined ? {} : { hardState }),
    ...(snapshot === undefined ? {} : { snapshot }),
    entries,
  };
}

/** Throws `InvalidArgumentError` unless `record` has the shape replay reads. */
function checkRecord(record: unknown, position: number): void {
  const what = `record ${position}`;
  assertObject(record, what);
  const r = record as { type?: unknown; entries?: unknown; hardState?: unknown; snapshot?: { meta?: unknown } };
  if (r.type === 'entries') {
    if (!Array.isArray(r.entries)) throw new InvalidArgumentError(`${what}: entries must be an array, got ${describeValue(r.entries)}`);
    for (const [i, entry] of r.entries.entries()) {
      assertObject(entry, `${what}, entry ${i}`);
      assertInteger((entry as Entry).index, `${what}, entry ${i} index`, 1);
      assertInteger((entry as Entry).term, `${what}, entry ${i} term`, 0);
    }
  } else if (r.type === 'hardState') {
    assertObject(r.hardState, `${what}: hardState`);
  } else if (r.type === 'snapshot') {
    assertObject(r.snapshot, `${what}: snapshot`);
    assertObject(r.snapshot.meta, `${what}: snapshot.meta`);
    assertInteger((r.snapshot.meta as Snapshot['meta']).index, `${what}: snapshot index`, 0);
    assertInteger((r.snapshot.meta as Snapshot['meta']).term, `${what}: snapshot term`, 0);
  } else {
    throw new InvalidArgumentError(`${what}: type must be 'entries', 'hardState' or 'snapshot', got ${describeValue(r.type)}`);
  }
}
