import type { FileHandle, FileSystem } from '@lattice/core';
import { joinPath } from '@lattice/core';
import { END_MARKER_SIZE, encodeMeta, encodeSegmentHeader, META_FILE, type MetaState, SEGMENT_HEADER_SIZE, segmentName, TEMP_SUFFIX } from './format.js';

/** One segment file: the records `base .. base + offsets.length - 1`. */
export interface Segment {
  readonly base: number;
  readonly name: string;
  file: FileHandle;
  /** Byte offset of each record's frame. */
  offsets: number[];
  /** Offset just after the last frame. */
  end: number;
  /** Bytes the file may hold (its preallocated size). */
  capacity: number;
}

/**
 * Segment files are opened with `dataSync`: each write returns only once its data is durable
 * (O_DSYNC on the Node file system, one threadpool round trip instead of write + fdatasync).
 */
export const SEGMENT_FLAGS = { write: true, dataSync: true } as const;

/** Zeros written (and read back in recovery) per call. */
export const ZERO_CHUNK = 1024 * 1024;
const SPARE_NAME = `next-segment${TEMP_SUFFIX}`;
/** Segment files kept for reuse: `recycled-<n>.free`. */
const RECYCLED_NAME = /^recycled-(\d+)\.free$/;

/** A file ready to become the next segment: zero-filled (SPARE_NAME) or recycled. */
interface Spare {
  readonly file: FileHandle;
  readonly name: string;
}

/**
 * The files of a log's directory other than the records' bytes: creating segments durably
 * (header, data sync, rename, directory sync), the spare file prepared in the background so a
 * segment switch never waits for zero-filling, the segments released by compaction that are
 * kept for reuse, and the metadata file replaced atomically.
 */
export class SegmentFiles {
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #segmentSize: number;
  /** Most released segments kept for reuse. */
  readonly #keep: number;
  #spare: Promise<Spare> | undefined;
  /** Names of recycled segment files waiting for reuse. */
  readonly #recycled: string[] = [];
  #recycleSeq = 0;

  constructor(fs: FileSystem, dir: string, segmentSize: number, keep: number) {
    this.#fs = fs;
    this.#dir = dir;
    this.#segmentSize = segmentSize;
    this.#keep = keep;
  }

  /** Recovery: a temporary file left by a crash goes; a recycled one is kept if it is a whole segment of the current size. */
  async adopt(name: string): Promise<void> {
    if (name.endsWith(TEMP_SUFFIX)) await this.#fs.remove(this.path(name));
    const recycled = RECYCLED_NAME.exec(name);
    if (recycled === null) return;
    this.#recycleSeq = Math.max(this.#recycleSeq, Number(recycled[1]) + 1);
    const { size } = await this.#fs.stat(this.path(name));
    if (size === this.#segmentSize && this.#recycled.length < this.#keep) this.#recycled.push(name);
    else await this.#fs.remove(this.path(name));
  }

  /** Closes the spare file; a recycled one stays for the next open, a zero-filled one goes. */
  async closeSpare(): Promise<void> {
    const spare = this.#spare;
    this.#spare = undefined;
    if (spare === undefined) return;
    const prepared = await spare.catch(() => undefined);
    if (prepared !== undefined) await prepared.file.close().catch(() => undefined);
    if (prepared === undefined || prepared.name === SPARE_NAME) await this.#fs.remove(this.path(SPARE_NAME)).catch(() => undefined);
  }

  /**
   * Starts preparing the next segment file in the background, if not already started: a
   * recycled one if any is kept (nothing to write), else a new one zero-filled.
   */
  prepareSpare(): Promise<Spare> {
    if (this.#spare === undefined) {
      const recycled = this.#recycled.pop();
      const promise = recycled !== undefined ? this.#openRecycled(recycled) : this.#zeroFilledSpare();
      // Failures surface when the spare is taken; do not report them as unhandled meanwhile.
      promise.catch(() => undefined);
      this.#spare = promise;
    }
    return this.#spare;
  }

  async #openRecycled(name: string): Promise<Spare> {
    return { file: await this.#fs.open(this.path(name), { write: true }), name };
  }

  async #zeroFilledSpare(): Promise<Spare> {
    const file = await this.#fs.open(this.path(SPARE_NAME), { create: true, truncate: true });
    try {
      const size = this.#segmentSize;
      const zeros = new Uint8Array(Math.min(ZERO_CHUNK, size));
      for (let at = 0; at < size; at += zeros.length) await file.write(zeros.subarray(0, Math.min(zeros.length, size - at)), at);
      await file.datasync();
      return { file, name: SPARE_NAME };
    } catch (error) {
      await file.close().catch(() => undefined);
      throw error;
    }
  }

