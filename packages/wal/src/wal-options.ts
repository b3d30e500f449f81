import { assertAbortOptions, type FileSystem, InvalidArgumentError } from '@lattice/core';
import { FRAME_HEADER_SIZE, SEGMENT_HEADER_SIZE } from './format.js';
import { isNodeFileSystem, nodeFileSystem } from './node-file-system.js';

/** Options of {@link openWal}. */
export interface WalOptions {
  /** Aborting it before the log starts opening rejects with an `AbortError`. */
  signal?: AbortSignal | undefined;
  /**
   * Size of each segment file in bytes; files are preallocated (recycled or zero-filled) to this size so
   * that an fdatasync never has to update the file size. Default 64 MiB; at least 4 KiB.
   * Existing segments keep the size they were created with.
   */
  segmentSize?: number;
  /** Largest record accepted, in bytes. Default and upper bound: what fits in one segment. */
  maxRecordSize?: number;
  /**
   * Most bytes written and synced by one group commit (one larger append is still written
   * whole). Default 1 MiB. When more than that is queued, it goes out as consecutive writes of
   * equal size, and the writers acknowledged by one of them frame (copy and checksum) their
   * next records while the next one is being synced, instead of all of them waiting for one
   * long sync and then for the checksums. Raise it for disks where each sync costs far more
   * than its bytes.
   */
  maxBatchBytes?: number;
  /**
   * Segment files that `dropPrefix` releases are kept, up to this many, and reused as new
   * segments instead of writing a fresh file full of zeros (which doubles the bytes the disk
   * writes while appends run at full speed). Kept files survive a reopen. Default 8 (with the
   * default segment size, up to 512 MiB of disk the log has already used); 0 deletes them.
   */
  recycleSegments?: number;
  /**
   * Whether group commits are written by a thread of the log's own (one `worker_threads`
   * worker), which lets the next write be handed over while the current one is being synced:
   * `'auto'` (default) starts it once appends have queued up behind writes in flight a few
   * times, `'always'` at open, `'never'` leaves every write to libuv's thread pool.
   */
  writerThread?: 'auto' | 'always' | 'never';
  /**
   * Where the log's files live: any implementation of the storage seam of `@lattice/core`
   * (`SimFileSystem` from `@lattice/sim` runs the same recovery code on a disk that crashes).
   * Default {@link nodeFileSystem}. The writer thread writes only to the Node file system:
   * with any other, every write goes through the `FileSystem`, and `writerThread: 'always'`
   * is refused.
   */
  fs?: FileSystem;
}

const DEFAULT_SEGMENT_SIZE = 64 * 1024 * 1024;
const MIN_SEGMENT_SIZE = 4096;
const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024;
const DEFAULT_RECYCLE_SEGMENTS = 8;
/** What `openWal` calls on its file system: one missing would fail mid-open with a TypeError. */
const FILE_SYSTEM_METHODS = ['open', 'readFile', 'rename', 'remove', 'list', 'mkdir', 'stat', 'syncDirectory', 'lock'] as const;

/** The options of a log, checked and with defaults filled in. */
export interface WalSettings {
  segmentSize: number;
  maxRecordSize: number;
  maxBatchBytes: number;
  recycleSegments: number;
  writerThread: 'auto' | 'always' | 'never';
  /** On the Node file system (else an injected one, such as the simulator's). */
  onNode: boolean;
}

/** Checks `openWal`'s options (a wrong one is refused before anything touches the disk) and fills in defaults. */
export function resolveWalSettings(options: WalOptions): { settings: WalSettings; fs: FileSystem } {
  assertAbortOptions(options, 'openWal options');
  const segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
  if (!Number.isSafeInteger(segmentSize) || segmentSize < MIN_SEGMENT_SIZE || segmentSize > 0xffff_ffff) {
    throw new InvalidArgumentError(`segmentSize must be an integer in [${MIN_SEGMENT_SIZE}, 4 GiB), got ${String(segmentSize)}`);
  }
  // The largest record whose padded frame fits in an empty segment.
  const largest = ((segmentSize - SEGMENT_HEADER_SIZE) & ~7) - FRAME_HEADER_SIZE;
  const maxRecordSize = options.maxRecordSize ?? largest;
  if (!Number.isSafeInteger(maxRecordSize) || maxRecordSize < 0 || maxRecordSize > largest) {
    throw new InvalidArgumentError(`maxRecordSize must be an integer in [0, ${largest}] for this segment size, got ${String(maxRecordSize)}`);
  }
  const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  if (!Number.isSafeInteger(maxBatchBytes) || maxBatchBytes < 1) {
    throw new InvalidArgumentError(`maxBatchBytes must be a positive integer, got ${String(maxBatchBytes)}`);
  }
  const recycleSegments = options.recycleSegments ?? DEFAULT_RECYCLE_SEGMENTS;
  if (!Number.isSafeInteger(recycleSegments) || recycleSegments < 0) {
    throw new InvalidArgumentError(`recycleSegments must be a non-negative integer, got ${String(recycleSegments)}`);
  }
  const writerThread = options.writerThread ?? 'auto';
  if (writerThread !== 'auto' && writerThread !== 'always' && writerThread !== 'never') {
    throw new InvalidArgumentError(`writerThread must be 'auto', 'always' or 'never', got ${String(writerThread)}`);
  }
  const fs = options.fs ?? nodeFileSystem();
  if (typeof fs !== 'object' || fs === null || FILE_SYSTEM_METHODS.some((method) => typeof fs[method] !== 'function')) {
    throw new InvalidArgumentError(`fs must be a FileSystem (the storage seam of @lattice/core: ${FILE_SYSTEM_METHODS.join(', ')})`);
  }
  const onNode = isNodeFileSystem(fs);
  if (writerThread === 'always' && !onNode) {
    throw new InvalidArgumentError("writerThread 'always' needs the Node file system: the writer thread writes to descriptors of the local disk");
  }
  return { settings: { segmentSize, maxRecordSize, maxBatchBytes, recycleSegments, writerThread: onNode ? writerThread : 'never', onNode }, fs };
}
