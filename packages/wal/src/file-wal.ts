import {
  AbortError,
  type AbortOptions,
  assertAbortOptions,
  assertBytes,
  ClosedError,
  type FileHandle,
  type FileLock,
  FileLockedError,
  type FileSystem,
  InvalidArgumentError,
  isLatticeError,
  joinPath,
  throwIfAborted,
} from '@lattice/core';
import { IndexOutOfRangeError, WalCorruptionError, WalFailedError, WalLockedError } from './errors.js';
import {
  checkFrame,
  END_MARKER_SIZE,
  encodeSegmentHeader,
  FRAME_HEADER_SIZE,
  frameSize,
  LOCK_FILE,
  type MetaState,
  reindexFrames,
  SEGMENT_HEADER_SIZE,
} from './format.js';
import { recoverLog } from './recovery.js';
import { FramePool, type Slab } from './frame-pool.js';
import { Gather } from './gather.js';
import { type Segment, SegmentFiles } from './segment-files.js';
import { NodeFileHandle, } from './node-file-system.js';
import { assertIndex, MAX_INDEX, recordsOf } from './validate.js';
import { resolveWalSettings, type WalOptions, type WalSettings as Settings } from './wal-options.js';
import { ReadWriteGate } from './read-write-gate.js';
import type { WalEntry, WriteAheadLog } from './wal.js';
import { WriterThread } from './writer-thread.js';

/** Writes handed to the writer thread at once: one being synced, one waiting behind it. */
const MAX_WRITES_IN_FLIGHT = 2;
/** Group commits that found appends queued behind them before the writer thread starts. */
const CONTENTION_BEFORE_THREAD = 8;
const READ_CHUNK = 1024 * 1024;
/** Most buffers handed to one writev: Linux's IOV_MAX, above which libuv would split the write in several. */
const MAX_WRITEV_CHUNKS = 1024;
/** Size of the slabs appends are framed into (see FramePool). */
const SLAB_SIZE = 1024 * 1024;

interface AppendOp {
  readonly kind: 'append';
  readonly records: readonly Uint8Array[];
  /**
   * The records' frames, back to back, made when `append` was called (so the checksums are
   * computed while the previous group commit is still being written, not after it): the
   * bytes written as they are, unless the records land at other indexes than `first`.
   */
  /** The frames are `buffer[start, end)`. */
  buffer: Uint8Array;
  start: number;
  end: number;
  /** Where the frames live, given back to the pool once they are written. */
  slab: Slab | undefined;
  /** The index the frames were made for: where the log would put the first record if nothing queued before it is cancelled or truncated. */
  first: number;
  readonly single: boolean;
  resolve: (value: number | number[]) => void;
  reject: (error: unknown) => void;
  cancelled: boolean;
  detach: (() => void) | undefined;
}

interface TaskOp {
  readonly kind: 'task';
  readonly run: () => Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

type Op = AppendOp | TaskOp;


/**
 * Opens (creating if needed) the write-ahead log in directory `dir` and recovers it: a torn
 * final record left by a crash is cut off; any other damage rejects with a typed error
 * (`WalCorruptionError` naming the file and offset, `WalMissingSegmentError`), and a directory
 * already open in a live process rejects with `WalLockedError`.
 *
 * @example
 * ```ts
 * import { openWal } from '@lattice/wal';
 *
 * const wal = await openWal('/var/lib/myapp/wal', { segmentSize: 16 * 1024 * 1024 });
 * try {
 *   const [a, b] = await wal.append([encode(x), encode(y)]); // both durable
 *   await wal.setMetadata(encodeTermAndVote(term, vote));
 * } finally {
 *   await wal.close();
 * }
 * ```
 */
export async function openWal(dir: string, options: WalOptions = {}): Promise<WriteAheadLog> {
  if (typeof dir !== 'string' || dir === '') throw new InvalidArgumentError('dir must be a non-empty path');
  const { settings, fs } = resolveWalSettings(options);
  throwIfAborted(options.signal);
  await fs.mkdir(dir);
  let lock: FileLock;
  try {
    lock = await fs.lock(joinPath(dir, LOCK_FILE));
  } catch (error) {
    if (isLatticeError(error, FileLockedError.code)) throw new WalLockedError(dir, (error as FileLockedError).holder, { cause: error });
    throw error;
  }
  const wal = new FileWal(fs, dir, lock, settings);
  try {
    await wal.recover();
  } catch (error) {
    // close() releases whatever recovery opened and the lock.
    await wal.close().catch(() => undefined);
    throw error;
  }
  return wal;
}


class FileWal implements WriteAheadLog {
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #lock: FileLock;
  readonly #settings: Settings;
  readonly #gate = new ReadWriteGate();

