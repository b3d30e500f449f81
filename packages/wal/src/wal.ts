import type { AbortOptions } from '@lattice/core';

/** One record of the log with its index. */
export interface WalEntry {
  /** The record's index: consecutive, starting at the log's first index. */
  readonly index: number;
  /** The record's bytes, exactly as appended. */
  readonly data: Uint8Array;
}

/**
 * A durable, append-only sequence of byte records with consecutive indexes, plus one small
 * metadata value (for Raft: the current term and vote). Implemented on disk by
 * {@link openWal} and in memory by {@link MemoryWal}; both pass the same compliance suite
 * (`runWalTests` from `@lattice/wal/compliance`).
 *
 * Indexes start at 1 in a new log. `firstIndex` is the first record still held and `lastIndex`
 * the last one; an empty log has `lastIndex === firstIndex - 1`. The next append gets
 * `lastIndex + 1`.
 *
 * Operations are applied in the order they are called: appends made while a sync is in
 * flight are written together and share the next one (group commit), and `truncateSuffix`,
 * `dropPrefix` and `setMetadata` run after every append called before them.
 *
 * @example
 * ```ts
 * import { openWal } from '@lattice/wal';
 *
 * const wal = await openWal('./data/log');
 * const index = await wal.append(new TextEncoder().encode('hello')); // on disk when this resolves
 * const bytes = await wal.read(index);
 * for await (const { index: i, data } of wal.entries(wal.firstIndex)) console.log(i, data.length);
 * await wal.close();
 * ```
 */
export interface WriteAheadLog {
  /** Index of the first record held (after compaction), or `lastIndex + 1` when the log is empty. */
  readonly firstIndex: number;
  /** Index of the last durable record, or `firstIndex - 1` when the log is empty. */
  readonly lastIndex: number;

  /**
   * Appends one record; resolves with its index once it is durable (on disk and fsynced).
   * Do not modify the bytes until the promise settles. Aborting before the record is taken
   * into a write rejects with an `AbortError` and writes nothing; once the write has started,
   * the signal is ignored and the append completes.
   */
  append(record: Uint8Array, options?: AbortOptions): Promise<number>;
  /** Appends records as consecutive indexes in one write; resolves with their indexes once all are durable. */
  append(records: readonly Uint8Array[], options?: AbortOptions): Promise<number[]>;

  /** The record at `index`; rejects with `IndexOutOfRangeError` outside `[firstIndex, lastIndex]`. */
  read(index: number, options?: AbortOptions): Promise<Uint8Array>;

  /**
   * Iterates the records `from..to` (inclusive; defaults: `firstIndex`, and `lastIndex` at the
   * time of the call). Throws `IndexOutOfRangeError` if the range is outside the log, or if
   * records vanish (truncation, compaction) while iterating.
   */
  entries(from?: number, to?: number, options?: AbortOptions): AsyncIterableIterator<WalEntry>;

  /**
   * Discards every record after `index` (a Raft follower dropping a conflicting tail), durably:
   * when it resolves, a reopen shows `lastIndex === index`. A no-op when `index >= lastIndex`;
   * `IndexOutOfRangeError` when `index < firstIndex - 1`. A crash during it leaves the log
   * somewhere between the old and the new last index, never with a hole.
   */
  truncateSuffix(index: number, options?: AbortOptions): Promise<void>;

  /**
   * Discards every record before `index` (compaction after a snapshot), durably: when it
   * resolves, a reopen shows `firstIndex === index`. A no-op when `index <= firstIndex`.
   * When `index > lastIndex + 1` the log becomes empty and the next append gets `index`
   * (installing a snapshot beyond the log's end).
   */
  dropPrefix(index: number, options?: AbortOptions): Promise<void>;

  /** The metadata value last set (and made durable), or `undefined` if never set. */
  getMetadata(): Uint8Array | undefined;

  /** Replaces the metadata value atomically and durably: a crash leaves either the old or the new value. */
  setMetadata(value: Uint8Array, options?: AbortOptions): Promise<void>;

  /** Waits for operations already called, then releases the log (and its lock). Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
