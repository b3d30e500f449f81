import type { Codec, RecordSink } from '@lattice/core';

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

  private constructor(log: TwoPhaseLogStore, codec: Codec<R>) {
    this.#log = log;
    this.#codec = codec;
  }

  /** Reads the records back (oldest first) and returns the storage to write after them. */
  static async open<R>(log: TwoPhaseLogStore, codec: Codec<R>): Promise<{ storage: WalRecordStorage<R>; records: R[] }> {
    const records: R[] = [];
    if (log.lastIndex >= log.firstIndex) {
      for await (const { data } of log.entries(log.firstIndex, log.lastIndex)) records.push(codec.decode(data));
    }
    return { storage: new WalRecordStorage(log, codec), records };
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
    if (all.length > 0) await this.#log.append(all.map((record) => this.#codec.encode(record)));
  }
}
