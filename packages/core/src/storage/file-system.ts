import { describeValue } from '../arguments.js';
import { InvalidArgumentError } from '../errors.js';
/**
 * The storage seam: the few file operations durable logs (the write-ahead log, Raft's and
 * 2PC's storage) are written against, so the same code runs on a real disk
 * (`nodeFileSystem()` from `@lattice/wal`) and on the simulator's crashing disk
 * (`SimFileSystem` from `@lattice/sim`). Every operation is async and fails with a typed error
 * (`FileNotFoundError`, `FileExistsError`, `FileLockedError`, `StorageFullError`,
 * `StorageIoError`), never a raw errno.
 *
 * Paths are strings with `/` between names (build them with {@link joinPath}); what a path is
 * relative to is the implementation's business.
 *
 * Durability, promised by every implementation and checked by `runStorageTests` where it can
 * be observed (the simulator's disk enforces all of it on a crash):
 * - Bytes written to a file are durable once `sync()` or `datasync()` on a handle of that file
 *   resolved, or as soon as the write resolved on a handle opened with `dataSync: true`.
 *   Unsynced writes may be lost in a crash, and the last one may land in part (torn).
 * - A file's name in its directory (creation, `rename`, `remove`) is durable only once
 *   `syncDirectory` of that directory resolved: a new file whose directory was not synced may
 *   vanish in a crash even if its bytes were synced.
 * - `rename` replaces the target atomically: after a crash the target holds either the old
 *   file or the new one, never a mix.
 * - `mkdir` returns only once the directories it created are durable.
 */
export interface FileSystem {
  /**
   * Opens a file. Without `create`, a missing file is a `FileNotFoundError`; with `create` and
   * `exclusive`, an existing one is a `FileExistsError`.
   */
  open(path: string, flags?: OpenFlags): Promise<FileHandle>;
  /** The whole content of a file. */
  readFile(path: string): Promise<Uint8Array>;
  /** Moves `from` to `to`, atomically replacing any file at `to`. Durable after `syncDirectory`. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file. Durable after `syncDirectory`. */
  remove(path: string): Promise<void>;
  /** Names of the entries of a directory, sorted. */
  list(path: string): Promise<string[]>;
  /** Creates a directory and any missing parents, durably; true if it created the directory. */
  mkdir(path: string): Promise<boolean>;
  /** Kind and size of a file or directory. */
  stat(path: string): Promise<FileStat>;
  /** Makes the directory's entries (creations, renames, removals in it) durable. */
  syncDirectory(path: string): Promise<void>;
  /**
   * Takes an exclusive lock named `path` (a lock file): held until released or until the
   * holding process dies. A lock held by a live process, this one included, is a
   * `FileLockedError`.
   */
  lock(path: string): Promise<FileLock>;
}

/** How {@link FileSystem.open} opens a file. */
export interface OpenFlags {
  /** Open for writing too (else read only). Implied by `create` and `truncate`. */
  write?: boolean;
  /** Create the file when missing. */
  create?: boolean;
  /** With `create`: fail with `FileExistsError` if the file exists. */
  exclusive?: boolean;
  /** Empty the file on open. */
  truncate?: boolean;
  /**
   * Every write resolves only once its bytes are durable, as if followed by `datasync()`
   * (O_DSYNC where the platform has it, which saves a round trip per write).
   */
  dataSync?: boolean;
}

/** An open file. Positions and sizes are byte offsets. */
export interface FileHandle {
  /** The path it was opened with. */
  readonly path: string;
  /** Writes all of `data` (the chunks back to back) at `position`, extending the file as needed. */
  write(data: Uint8Array | readonly Uint8Array[], position: number): Promise<void>;
  /** Writes all of `data` at the end of the file. */
  append(data: Uint8Array): Promise<void>;
  /**
   * Reads up to `length` bytes at `position` into `buffer` from `offset`; returns how many
   * were read (fewer only at the end of the file).
   */
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /** The file's size in bytes. */
  size(): Promise<number>;
  /** Cuts (or extends with zeros) the file to `size` bytes. Durable after `sync()`. */
  truncate(size: number): Promise<void>;
  /** Makes the file's bytes and metadata durable (fsync). */
  sync(): Promise<void>;
  /** Makes the file's bytes (and its size) durable (fdatasync). */
  datasync(): Promise<void>;
  /** Closes the handle; unsynced writes stay unsynced. */
  close(): Promise<void>;
}

/** What {@link FileSystem.stat} reports. */
export interface FileStat {
  readonly kind: 'file' | 'directory';
  /** Size in bytes (of a file; implementation-defined for a directory). */
  readonly size: number;
}

/** A lock taken with {@link FileSystem.lock}. */
export interface FileLock {
  readonly path: string;
  /** Releases the lock; a second call does nothing. */
  release(): Promise<void>;
}

/**
 * `dir` and `name` joined with one `/` (a `dir` of `''` gives `name`).
 *
 * @example
 * ```ts
 * joinPath('data/wal', 'meta') // 'data/wal/meta'
 * ```
 */
export function joinPath(dir: string, name: string): string {
  if (typeof dir !== 'string') throw new InvalidArgumentError(`joinPath: dir must be a string, got ${describeValue(dir)}`);
  if (typeof name !== 'string') throw new InvalidArgumentError(`joinPath: name must be a string, got ${describeValue(name)}`);
  if (dir === '') return name;
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}
