import { type FileSystem, FileNotFoundError, isLatticeError, UnsupportedVersionError } from '@lattice/core';
import { WalCorruptionError, WalMissingSegmentError } from './errors.js';
import { checkFrame, decodeMeta, decodeSegmentHeader, FRAME_HEADER_SIZE, META_FILE, type MetaState, parseSegmentName, SEGMENT_HEADER_SIZE, segmentName } from './format.js';
import { findLaterFrame, lastNonZeroByte } from './frame-scan.js';
import { type Segment, SEGMENT_FLAGS, type SegmentFiles, ZERO_CHUNK } from './segment-files.js';

/** What recovery found: the metadata and the log's bounds (its segments are in the array passed in). */
export interface RecoveredLog {
  readonly meta: MetaState;
  readonly first: number;
  readonly last: number;
}

/**
 * Recovery of a log directory, run once when a log is opened: adopts the directory's files,
 * reads the metadata, finishes an interrupted `dropPrefix` (segments wholly below the first
 * index), checks that the segments follow each other without gaps, verifies every frame, and
 * cuts a torn tail off the last segment (zeroed, so the region reads as free space again).
 * Damage anywhere else is a `WalCorruptionError` and nothing is repaired; a newer format is an
 * `UnsupportedVersionError`; a gap is a `WalMissingSegmentError`.
 *
 * Each segment is pushed into `segments` as soon as it is open, so that the caller can close
 * every file it holds when a later one fails to load. A first index past the last record (an
 * interrupted `dropPrefix` past the end) is returned as found: the caller resets the log.
 */
export async function recoverLog(fs: FileSystem, dir: string, files: SegmentFiles, segments: Segment[]): Promise<RecoveredLog> {
  const names = await fs.list(dir);
  for (const name of names) await files.adopt(name);
  const metaBytes = await fs.readFile(files.path(META_FILE)).catch((error: unknown) => {
    if (isLatticeError(error, FileNotFoundError.code)) return undefined;
    throw error;
  });
  let meta: MetaState = { firstIndex: 1, value: undefined };
  let hasMeta = false;
  if (metaBytes !== undefined) {
    const decoded = decodeMeta(metaBytes);
    if (!decoded.ok) {
      if (decoded.newer !== undefined) throw new UnsupportedVersionError(decoded.newer.version, decoded.newer.supported, `WAL metadata (${META_FILE})`);
      throw new WalCorruptionError(META_FILE, decoded.offset, decoded.reason);
    }
    meta = decoded.state;
    hasMeta = true;
  }
  const bases = names
    .map((name) => parseSegmentName(name))
    .filter((base): base is number => base !== undefined)
    .sort((a, b) => a - b);

  if (bases.length === 0) {
    if (hasMeta) throw new WalCorruptionError(META_FILE, 0, 'metadata is present but every segment file is gone');
    segments.push(await files.createSegment(1));
    return { meta, first: 1, last: 0 };
  }

  // Segments wholly below the first index were being deleted by an interrupted dropPrefix.
  const firstIndex = meta.firstIndex;
  while (bases.length > 1 && bases[1]! <= firstIndex) {
    await files.unlinkDurably(segmentName(bases.shift()!));
  }
  if (bases[0]! > firstIndex) {
    throw new WalMissingSegmentError(firstIndex, bases[0]! - 1, segmentName(bases[0]!));
  }

  let expected: number | undefined;
  for (let i = 0; i < bases.length; i++) {
    const base = bases[i]!;
    const name = segmentName(base);
    if (expected !== undefined && base > expected) throw new WalMissingSegmentError(expected, base - 1, name);
    if (expected !== undefined && base < expected) {
      throw new WalCorruptionError(name, 0, `segment starts at index ${base}, but the previous one ends at ${expected - 1}`);
    }
    const segment = await loadSegment(fs, files, name, base, i === bases.length - 1);
    segments.push(segment);
    expected = base + segment.offsets.length;
  }
  const lastSegment = segments[segments.length - 1]!;
  return { meta, first: Math.max(firstIndex, segments[0]!.base), last: lastSegment.base + lastSegment.offsets.length - 1 };
}

/** Opens and verifies one segment; in the last segment a torn tail is cut off (zeroed). */
async function loadSegment(fs: FileSystem, files: SegmentFiles, name: string, base: number, isLast: boolean): Promise<Segment> {
  const file = await fs.open(files.path(name), SEGMENT_FLAGS);
  try {
    const size = await file.size();
    const bytes = new Uint8Array(size);
    const got = await file.read(bytes, 0, size, 0);
    const data = bytes.subarray(0, got);
    const header = decodeSegmentHeader(data);
    if (!header.ok) {
      if (header.newer !== undefined) throw new UnsupportedVersionError(header.newer.version, header.newer.supported, `WAL segment (${name})`);
      throw new WalCorruptionError(name, 0, header.reason);
    }
    if (header.baseIndex !== base) throw new WalCorruptionError(name, 8, `header says the segment starts at index ${header.baseIndex}`);
    const view = new DataView(data.buffer, data.byteOffset, data.length);
    const declared = view.getUint32(16, true);
    const capacity = Math.max(declared, SEGMENT_HEADER_SIZE);
    const offsets: number[] = [];
    let offset = SEGMENT_HEADER_SIZE;
    let index = base;
    let stop: { offset: number; reason: string } | undefined;
    for (;;) {
      // The writer starts a frame past the first only where the whole frame fits before the
      // capacity (else it rotates), and writes the end marker only where it fits: so with fewer
      // than a header's bytes left, the records end here. What follows is zeros, or in a recycled
      // file stale bytes of an older segment, not a frame cut short.
      if (offset > SEGMENT_HEADER_SIZE && offset + FRAME_HEADER_SIZE > capacity) break;
      const frame = checkFrame(data, view, offset, index);
      if (frame.kind === 'record') {
        offsets.push(offset);
        offset = frame.next;
        index++;
        continue;
      }
      if (frame.kind === 'bad') stop = { offset, reason: frame.reason };
      break;
    }
    const lastNonZero = lastNonZeroByte(data, offset);
    if (stop === undefined && lastNonZero >= offset) {
      // Past the end marker a recycled file holds an older segment's frames, all with
      // indexes below this segment's base. An intact frame of a later index there means
      // the marker is damage in the middle of the records.
      const later = findLaterFrame(data, view, offset + 8, index);
      if (later !== undefined) {
        throw new WalCorruptionError(name, offset, `records end here, but intact records follow (at offset ${later})`);
      }
    }
    if (stop !== undefined) {
      if (!isLast) throw new WalCorruptionError(name, stop.offset, stop.reason);
      const later = findLaterFrame(data, view, stop.offset + 8, index);
      if (later !== undefined) {
        throw new WalCorruptionError(name, stop.offset, `${stop.reason}, and intact records follow it (at offset ${later})`);
      }
      // A torn final write: nothing after it was acknowledged. Zero it so that the region
      // reads as free space and future appends start clean.
      if (lastNonZero >= offset) {
        const zeros = new Uint8Array(Math.min(ZERO_CHUNK, lastNonZero + 1 - offset));
        for (let at = offset; at <= lastNonZero; at += zeros.length) {
          await file.write(zeros.subarray(0, Math.min(zeros.length, lastNonZero + 1 - at)), at);
        }
      }
    }
    return { base, name, file, offsets, end: offset, capacity };
  } catch (error) {
    await file.close().catch(() => undefined);
    throw error;
  }
}
