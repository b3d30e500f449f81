import { type AbortOptions, assertAbortOptions, assertBytes, assertOptionalObject, ClosedError, InvalidArgumentError, throwIfAborted } from '@lattice/core';
import { IndexOutOfRangeError, WalLockedError } from './errors.js';
import { assertIndex, MAX_INDEX, recordsOf } from './validate.js';
import type { WalEntry, WriteAheadLog } from './wal.js';

/**
 * What a {@link MemoryWal} keeps between a `close()` and the next open: pass the same storage
 * to a new `MemoryWal` to "reopen" the log, as a process restart would reopen a directory.
 * Only one open `MemoryWal` may use a storage at a time.
 */
export class MemoryWalStorage {
  /** Name used in error messages. */
  readonly name: string;
  /** @internal */ records: Uint8Array[] = [];
  /** @internal */ firstIndex = 1;
  /** @internal */ metadata: Uint8Array | undefined = undefined;
  /** @internal */ locked = false;

  constructor(name = 'memory') {
    if (typeof name !== 'string') throw new InvalidArgumentError(`name must be a string, got ${typeof name}`);
    this.name = name;
  }
}

/** Options of {@link MemoryWal}. */
export interface MemoryWalOptions {
  /** Storage to open (to reopen a log after `close()`); default a fresh, empty one. */
  storage?: MemoryWalStorage;
  /** Largest record accepted, in bytes. Default 64 MiB. */
  maxRecordSize?: number;
}

/**
 * The {@link WriteAheadLog} contract held in memory, for tests of code built on a log (Raft's
 * storage, a 2PC decision log). It keeps nothing across process restarts; reopen a log within
 * a process by passing the same {@link MemoryWalStorage}. Records are copied in and out, so
 * callers cannot alter what is stored.
 *
 * @example
 * ```ts
 * const storage = new MemoryWalStorage();
 * const wal = new MemoryWal({ storage });
 * await wal.append([new Uint8Array([1]), new Uint8Array([2])]); // [1, 2]
 * await wal.close();
 * const again = new MemoryWal({ storage }); // same records
 * ```
 */
export class MemoryWal implements WriteAheadLog {
  readonly #storage: MemoryWalStorage;
  readonly #maxRecordSize: number;
  #closed = false;

  constructor(options: MemoryWalOptions = {}) {
    assertOptionalObject(options, 'MemoryWal options');
    if (options.storage !== undefined && !(options.storage instanceof MemoryWalStorage)) {
      throw new InvalidArgumentError('options.storage must be a MemoryWalStorage');
    }
    const storage = options.storage ?? new MemoryWalStorage();
    const maxRecordSize = options.maxRecordSize ?? 64 * 1024 * 1024;
    if (!Number.isSafeInteger(maxRecordSize) || maxRecordSize < 0) {
      throw new InvalidArgumentError(`maxRecordSize must be a non-negative integer, got ${String(maxRecordSize)}`);
    }
    if (storage.locked) throw new WalLockedError(storage.name, undefined);
    storage.locked = true;
    this.#storage = storage;
    this.#maxRecordSize = maxRecordSize;
  }

  get firstIndex(): number {
    return this.#storage.firstIndex;
  }

  get lastIndex(): number {
    return this.#storage.firstIndex + this.#storage.records.length - 1;
  }

  append(record: Uint8Array, options?: AbortOptions): Promise<number>;
  append(records: readonly Uint8Array[], options?: AbortOptions): Promise<number[]>;
  async append(input: Uint8Array | readonly Uint8Array[], options?: AbortOptions): Promise<number | number[]> {
    this.#assertOpen();
    const records = recordsOf(input, this.#maxRecordSize);
    assertAbortOptions(options);
    throwIfAborted(options?.signal);
    const first = this.lastIndex + 1;
    if (first + records.length - 1 > MAX_INDEX) throw new InvalidArgumentError('the log has reached the largest safe index');
    for (const record of records) this.#storage.records.push(record.slice());
    if (input instanceof Uint8Array) return first;
    return records.map((_, i) => first + i);
  }

  async read(index: number, options?: AbortOptions): Promise<Uint8Array> {
    this.#assertOpen();
    assertIndex('index', index);
    assertAbortOptions(options);
    throwIfAborted(options?.signal);
    return this.#at(index).slice();
  }

  async *entries(from?: number, to?: number, options?: AbortOptions): AsyncIterableIterator<WalEntry> {
    this.#assertOpen();
    const start = from ?? this.firstIndex;
    const end = to ?? this.lastIndex;
    assertIndex('from', start);
    assertIndex('to', end);
    assertAbortOptions(options);
    if (start > end) return;
    if (start < this.firstIndex) throw new IndexOutOfRangeError(start, this.firstIndex, this.lastIndex);
    if (end > this.lastIndex) throw new IndexOutOfRangeError(end, this.firstIndex, this.lastIndex);
    for (let index = start; index <= end; index++) {
      this.#assertOpen();
      throwIfAborted(options?.signal);
      yield { index, data: this.#at(index).slice() };
    }
  }

  async truncateSuffix(index: number, options?: AbortOptions): Promise<void> {
    this.#assertOpen();
    assertIndex('index', index);
    assertAbortOptions(options);
    throwIfAborted(options?.signal);
    if (index >= this.lastIndex) return;
    if (index < this.firstIndex - 1) throw new IndexOutOfRangeError(index, this.firstIndex, this.lastIndex);
    this.#storage.records.length = index - this.firstIndex + 1;
  }

  async dropPrefix(index: number, options?: AbortOptions): Promise<void> {
    this.#assertOpen();
    assertIndex('index', index);
    assertAbortOptions(options);
    throwIfAborted(options?.signal);
    if (index <= this.firstIndex) return;
    if (index > this.lastIndex + 1) {
      this.#storage.records = [];
    } else {
      this.#storage.records.splice(0, index - this.firstIndex);
    }
    this.#storage.firstIndex = index;
  }

  getMetadata(): Uint8Array | undefined {
    this.#assertOpen();
    return this.#storage.metadata?.slice();
  }

  async setMetadata(value: Uint8Array, options?: AbortOptions): Promise<void> {
    this.#assertOpen();
    assertBytes(value, 'value');
    assertAbortOptions(options);
    throwIfAborted(options?.signal);
    this.#storage.metadata = value.slice();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#storage.locked = false;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #at(index: number): Uint8Array {
    const record = this.#storage.records[index - this.#storage.firstIndex];
    if (index < this.#storage.firstIndex || record === undefined) {
      throw new IndexOutOfRangeError(index, this.firstIndex, this.lastIndex);
    }
    return record;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError('The write-ahead log is closed');
  }
}
