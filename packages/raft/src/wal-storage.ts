import type { RecordSink } from '@lattice/core';
import { decodeRaftRecord, writeRaftRecord } from './codec.js';
import type { RaftStoredState } from './raft-core.js';
import { replayRaftRecords } from './stored-state.js';
import type { HardState, RaftRecord } from './types.js';

/**
 * The part of a write-ahead log Raft storage needs. `@lattice/wal`'s `WriteAheadLog` (on disk,
 * or on the simulator's disk through the `FileSystem` seam) fits it as it is.
 */
export interface RaftLogStore {
  readonly firstIndex: number;
  readonly lastIndex: number;
  /** Appends records as consecutive indexes; resolves once all are durable. */
  append(records: readonly Uint8Array[]): Promise<number[]>;
  entries(from?: number, to?: number): AsyncIterable<{ readonly index: number; readonly data: Uint8Array }>;
  dropPrefix(index: number): Promise<void>;
}

/** Where the entries of one stored `entries` record are. */
interface EntryRecord {
  readonly position: number;
  readonly first: number;
  /** The last of its entries still live (later records may have replaced the rest). */
  last: number;
}

/**
 * A Raft node's durable storage on a write-ahead log: every record of a `Ready` that must be
 * synced is one log record, appended with the others of the same `Ready` in one write and one
 * sync (and the log's group commit batches concurrent writers). Records that need no sync (a
 * commit index that moved) wait and go with the next synced write.
 *
 * After a snapshot is stored, the log is compacted: every record before both the snapshot and
 * the first record holding an entry at or after the snapshot's index is dropped; a copy of the
 * current hard state follows the snapshot, so nothing older is needed.
 */
export class WalRaftStorage implements RecordSink<RaftRecord> {
  readonly #log: RaftLogStore;
  #deferred: RaftRecord[] = [];
  #hardState: HardState | undefined;
  #entryRecords: EntryRecord[] = [];

  private constructor(log: RaftLogStore) {
    this.#log = log;
  }

  /** Reads a node's records back: the storage to write to, and the state to start the core from. */
  static async open(log: RaftLogStore): Promise<{ storage: WalRaftStorage; stored: RaftStoredState }> {
    const storage = new WalRaftStorage(log);
    const records: RaftRecord[] = [];
    if (log.lastIndex >= log.firstIndex) {
      for await (const { index, data } of log.entries(log.firstIndex, log.lastIndex)) {
        const record = decodeRaftRecord(data);
        records.push(record);
        storage.#track(record, index);
      }
    }
    return { storage, stored: replayRaftRecords(records) };
  }

  persist(records: readonly RaftRecord[], options: { readonly sync: boolean }): void | Promise<void> {
    if (!options.sync) {
      // Losing these is allowed (a commit index is learnt again from the leader).
      this.#deferred.push(...records);
      return undefined;
    }
    const all: RaftRecord[] = [];
    for (const record of [...this.#deferred, ...records]) {
      all.push(record);
      if (record.type === 'hardState') this.#hardState = record.hardState;
      if (record.type === 'snapshot' && this.#hardState !== undefined) all.push({ type: 'hardState', hardState: this.#hardState });
    }
    this.#deferred = [];
    return this.#write(all);
  }

  async #write(records: RaftRecord[]): Promise<void> {
    const positions = await this.#log.append(records.map(writeRaftRecord));
    let snapshotAt: { position: number; index: number } | undefined;
    records.forEach((record, i) => {
      const position = positions[i]!;
      this.#track(record, position);
      if (record.type === 'snapshot') snapshotAt = { position, index: record.snapshot.meta.index };
    });
    if (snapshotAt !== undefined) await this.#compact(snapshotAt.position, snapshotAt.index);
  }

  #track(record: RaftRecord, position: number): void {
    if (record.type === 'hardState') this.#hardState = record.hardState;
    if (record.type === 'entries' && record.entries.length > 0) {
      const first = record.entries[0]!.index;
      // Later records replace stored entries from their first index on. The records are kept in
      // order of `first` and do not overlap, so only the tail can be affected: trimming it from
      // the end keeps each write O(1) instead of a pass over every record since the last snapshot.
      const records = this.#entryRecords;
      while (records.length > 0 && records[records.length - 1]!.first >= first) records.pop();
      for (let i = records.length - 1; i >= 0 && records[i]!.last >= first; i--) records[i]!.last = first - 1;
      records.push({ position, first, last: record.entries[record.entries.length - 1]!.index });
    }
  }

  async #compact(snapshotPosition: number, snapshotIndex: number): Promise<void> {
    let keepFrom = snapshotPosition;
    for (const record of this.#entryRecords) {
      if (record.last >= snapshotIndex) {
        keepFrom = Math.min(keepFrom, record.position);
        break;
      }
    }
    this.#entryRecords = this.#entryRecords.filter((r) => r.position >= keepFrom);
    if (keepFrom > this.#log.firstIndex) await this.#log.dropPrefix(keepFrom);
  }
}
