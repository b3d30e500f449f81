import { crc32c, crc32cInBuffer } from './crc32c.js';

/*
 * On-disk format (all integers little-endian).
 *
 * Segment file `<first index, 20 digits>.wal`, preallocated to the segment size (zero-filled,
 * or a recycled segment file that still holds an older segment's frames):
 *   header (32 bytes): "LWAL" | u32 version (2) | u64 base index | u32 segment size | 8 zero bytes | u32 CRC-32C of bytes 0..28
 *   frames, back to back, each starting at a multiple of 8:
 *     u32 CRC-32C of bytes 4..16+length | u32 length | u64 index | payload | zero padding to a multiple of 8
 *   then an end marker: 16 zero bytes (written with every batch, when there is room before the end of the file),
 *   then anything: zeros, or stale frames of a recycled file.
 * A frame's index is never 0, so the zero marker ends the records. A frame counts only if it
 * holds exactly the index expected at its place (base + its position) and its checksum holds;
 * a recycled file only ever held indexes below the log's first index at the time it was
 * recycled, and the first index never goes down, so a stale frame can never pass for a record.
 * Version 1 segments (every byte after the records zero) read the same way.
 *
 * Metadata file `meta`, replaced atomically (write `meta.tmp`, fsync, rename, fsync the directory):
 *   "LWMT" | u32 version (1) | u64 first index | u32 has value (0/1) | u32 value length | value | u32 CRC-32C of everything before
 */

/** Version written into new segment headers; version 1 segments are read too. */
export const SEGMENT_FORMAT_VERSION = 2;
const META_FORMAT_VERSION = 1;
/** Bytes of the end-of-records marker written after every batch. */
export const END_MARKER_SIZE = 16;
export const SEGMENT_HEADER_SIZE = 32;
export const FRAME_HEADER_SIZE = 16;
export const META_FILE = 'meta';
export const LOCK_FILE = 'LOCK';
export const TEMP_SUFFIX = '.tmp';
export const SEGMENT_SUFFIX = '.wal';

const SEGMENT_MAGIC = [0x4c, 0x57, 0x41, 0x4c]; // "LWAL"
const META_MAGIC = [0x4c, 0x57, 0x4d, 0x54]; // "LWMT"
const TWO_32 = 0x1_0000_0000;

export function segmentName(baseIndex: number): string {
  return `${String(baseIndex).padStart(20, '0')}${SEGMENT_SUFFIX}`;
}

/** The base index named by a segment file name, or undefined if the name is not a segment's. */
export function parseSegmentName(name: string): number | undefined {
  const match = /^(\d{20})\.wal$/.exec(name);
  if (!match) return undefined;
  const value = Number(match[1]);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Bytes a record of `length` occupies in a segment, header and padding included. */
export function frameSize(length: number): number {
  return (FRAME_HEADER_SIZE + length + 7) & ~7;
}

export function writeU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value % TWO_32, true);
  view.setUint32(offset + 4, Math.floor(value / TWO_32), true);
}

export function readU64(view: DataView, offset: number): number {
  return view.getUint32(offset, true) + view.getUint32(offset + 4, true) * TWO_32;
}

export function encodeSegmentHeader(baseIndex: number, segmentSize: number): Uint8Array {
  const bytes = new Uint8Array(SEGMENT_HEADER_SIZE);
  const view = new DataView(bytes.buffer);
  bytes.set(SEGMENT_MAGIC, 0);
  view.setUint32(4, SEGMENT_FORMAT_VERSION, true);
  writeU64(view, 8, baseIndex);
  view.setUint32(16, segmentSize, true);
  view.setUint32(28, crc32c(bytes, 0, 28), true);
  return bytes;
}

/**
 * A file written by a newer release: intact, but in a format version this build does not read.
 * Told apart from corruption so the log can say "upgrade" instead of "damaged".
 */
export interface NewerFormat {
  readonly version: number;
  readonly supported: number;
}

export type SegmentHeaderCheck = { ok: true; baseIndex: number } | { ok: false; reason: string; newer?: NewerFormat };

export function decodeSegmentHeader(bytes: Uint8Array): SegmentHeaderCheck {
  if (bytes.length < SEGMENT_HEADER_SIZE) return { ok: false, reason: `file is ${bytes.length} bytes, shorter than a segment header` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, SEGMENT_HEADER_SIZE);
  if (view.getUint32(28, true) !== crc32c(bytes, 0, 28)) return { ok: false, reason: 'segment header checksum mismatch' };
  for (let i = 0; i < 4; i++) if (bytes[i] !== SEGMENT_MAGIC[i]) return { ok: false, reason: 'not a segment file (bad magic)' };
  const version = view.getUint32(4, true);
  if (version > SEGMENT_FORMAT_VERSION) {
    return { ok: false, reason: `segment format version ${version} is newer than this build reads`, newer: { version, supported: SEGMENT_FORMAT_VERSION } };
  }
  if (version !== 1 && version !== SEGMENT_FORMAT_VERSION) return { ok: false, reason: `unsupported segment format version ${version}` };
  return { ok: true, baseIndex: readU64(view, 8) };
}

/** CRC-32C of `[start, end)` of the buffer a frame is being written into. */
export type RangeChecksum = (start: number, end: number) => number;

/**
 * Writes the frame of `payload` with `index` at `offset` of `target` (which must have room for
 * `frameSize(payload.length)` bytes; `view` is a view of it from its first byte, `crc`
 * checksums its ranges) and returns the offset just after it.
 */
