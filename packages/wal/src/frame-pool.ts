import { crc32cInBuffer } from './crc32c.js';
import { wasmCrcBuffer } from './crc32c-wasm.js';
import { encodeFrame, encodeFrames, frameSize, type RangeChecksum } from './format.js';

/** A block of memory that frames are carved from, in order; reused once all of them are written. */
export interface Slab {
  /** Shared memory, so the writer thread can write frames from it without a copy. */
  readonly bytes: Uint8Array<SharedArrayBuffer>;
  readonly view: DataView;
  /** CRC-32C of a range of `bytes` (in WebAssembly memory where available). */
  readonly crc: RangeChecksum;
  /** Bytes handed out so far. */
  used: number;
  /** Frames handed out and not yet released. */
  live: number;
}

/**
 * Where the frames of one append are: `buffer[start, end)`, in `slab` (undefined: a buffer of
 * their own). Plain fields rather than a view, which would cost an allocation per append.
 */
export interface Framed {
  buffer: Uint8Array;
  start: number;
  end: number;
  slab: Slab | undefined;
}

/** Slabs kept for reuse beyond the one being filled. */
const MAX_FREE_SLABS = 4;

/**
 * Where `append` frames its records: consecutive appends get consecutive pieces of one slab, so
 * a batch is a few contiguous ranges (a short writev, no copy), and slabs are reused instead of
 * allocating (and garbage-collecting) a buffer per append. Each slab lives in the memory of its
 * own instance of the WebAssembly CRC-32C function, so the checksum of a frame is computed
 * where it was copied to. Appends larger than a quarter slab get a buffer of their own.
 */
export class FramePool {
  readonly #slabSize: number;
  #current: Slab | undefined;
  readonly #free: Slab[] = [];

  constructor(slabSize: number) {
    this.#slabSize = slabSize;
  }

  /**
   * Frames `records` for the indexes `first, first + 1, …` and records where in `into`. Pass
   * it to {@link release} once written.
   */
  frame(records: readonly Uint8Array[], first: number, into: Framed): void {
    let total = 0;
    for (let r = 0; r < records.length; r++) total += frameSize(records[r]!.length);
    if (total > this.#slabSize / 4) {
      const frames = encodeFrames(records, first);
      into.buffer = frames;
      into.start = 0;
      into.end = frames.length;
      into.slab = undefined;
      return;
    }
    let slab = this.#current;
    if (slab === undefined || slab.used + total > slab.bytes.length) {
      slab = this.#free.pop() ?? newSlab(this.#slabSize);
      this.#current = slab;
    }
    const start = slab.used;
    let offset = start;
    for (let r = 0; r < records.length; r++) offset = encodeFrame(slab.bytes, slab.view, slab.crc, offset, first + r, records[r]!);
    slab.used = offset;
    slab.live++;
    into.buffer = slab.bytes;
    into.start = start;
    into.end = offset;
    into.slab = slab;
  }

  /** Gives back the memory of frames that have been written (or will never be). */
  release(framed: Framed): void {
    const slab = framed.slab;
    if (slab === undefined) return;
    slab.live--;
    if (slab.live > 0) return;
    if (slab === this.#current) slab.used = 0;
    else if (this.#free.length < MAX_FREE_SLABS) {
      slab.used = 0;
      this.#free.push(slab);
    }
  }
}

function newSlab(size: number): Slab {
  const wasm = wasmCrcBuffer(size);
  if (wasm !== undefined) {
    const bytes = wasm.bytes;
    return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.length), crc: wasm.crc, used: 0, live: 0 };
  }
  const bytes = new Uint8Array(new SharedArrayBuffer(size));
  const words = new Int32Array(bytes.buffer);
  return { bytes, view: new DataView(bytes.buffer), crc: (start, end) => crc32cInBuffer(bytes, words, start, end), used: 0, live: 0 };
}