  /** Takes the prepared file (waiting for it if needed), still under its temporary name. */
  async takeSpare(): Promise<Spare> {
    const spare = await this.prepareSpare();
    this.#spare = undefined;
    return spare;
  }

  /** Makes a new, empty segment starting at `base` durable in the directory. */
  async createSegment(base: number): Promise<Segment> {
    const spare = await this.takeSpare();
    const name = segmentName(base);
    // The header and an end marker: a recycled file holds stale frames right after it.
    const head = new Uint8Array(SEGMENT_HEADER_SIZE + END_MARKER_SIZE);
    head.set(encodeSegmentHeader(base, this.#segmentSize), 0);
    try {
      await spare.file.write(head, 0);
      await spare.file.datasync();
      await this.#fs.rename(this.path(spare.name), this.path(name));
    } catch (error) {
      await spare.file.close().catch(() => undefined);
      throw error;
    }
    await this.#fs.syncDirectory(this.#dir);
    const file = await this.reopenSegment(spare.file, name);
    return { base, name, file, offsets: [], end: SEGMENT_HEADER_SIZE, capacity: this.#segmentSize };
  }

  /** Swaps the handle a prepared file was written through for one with SEGMENT_FLAGS. */
  async reopenSegment(prepared: FileHandle, name: string): Promise<FileHandle> {
    try {
      return await this.#fs.open(this.path(name), SEGMENT_FLAGS);
    } finally {
      await prepared.close();
    }
  }

  path(name: string): string {
    return joinPath(this.#dir, name);
  }

  async unlinkDurably(name: string): Promise<void> {
    await this.#fs.remove(this.path(name));
    await this.#fs.syncDirectory(this.#dir);
  }

  async dropSegment(segment: Segment): Promise<void> {
    await segment.file.close();
    await this.unlinkDurably(segment.name);
  }

  /**
   * Removes a segment whose records are all below the first index (already recorded in
   * `meta`): kept for reuse under a recycled name if there is room, else deleted. Only such
   * segments are recycled, never ones cut off by truncateSuffix, whose indexes come back.
   */
  async retireSegment(segment: Segment): Promise<void> {
    const size = await segment.file.size();
    await segment.file.close();
    if (size !== this.#segmentSize || this.#recycled.length >= this.#keep) {
      await this.unlinkDurably(segment.name);
      return;
    }
    const name = `recycled-${this.#recycleSeq++}.free`;
    await this.#fs.rename(this.path(segment.name), this.path(name));
    await this.#fs.syncDirectory(this.#dir);
    this.#recycled.push(name);
  }

  async writeMeta(state: MetaState): Promise<void> {
    const bytes = encodeMeta(state);
    const temp = this.path(`${META_FILE}${TEMP_SUFFIX}`);
    const file = await this.#fs.open(temp, { create: true, truncate: true });
    try {
      await file.write(bytes, 0);
      await file.datasync();
    } finally {
      await file.close();
    }
    await this.#fs.rename(temp, this.path(META_FILE));
    await this.#fs.syncDirectory(this.#dir);
  }
}
