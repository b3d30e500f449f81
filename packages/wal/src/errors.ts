import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/**
 * Thrown when a segment or the metadata file holds bytes that fail their checksum or framing
 * anywhere except a torn final record: the log refuses to open (or to return the record)
 * rather than skip or "repair" acknowledged data. `segment` names the file, `offset` the byte
 * where the bad frame starts.
 */
export class WalCorruptionError extends LatticeError {
  static readonly code = 'ERR_WAL_CORRUPTION';
  override readonly name = 'WalCorruptionError';
  /** File name (inside the log directory) of the corrupt segment or metadata file. */
  readonly segment: string;
  /** Byte offset inside that file where the damaged frame or header starts. */
  readonly offset: number;
  constructor(segment: string, offset: number, reason: string, options?: LatticeErrorOptions) {
    super(WalCorruptionError.code, `Corrupt write-ahead log: ${segment} at byte offset ${offset}: ${reason}`, options);
    this.segment = segment;
    this.offset = offset;
  }
}

/**
 * Thrown on open when records are missing between two segments, or before the first one
 * (a segment file was deleted or lost): the log refuses to open with a hole in it.
 */
export class WalMissingSegmentError extends LatticeError {
  static readonly code = 'ERR_WAL_MISSING_SEGMENT';
  override readonly name = 'WalMissingSegmentError';
  /** The first index that no segment holds. */
  readonly missingFrom: number;
  /** The last index that no segment holds. */
  readonly missingTo: number;
  /** The segment file that follows the hole. */
  readonly nextSegment: string;
  constructor(missingFrom: number, missingTo: number, nextSegment: string, options?: LatticeErrorOptions) {
    super(
      WalMissingSegmentError.code,
      `Write-ahead log is missing records ${missingFrom}..${missingTo} (a segment before ${nextSegment} is gone)`,
      options,
    );
    this.missingFrom = missingFrom;
    this.missingTo = missingTo;
    this.nextSegment = nextSegment;
  }
}

/** Thrown when a log is opened while another open log (in this or another live process) holds its lock. */
export class WalLockedError extends LatticeError {
  static readonly code = 'ERR_WAL_LOCKED';
  override readonly name = 'WalLockedError';
  /** The log's directory (or the memory storage's name). */
  readonly location: string;
  /** Process id that holds the lock, when known. */
  readonly pid: number | undefined;
  constructor(location: string, pid: number | undefined, options?: LatticeErrorOptions) {
    super(WalLockedError.code, `Write-ahead log ${location} is already open${pid === undefined ? '' : ` (process ${pid})`}`, options);
    this.location = location;
    this.pid = pid;
  }
}

/**
 * Thrown when an index is outside the log: below `firstIndex` (compacted away by `dropPrefix`)
 * or above `lastIndex` (not written, or truncated).
 */
export class IndexOutOfRangeError extends LatticeError {
  static readonly code = 'ERR_INDEX_OUT_OF_RANGE';
  override readonly name = 'IndexOutOfRangeError';
  /** The index that was asked for. */
  readonly index: number;
  /** The log's first index at the time. */
  readonly firstIndex: number;
  /** The log's last index at the time. */
  readonly lastIndex: number;
  constructor(index: number, firstIndex: number, lastIndex: number, options?: LatticeErrorOptions) {
    super(IndexOutOfRangeError.code, `Index ${index} is outside the log [${firstIndex}, ${lastIndex}]`, options);
    this.index = index;
    this.firstIndex = firstIndex;
    this.lastIndex = lastIndex;
  }
}

/** Thrown when a record is larger than the log accepts (`maxRecordSize`, bounded by the segment size). */
export class RecordTooLargeError extends LatticeError {
  static readonly code = 'ERR_RECORD_TOO_LARGE';
  override readonly name = 'RecordTooLargeError';
  /** Size of the rejected record, in bytes. */
  readonly size: number;
  /** The limit it exceeded, in bytes. */
  readonly limit: number;
  constructor(size: number, limit: number, options?: LatticeErrorOptions) {
    super(RecordTooLargeError.code, `Record of ${size} bytes exceeds the limit of ${limit} bytes`, options);
    this.size = size;
    this.limit = limit;
  }
}

/**
 * Thrown when a write, fsync, rename or unlink failed: the log no longer knows what the disk
 * holds (after a failed fsync the page cache cannot be trusted), so it refuses every further
 * operation. Close it and open it again to recover from what is on disk. `cause` is the
 * operating system's error.
 */
export class WalFailedError extends LatticeError {
  static readonly code = 'ERR_WAL_FAILED';
  override readonly name = 'WalFailedError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(WalFailedError.code, message, options);
  }
}
