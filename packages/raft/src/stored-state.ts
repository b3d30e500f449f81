import type { RaftStoredState } from './raft-core.js';
import type { Entry, HardState, RaftRecord, Snapshot } from './types.js';

/**
 * Rebuilds what a node had on disk from its records, in the order they were persisted: entries
 * replace any stored entry at or after their first index, the last hard state wins, and a
 * snapshot drops the entries it covers.
 */
export function replayRaftRecords(records: Iterable<RaftRecord>): RaftStoredState {
  let hardState: HardState | undefined;
  let snapshot: Snapshot | undefined;
  let entries: Entry[] = [];
  for (const record of records) {
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