  #segments: Segment[] = [];
  #first = 1;
  #last = 0;
  #meta: MetaState = { firstIndex: 1, value: undefined };

  #queue: Op[] = [];
  #pumping: Promise<void> = Promise.resolve();
  #pumpActive = false;
  #failure: WalFailedError | undefined;
  #closing: Promise<void> | undefined;

  /** Records of appends queued or being written (not yet committed, cancelled or failed). */
  #pending = 0;
  readonly #pool = new FramePool(SLAB_SIZE);
  /** Where a batch of more than MAX_WRITEV_CHUNKS pieces is copied together before writing. */
  #buffer = new Uint8Array(64 * 1024);
  /** The directory's segment, spare and recycled files. */
  readonly #files: SegmentFiles;
  /** The end-of-records marker written after every batch (zeros; shared memory, for the writer thread). */
  readonly #marker = new Uint8Array(new SharedArrayBuffer(END_MARKER_SIZE));
  /** Writes appends handed over while another write is being synced (see WalOptions.writerThread). */
  #thread: WriterThread | undefined;
  #contention = 0;
  /** Writes handed to the thread and not yet reported done, and the records in them. */
  #inflightWrites = 0;
  #inflightRecords = 0;
  /** Offset just after the last frame handed to the thread (while any write is in flight). */
  #postedEnd = 0;
  #completionWaiters: (() => void)[] = [];
  /** Set when appends were just acknowledged (see #drain). */
  #justCommitted = false;

  constructor(fs: FileSystem, dir: string, lock: FileLock, settings: Settings) {
    this.#fs = fs;
    this.#dir = dir;
    this.#lock = lock;
    this.#settings = settings;
    this.#files = new SegmentFiles(fs, dir, settings.segmentSize, settings.recycleSegments);
    if (settings.writerThread === 'always') this.#thread = new WriterThread();
  }

  get firstIndex(): number {
    return this.#first;
  }

  get lastIndex(): number {
    return this.#last;
  }

  // ---------------------------------------------------------------- recovery

  /** Reads the directory, checks every segment and cuts a torn tail. Called once by openWal. */
  async recover(): Promise<void> {
    // Segments are pushed into #segments as they load, so close() releases them if a later one fails.
    const recovered = await recoverLog(this.#fs, this.#dir, this.#files, this.#segments);
    this.#meta = recovered.meta;
    this.#first = recovered.first;
    this.#last = recovered.last;
    if (this.#first > this.#last + 1) {
      // A dropPrefix past the end was interrupted after recording the new first index.
      await this.#resetTo(this.#first);
    }
  }

  // ---------------------------------------------------------------- segment files

  async #writeMeta(state: MetaState): Promise<void> {
    await this.#files.writeMeta(state);
    this.#meta = state;
  }

  /** Empties the log so that the next index is `next`: new segment first, then old ones go. */
  async #resetTo(next: number): Promise<void> {
    const fresh = await this.#files.createSegment(next);
    const old = this.#segments;
    this.#segments = [fresh];
    // Every record in them is below `next`, the new first index (already in meta).
    for (const segment of old) await this.#files.retireSegment(segment);
    this.#first = next;
    this.#last = next - 1;
  }

  // ---------------------------------------------------------------- the write queue

