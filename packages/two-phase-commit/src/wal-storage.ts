import { type Codec, InvalidArgumentError, type RecordSink } from '@lattice/core';

/**
 * The part of a write-ahead log the two-phase commit storage needs (the same shape as
 * `@lattice/raft`'s `RaftLogStore`): `@lattice/wal`'s `WriteAheadLog` — on disk through
 * `openWal`, or on the simulator's disk — fits it as it is.
 */
export interface TwoPhaseLogStore {
  readonly firstIndex: number;
  readonly lastIndex: number;
  /** Appends records as consecutive indexes; resolves once all are durable. */
  append(records: readonly Uint8Array[]): Promise<number[]>;
  entries(from?: number, to?: number): AsyncIterable<{ readonly index: number; readonly data: Uint8Array }>;
  /** Drops every record below `index` (needed by {@link WalRecordStorage.compact}). */
  dropPrefix?(index: number): Promise<void>;
}

/** Options of {@link WalRecordStorage.open}. */
export interface WalRecordStorageOptions {
  /**
   * Keep the records that are in the log (decoded, in memory) so that {@link WalRecordStorage.compact}
   * can drop a prefix of them. Only for logs that compaction keeps short. Default false.
   */
  compactable?: boolean;
}

/**
 * A coordinator's or participant's durable storage on a write-ahead log. Every `Ready` that must
 * be synced is one append (one write, one sync), and the log's group commit batches the appends
 * of concurrent transactions; records that need no sync (an abort, a `forget`) wait and go with
 * the next synced append, or with {@link WalRecordStorage.flush}. Losing them in a crash is
 * allowed: presumed abort reads a missing record as abort, and a lost `forget` only re-drives an
 * acknowledged decision, which participants acknowledge again.
 */
export class WalRecordStorage<R> implements RecordSink<R> {
  readonly #log: TwoPhaseLogStore;
  readonly #codec: Codec<R>;
  #deferred: R[] = [];
  /** With `compactable`: the records in the log (or being appended), oldest first, from index `#base`. */
  readonly #kept: R[] | undefined;
  #base: number;
  /** The log index after the last durable record. */
  #durableEnd: number;
  #compacting: Promise<number> = Promise.resolve(0);

  private constructor(log: TwoPhaseLogStore, codec: Codec<R>, kept?: R[], base = 0) {
    this.#log = log;
    this.#codec = codec;
    this.#kept = kept;
    this.#base = base;
    this.#durableEnd = base + (kept?.length ?? 0);
  }

  /** Reads the records back (oldest first) and returns the storage to write after them. */
  static async open<R>(log: TwoPhaseLogStore, codec: Codec<R>, options: WalRecordStorageOptions = {}): Promise<{ storage: WalRecordStorage<R>; records: R[] }> {
    const records: R[] = [];
    if (log.lastIndex >= log.firstIndex) {
      for await (const { data } of log.entries(log.firstIndex, log.lastIndex)) records.push(codec.decode(data));
    }
    if (options.compactable === true && typeof log.dropPrefix !== 'function') throw new InvalidArgumentError('A compactable WalRecordStorage needs a log with dropPrefix()');
    return { storage: new WalRecordStorage(log, codec, options.compactable === true ? [...records] : undefined, log.firstIndex), records };
  }

  /** True when opened with `compactable`. */
  get compactable(): boolean {
    return this.#kept !== undefined;
  }

  /** With `compactable`: how many records the log holds from its first index (durable ones). */
  get length(): number {
    return this.#durableEnd - this.#base;
  }

  /**
   * With `compactable`: drops the oldest durable records, as many as `prefix` says of them
   * (oldest first), with the log's `dropPrefix`. Calls run one at a time; resolves to how many
   * records went.
   */
  compact(prefix: (records: readonly R[]) => number): Promise<number> {
    const kept = this.#kept;
    if (kept === undefined) return Promise.reject(new InvalidArgumentError('compact() needs a WalRecordStorage opened with compactable'));
    const run = async (): Promise<number> => {
      const durable = this.#durableEnd - this.#base;
      const count = Math.min(prefix(kept.slice(0, durable)), durable);
      if (!(count > 0)) return 0;
      await this.#log.dropPrefix!(this.#base + count);
      kept.splice(0, count);
      this.#base += count;
      return count;
    };
    const next = this.#compacting.then(run, run);
    this.#compacting = next;
    return next;
  }

  persist(records: readonly R[], options: { readonly sync: boolean }): void | Promise<void> {
    if (!options.sync) {
      this.#deferred.push(...records);
      return undefined;
    }
    return this.#append(records);
  }

  /** Writes (and syncs) the records that were waiting for a synced append. */
  async flush(): Promise<void> {
    if (this.#deferred.length > 0) await this.#append();
  }

  async #append(records: readonly R[] = []): Promise<void> {
    const all = [...this.#deferred, ...records];
    this.#deferred = [];
    if (all.length === 0) return;
    const encoded = all.map((record) => this.#codec.encode(record));
    this.#kept?.push(...all);
    const end = this.#base + (this.#kept?.length ?? 0);
    await this.#log.append(encoded);
    // Appends resolve in order (the log's group commit): everything before these is durable too.
    if (this.#kept !== undefined) this.#durableEnd = Math.max(this.#durableEnd, end);
  }
}