export function encodeFrame(target: Uint8Array, view: DataView, crc: RangeChecksum, offset: number, index: number, payload: Uint8Array): number {
  const length = payload.length;
  view.setUint32(offset + 4, length, true);
  view.setUint32(offset + 8, index % TWO_32, true);
  view.setUint32(offset + 12, Math.floor(index / TWO_32), true);
  target.set(payload, offset + FRAME_HEADER_SIZE);
  const end = offset + FRAME_HEADER_SIZE + length;
  const padded = (end + 7) & ~7;
  for (let i = end; i < padded; i++) target[i] = 0;
  view.setUint32(offset, crc(offset + 4, end), true);
  return padded;
}

/**
 * The frames of `records`, indexes `first, first + 1, …`, back to back in a new buffer (whose
 * padding is already zero): exactly the bytes they occupy in a segment.
 */
export function encodeFrames(records: readonly Uint8Array[], first: number): Uint8Array<ArrayBuffer> {
  let total = 0;
  for (const record of records) total += frameSize(record.length);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  const words = new Int32Array(bytes.buffer);
  const crc: RangeChecksum = (start, end) => crc32cInBuffer(bytes, words, start, end);
  let offset = 0;
  for (let r = 0; r < records.length; r++) offset = encodeFrame(bytes, view, crc, offset, first + r, records[r]!);
  return bytes;
}

/**
 * Rewrites the index and checksum of every frame in `frames` (made by {@link encodeFrames})
 * for the indexes `first, first + 1, …`, for when the records land at other indexes than the
 * ones they were framed for.
 */
export function reindexFrames(frames: Uint8Array, first: number): void {
  const view = new DataView(frames.buffer, frames.byteOffset, frames.length);
  const words = new Int32Array(frames.buffer, frames.byteOffset, frames.length >> 2);
  let offset = 0;
  for (let index = first; offset < frames.length; index++) {
    const length = view.getUint32(offset + 4, true);
    view.setUint32(offset + 8, index % TWO_32, true);
    view.setUint32(offset + 12, Math.floor(index / TWO_32), true);
    const end = offset + FRAME_HEADER_SIZE + length;
    view.setUint32(offset, crc32cInBuffer(frames, words, offset + 4, end), true);
    offset = (end + 7) & ~7;
  }
}

/** Result of checking the frame at an offset of a buffer. */
export type FrameCheck =
  | { kind: 'record'; index: number; length: number; next: number }
  | { kind: 'zero' }
  | { kind: 'bad'; reason: string };

/** Checks the frame starting at `offset` of `bytes` (which ends where the file's data ends). */
export function checkFrame(bytes: Uint8Array, view: DataView, offset: number, expectedIndex: number | undefined): FrameCheck {
  if (offset + FRAME_HEADER_SIZE > bytes.length) {
    for (let i = offset; i < bytes.length; i++) if (bytes[i] !== 0) return { kind: 'bad', reason: 'frame header cut short by the end of the file' };
    return { kind: 'zero' };
  }
  const crc = view.getUint32(offset, true);
  const length = view.getUint32(offset + 4, true);
  const index = readU64(view, offset + 8);
  if (crc === 0 && length === 0 && index === 0) return { kind: 'zero' };
  if (expectedIndex !== undefined && index !== expectedIndex) return { kind: 'bad', reason: `frame holds index ${index}, expected ${expectedIndex}` };
  const end = offset + FRAME_HEADER_SIZE + length;
  if (end > bytes.length) return { kind: 'bad', reason: `frame of ${length} bytes runs past the end of the file` };
  if (crc32c(bytes, offset + 4, end) !== crc) return { kind: 'bad', reason: 'record checksum mismatch' };
  return { kind: 'record', index, length, next: (end + 7) & ~7 };
}

export interface MetaState {
  firstIndex: number;
  value: Uint8Array | undefined;
}

export function encodeMeta(state: MetaState): Uint8Array {
  const valueLength = state.value?.length ?? 0;
  const bytes = new Uint8Array(24 + valueLength + 4);
  const view = new DataView(bytes.buffer);
  bytes.set(META_MAGIC, 0);
  view.setUint32(4, META_FORMAT_VERSION, true);
  writeU64(view, 8, state.firstIndex);
  view.setUint32(16, state.value === undefined ? 0 : 1, true);
  view.setUint32(20, valueLength, true);
  if (state.value !== undefined) bytes.set(state.value, 24);
  view.setUint32(24 + valueLength, crc32c(bytes, 0, 24 + valueLength), true);
  return bytes;
}

export type MetaCheck = { ok: true; state: MetaState } | { ok: false; offset: number; reason: string; newer?: NewerFormat };

export function decodeMeta(bytes: Uint8Array): MetaCheck {
  if (bytes.length < 28) return { ok: false, offset: 0, reason: `metadata file is ${bytes.length} bytes, shorter than its header` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let i = 0; i < 4; i++) if (bytes[i] !== META_MAGIC[i]) return { ok: false, offset: 0, reason: 'not a metadata file (bad magic)' };
  const version = view.getUint32(4, true);
  if (version > META_FORMAT_VERSION) {
    return { ok: false, offset: 4, reason: `metadata format version ${version} is newer than this build reads`, newer: { version, supported: META_FORMAT_VERSION } };
  }
  if (version !== META_FORMAT_VERSION) return { ok: false, offset: 4, reason: `unsupported metadata format version ${version}` };
  const valueLength = view.getUint32(20, true);
  if (bytes.length !== 28 + valueLength) return { ok: false, offset: 20, reason: 'metadata length does not match the file size' };
  if (view.getUint32(24 + valueLength, true) !== crc32c(bytes, 0, 24 + valueLength)) {
    return { ok: false, offset: 0, reason: 'metadata checksum mismatch' };
  }
  const hasValue = view.getUint32(16, true) === 1;
  return { ok: true, state: { firstIndex: readU64(view, 8), value: hasValue ? new Uint8Array(bytes.subarray(24, 24 + valueLength)) : undefined } };
}