  #assertUsable(): void {
    if (this.#closing !== undefined) throw new ClosedError('The write-ahead log is closed');
    if (this.#failure !== undefined) throw this.#failure;
  }

  append(record: Uint8Array, options?: AbortOptions): Promise<number>;
  append(records: readonly Uint8Array[], options?: AbortOptions): Promise<number[]>;
  append(input: Uint8Array | readonly Uint8Array[], options?: AbortOptions): Promise<number | number[]> {
    try {
      this.#assertUsable();
      const records = recordsOf(input, this.#settings.maxRecordSize);
      assertAbortOptions(options);
      const signal = options?.signal;
      throwIfAborted(signal);
      if (records.length === 0) return Promise.resolve([]);
      // Framed (copied, checksummed) now, while any write in flight is being synced.
      const first = this.#last + 1 + this.#pending;
      const op: AppendOp = {
        kind: 'append',
        records,
        buffer: this.#marker,
        start: 0,
        end: 0,
        slab: undefined,
        first,
        single: input instanceof Uint8Array,
        resolve: settleNothing,
        reject: settleNothing,
        cancelled: false,
        detach: undefined,
      };
      this.#pool.frame(records, first, op);
      this.#pending += records.length;
      return new Promise<number | number[]>((resolve, reject) => {
        op.resolve = resolve;
        op.reject = reject;
        if (signal !== undefined) {
          const onAbort = (): void => {
            op.cancelled = true;
            reject(new AbortError(undefined, { cause: signal.reason }));
          };
          signal.addEventListener('abort', onAbort, { once: true });
          op.detach = () => signal.removeEventListener('abort', onAbort);
        }
        this.#enqueue(op);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #task(run: () => Promise<void>, options: AbortOptions | undefined): Promise<void> {
    try {
      this.#assertUsable();
      throwIfAborted(options?.signal);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<void>((resolve, reject) => this.#enqueue({ kind: 'task', run, resolve, reject }));
  }

  #enqueue(op: Op): void {
    this.#queue.push(op);
    if (!this.#pumpActive) {
      // The flag is cleared by the pump itself in the same turn that it finds the queue
      // empty, so an op enqueued right after can never be stranded.
      this.#pumpActive = true;
      this.#pumping = this.#pump();
    }
  }

  /** Drains the queue: consecutive appends become one group commit; tasks run alone. */
  async #pump(): Promise<void> {
    try {
      // Let appends called in the same synchronous run as this one join its write.
      await undefined;
      await this.#drain();
    } catch (error) {
      this.#pumpActive = false;
      this.#toFailure(error);
    }
  }

  /** Clears `#pumpActive` in the very turn it sees an empty queue (no await in between). */
  async #drain(): Promise<void> {
    for (;;) {
      if (this.#queue.length === 0 && this.#justCommitted) {
        // The writers just acknowledged typically append again from their continuations
        // (microtasks): let those run first, so they share the next sync instead of the
        // first of them taking a write of its own. A nextTick queued from a microtask runs
        // once the microtask queue is empty, without waiting for a turn of the event loop.
        this.#justCommitted = false;
        if (this.#settings.onNode) await new Promise<void>((resolve) => process.nextTick(resolve));
        // An injected file system may run where only microtasks turn (the simulator's run
        // loop): a nextTick would wait for the whole queue to drain, so yield a few turns instead.
        else for (let turn = 0; turn < 4; turn++) await undefined;
      }
      if (this.#queue.length === 0) {
        this.#pumpActive = false;
        return;
      }
      // Take everything queued so far; later calls queue behind it, so order is kept.
      const ops = this.#queue;
      this.#queue = [];
      let i = 0;
      while (i < ops.length) {
        if (this.#failure !== undefined) {
          await this.#settle();
          for (const op of [...ops.slice(i), ...this.#queue.splice(0)]) {
            if (op.kind === 'append') {
              op.detach?.();
              if (!op.cancelled) this.#pending -= op.records.length;
              this.#pool.release(op);
            }
            op.reject(this.#failure);
          }
          this.#pumpActive = false;
          return;
        }
        const head = ops[i]!;
        if (head.kind === 'task') {
          await this.#settle();
          // A write handed to the thread failed meanwhile: nothing more runs (see above).
          if (this.#failure !== undefined) continue;
          i++;
          try {
            await this.#gate.exclusive(head.run);
            head.resolve();
          } catch (error) {
            head.reject(this.#toFailure(error));
          }
          continue;
        }
        const batch: AppendOp[] = [];
        let bytes = 0;
        const limit = this.#batchLimit(ops, i);
        while (i < ops.length) {
          const op = ops[i]!;
          if (op.kind !== 'append') break;
          if (op.cancelled) {
            this.#pending -= op.records.length;
            this.#pool.release(op);
            i++;
            continue;
          }
          const opBytes = op.end - op.start;
          if (batch.length > 0 && bytes + opBytes > limit) break;
          i++;
          op.detach?.();
          batch.push(op);
          bytes += opBytes;
        }
        if (batch.length === 0) continue;
        // 'always' hands writes to the thread from the start (they wait while it starts);
        // 'auto' starts it in the background and uses it once it runs.
        const thread = this.#thread;
        if (thread !== undefined && (thread.ready || this.#settings.writerThread === 'always') && this.#post(batch, bytes)) {
          // Handed to the writer thread: keep one more write queued behind the one being
          // synced (so the disk never waits for this thread), then wait for the oldest.
          if (this.#inflightWrites >= MAX_WRITES_IN_FLIGHT) await this.#nextCompletion();
          continue;
        }
        await this.#settle();
        if (this.#failure !== undefined) {
          // A write handed to the thread failed meanwhile: after a failed write nothing more
          // is written, so what is on disk stays a prefix of what was acknowledged.
          for (const op of batch) {
            this.#pending -= op.records.length;
            this.#pool.release(op);
            op.reject(this.#failure);
          }
          continue;
        }
        const contended = this.#queue.length > 0 || i < ops.length;
        try {
          const firsts = await this.#writeBatch(batch);
          for (let k = 0; k < batch.length; k++) {
            const op = batch[k]!;
            const first = firsts[k]!;
            op.resolve(op.single ? first : op.records.map((_, r) => first + r));
          }
          this.#justCommitted = true;
        } catch (error) {
          const failure = this.#toFailure(error);
          for (const op of batch) op.reject(failure);
        } finally {
          // The writes that used these frames are over (done or failed): the memory is free.
          for (const op of batch) this.#pool.release(op);
        }
        if (contended || this.#queue.length > 0) this.#noteContention();
      }
    }
  }

  /**
   * Appends keep queuing up behind writes in flight: start the writer thread (in the
   * background; writes go through libuv's pool until it runs) once that has happened a few
   * times, so a log that is only ever written by one caller at a time never starts it.
   */
  #noteContention(): void {
    if (this.#thread !== undefined || this.#settings.writerThread === 'never') return;
    if (++this.#contention >= CONTENTION_BEFORE_THREAD) this.#thread = new WriterThread();
  }

  /**
   * Hands `batch` to the writer thread if it fits in the current segment after the writes
   * already handed over (anything else, such as a segment rotation, goes the serial way once
   * they are done). Its appends resolve when the thread reports the write done.
   */
  #post(batch: readonly AppendOp[], bytes: number): boolean {
    const thread = this.#thread!;
    const segment = this.#segments[this.#segments.length - 1]!;
    const start = this.#inflightWrites > 0 ? this.#postedEnd : segment.end;
    if (start + bytes > segment.capacity) return false;
    let index = this.#last + 1 + this.#inflightRecords;
    let records = 0;
    for (const op of batch) records += op.records.length;
    if (index + records - 1 > MAX_INDEX) return false;
    const chunks = new Gather();
    const offsets: number[] = [];
    const firsts: number[] = [];
    let position = start;
    for (const op of batch) {
      firsts.push(index);
      if (op.first !== index) {
        reindexFrames(op.buffer.subarray(op.start, op.end), index);
        op.first = index;
      }
      if (op.records.length === 1) {
        offsets.push(position);
        position += op.end - op.start;
      } else {
        for (const record of op.records) {
          offsets.push(position);
          position += frameSize(record.length);
        }
      }
      chunks.add(op.buffer, op.start, op.end);
      index += op.records.length;
    }
    const marked = position + END_MARKER_SIZE <= segment.capacity;
    if (marked) chunks.add(this.#marker, 0, END_MARKER_SIZE);
    const pieces = chunks.take();
    // More pieces than one writev takes (many separately framed large appends): serially.
    if (pieces.length > MAX_WRITEV_CHUNKS) return false;
    const file = segment.file;
    if (!(file instanceof NodeFileHandle)) return false;
    this.#inflightWrites++;
    this.#inflightRecords += records;
    this.#postedEnd = position;
    const done = (error: unknown): void => {
      this.#inflightWrites--;
      this.#inflightRecords -= records;
      this.#pending -= records;
      if (error === undefined) {
        for (const offset of offsets) segment.offsets.push(offset);
        segment.end = position;
        this.#last += records;
        for (let k = 0; k < batch.length; k++) {
          const op = batch[k]!;
          const first = firsts[k]!;
          op.resolve(op.single ? first : op.records.map((_, r) => first + r));
        }
        this.#justCommitted = true;
      } else {
        const failure = this.#toFailure(error);
        for (const op of batch) op.reject(failure);
      }
      for (const op of batch) this.#pool.release(op);
      const wake = this.#completionWaiters;
      this.#completionWaiters = [];
      for (const resolve of wake) resolve();
    };
    thread.write(file.fd, pieces, start, file.syncAfterWrite).then(
      () => done(undefined),
      (error: unknown) => done(error ?? new Error('write failed')),
    );
    return true;
  }

  /** Resolves when the next write handed to the thread is done (at once if none is). */
  #nextCompletion(): Promise<void> {
    if (this.#inflightWrites === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.#completionWaiters.push(resolve));
  }

  /** Resolves once every write handed to the thread is done. */
  async #settle(): Promise<void> {
    while (this.#inflightWrites > 0) await this.#nextCompletion();
  }

  /**
   * Bytes for the next batch when the appends queued from `ops[from]` on hold `total` bytes:
   * `total` split into as few equal parts as keep each within maxBatchBytes. Equal parts,
   * rather than full batches and a small remainder, keep the writers in groups of the same
   * size, each framing its next records while another group's write is being synced.
   */
  #batchLimit(ops: readonly Op[], from: number): number {
    const max = this.#settings.maxBatchBytes;
    let total = 0;
    for (let k = from; k < ops.length; k++) {
      const op = ops[k]!;
      if (op.kind !== 'append') break;
      if (!op.cancelled) total += op.end - op.start;
    }
    if (total <= max) return max;
    return Math.ceil(total / Math.ceil(total / max));
  }

  /** Errors of the caller (bad arguments) pass through; I/O errors fail the log for good. */
  #toFailure(error: unknown): unknown {
    if (isLatticeError(error) && !(error instanceof WalFailedError)) {
      if (error.code === IndexOutOfRangeError.code || error.code === InvalidArgumentError.code) return error;
    }
    if (this.#failure === undefined) {
      this.#failure = error instanceof WalFailedError ? error : new WalFailedError('A write to the log failed; reopen it to recover', { cause: error });
    }
    return this.#failure;
  }

  /**
   * Writes and syncs the batch's ready frames (rotating segments as they fill), re-framing an
   * op only if its records land at other indexes than it was framed for; returns each op's
   * first index.
   */
  async #writeBatch(batch: readonly AppendOp[]): Promise<number[]> {
    let index = this.#last + 1;
    let total = 0;
    for (const op of batch) total += op.records.length;
    let committed = 0;
    try {
      if (index + total - 1 > MAX_INDEX) throw new InvalidArgumentError('the log has reached the largest safe index');
      const firsts: number[] = [];
      let segment = this.#segments[this.#segments.length - 1]!;
      let start = segment.end;
      let position = start;
      const chunks = new Gather();
      const offsets: number[] = [];
      const flush = async (): Promise<void> => {
        if (offsets.length === 0) return;
        // The end marker goes out with the frames (the file past them may hold stale frames).
        const marked = position + END_MARKER_SIZE <= segment.capacity;
        if (marked) chunks.add(this.#marker, 0, END_MARKER_SIZE);
        await this.#writeChunks(segment.file, chunks.take(), position - start + (marked ? END_MARKER_SIZE : 0), start);
        for (const offset of offsets) segment.offsets.push(offset);
        segment.end = position;
        this.#last += offsets.length;
        this.#pending -= offsets.length;
        committed += offsets.length;
        offsets.length = 0;
      };
      for (const op of batch) {
        firsts.push(index);
        if (op.first !== index) {
          reindexFrames(op.buffer.subarray(op.start, op.end), index);
          op.first = index;
        }
        const frames = op.buffer.subarray(op.start, op.end);
        if (position + frames.length <= segment.capacity) {
          // The whole op fits in this segment: its frames go out as they are.
          let at = position;
          for (const record of op.records) {
            offsets.push(at);
            at += frameSize(record.length);
          }
          chunks.add(frames, 0, frames.length);
          position += frames.length;
          index += op.records.length;
          continue;
        }
        let at = 0;
        let piece = 0;
        for (const record of op.records) {
          const size = frameSize(record.length);
          if (position + size > segment.capacity && position > SEGMENT_HEADER_SIZE) {
            // Everything in the old segment is synced before the next one exists, so a torn
            // write can only ever be in the last segment.
            if (at > piece) chunks.add(frames, piece, at);
            piece = at;
            await flush();
            segment = await this.#files.createSegment(index);
            this.#segments.push(segment);
            start = segment.end;
            position = start;
          }
          offsets.push(position);
          position += size;
          at += size;
          index++;
        }
        if (at > piece) chunks.add(frames, piece, at);
      }
      await flush();
      if (segment.end > segment.capacity / 2) void this.#files.prepareSpare();
      return firsts;
    } finally {
      this.#pending -= total - committed;
    }
  }

  /** Writes `chunks` (`length` bytes in all) back to back at `position`: one write either way. */
  async #writeChunks(file: FileHandle, chunks: readonly Uint8Array[], length: number, position: number): Promise<void> {
    if (chunks.length === 1) {
      await file.write(chunks[0]!, position);
      return;
    }
    if (chunks.length <= MAX_WRITEV_CHUNKS) {
      await file.write(chunks, position);
      return;
    }
    if (this.#buffer.length < length) {
      let size = this.#buffer.length;
      while (size < length) size *= 2;
      this.#buffer = new Uint8Array(size);
    }
    const buffer = this.#buffer;
    let at = 0;
    for (const chunk of chunks) {
      buffer.set(chunk, at);
      at += chunk.length;
    }
    await file.write(buffer.subarray(0, length), position);
    // A batch of huge appends may have grown the buffer far past the batch limit: do not keep that.
    if (buffer.length > 2 * this.#settings.maxBatchBytes) this.#buffer = new Uint8Array(64 * 1024);
  }

  // ---------------------------------------------------------------- reads

  #locate(index: number): { segment: Segment; slot: number } {
    if (index < this.#first || index > this.#last) throw new IndexOutOfRangeError(index, this.#first, this.#last);
    const segments = this.#segments;
    let lo = 0;
    let hi = segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segments[mid]!.base <= index) lo = mid;
      else hi = mid - 1;
    }
    const segment = segments[lo]!;
    return { segment, slot: index - segment.base };
  }

  /** Reads records `from..to` (all in one segment, at most about READ_CHUNK bytes unless one record is bigger). */
  async #readRun(from: number, to: number): Promise<WalEntry[]> {
    return this.#gate.shared(async () => {
      if (this.#closing !== undefined) throw new ClosedError('The write-ahead log is closed');
      const { segment, slot } = this.#locate(from);
      const lastSlot = Math.min(to - segment.base, segment.offsets.length - 1);
      let endSlot = slot;
      const begin = segment.offsets[slot]!;
      while (endSlot < lastSlot && segment.offsets[endSlot + 1]! - begin < READ_CHUNK) endSlot++;
      const finish = endSlot + 1 < segment.offsets.length ? segment.offsets[endSlot + 1]! : segment.end;
      const bytes = new Uint8Array(finish - begin);
      const got = await segment.file.read(bytes, 0, bytes.length, begin);
      const view = new DataView(bytes.buffer);
      const entries: WalEntry[] = [];
      for (let s = slot; s <= endSlot; s++) {
        const at = segment.offsets[s]! - begin;
        const index = segment.base + s;
        const frame = checkFrame(bytes.subarray(0, got), view, at, index);
        if (frame.kind !== 'record') {
          const reason = frame.kind === 'bad' ? frame.reason : 'record is zeroed';
          throw new WalCorruptionError(segment.name, begin + at, reason);
        }
        entries.push({ index, data: bytes.slice(at + FRAME_HEADER_SIZE, at + FRAME_HEADER_SIZE + frame.length) });
      }
      return entries;
    });
  }

  async read(index: number, options?: AbortOptions): Promise<Uint8Array> {
    this.#assertUsable();
    assertIndex('index', index);
    assertAbortOptions(options);
    throwIfAborted(options?.signal);
    const [entry] = await this.#readRun(index, index);
    return entry!.data;
  }

  async *entries(from?: number, to?: number, options?: AbortOptions): AsyncIterableIterator<WalEntry> {
    this.#assertUsable();
    const start = from ?? this.#first;
    const end = to ?? this.#last;
    assertIndex('from', start);
    assertIndex('to', end);
    assertAbortOptions(options);
    if (start > end) return;
    if (start < this.#first) throw new IndexOutOfRangeError(start, this.#first, this.#last);
    if (end > this.#last) throw new IndexOutOfRangeError(end, this.#first, this.#last);
    let next = start;
    while (next <= end) {
      throwIfAborted(options?.signal);
      if (this.#failure !== undefined) throw this.#failure;
      const run = await this.#readRun(next, end);
      for (const entry of run) yield entry;
      next += run.length;
    }
  }

  // ---------------------------------------------------------------- truncation, compaction, metadata

  truncateSuffix(index: number, options?: AbortOptions): Promise<void> {
    try {
      assertIndex('index', index);
      assertAbortOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#task(async () => {
      if (index >= this.#last) return;
      if (index < this.#first - 1) throw new IndexOutOfRangeError(index, this.#first, this.#last);
      const keepUntil = index + 1; // first index to discard
      // Whole segments after the cut go first, newest first, so a crash leaves a shorter log,
      // never one with a hole.
      while (this.#segments.length > 1 && this.#segments[this.#segments.length - 1]!.base >= keepUntil) {
        await this.#files.dropSegment(this.#segments.pop()!);
      }
      const segment = this.#segments[this.#segments.length - 1]!;
      const keep = keepUntil - segment.base;
      if (keep < segment.offsets.length) {
        // Rewrite the segment with only the records kept: copy them into the prepared file
        // and rename it over the old one, so a crash leaves either the old or the new file.
        const keepEnd = segment.offsets[keep]!;
        const { file, name } = await this.#files.takeSpare();
        try {
          // The records kept and an end marker (the spare may be a recycled file).
          const bytes = new Uint8Array(Math.min(keepEnd + END_MARKER_SIZE, this.#settings.segmentSize));
          await segment.file.read(bytes, 0, keepEnd, 0);
          bytes.set(encodeSegmentHeader(segment.base, this.#settings.segmentSize), 0);
          await file.write(bytes, 0);
          await file.datasync();
          await this.#fs.rename(this.#files.path(name), this.#files.path(segment.name));
          await this.#fs.syncDirectory(this.#dir);
        } catch (error) {
          await file.close().catch(() => undefined);
          throw error;
        }
        const old = segment.file;
        segment.file = await this.#files.reopenSegment(file, segment.name);
        segment.offsets.length = keep;
        segment.end = keepEnd;
        segment.capacity = this.#settings.segmentSize;
        await old.close();
      }
      this.#last = index;
    }, options);
  }

  dropPrefix(index: number, options?: AbortOptions): Promise<void> {
    try {
      assertIndex('index', index);
      assertAbortOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#task(async () => {
      if (index <= this.#first) return;
      // Record the new first index before deleting anything: on reopen, records below it
      // stay dropped even if some of their segment files survive a crash.
      await this.#writeMeta({ firstIndex: index, value: this.#meta.value });
      if (index > this.#last + 1) {
        await this.#resetTo(index);
        return;
      }
      while (this.#segments.length > 1 && this.#segments[1]!.base <= index) {
        await this.#files.retireSegment(this.#segments.shift()!);
      }
      this.#first = index;
    }, options);
  }

  getMetadata(): Uint8Array | undefined {
    this.#assertUsable();
    return this.#meta.value?.slice();
  }

  setMetadata(value: Uint8Array, options?: AbortOptions): Promise<void> {
    try {
      assertBytes(value, 'value');
      assertAbortOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    const copy = value.slice();
    return this.#task(() => this.#writeMeta({ firstIndex: this.#meta.firstIndex, value: copy }), options);
  }

  // ---------------------------------------------------------------- closing

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    while (this.#pumpActive) await this.#pumping;
    await this.#settle();
    await this.#thread?.close();
    await this.#gate.exclusive(async () => {
      await this.#files.closeSpare();
      for (const segment of this.#segments) await segment.file.close().catch(() => undefined);
    });
    await this.#lock.release();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Placeholder for an append's resolve and reject until its promise exists. */
function settleNothing(): void {}
