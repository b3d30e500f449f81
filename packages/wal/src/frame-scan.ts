import { crc32c } from './crc32c.js';
import { FRAME_HEADER_SIZE, readU64 } from './format.js';

// Recovery's scans of a segment's bytes: where the written part ends, and whether an intact
// frame lies beyond a damaged one (corruption in the middle rather than a torn tail).

/** Offset of the last non-zero byte at or after `from`, or `from - 1` if there is none. */
export function lastNonZeroByte(bytes: Uint8Array, from: number): number {
  const base = bytes.byteOffset;
  let end = bytes.length; // exclusive
  while (end > from && ((base + end) & 3) !== 0) {
    if (bytes[end - 1] !== 0) return end - 1;
    end--;
  }
  // Whole 32-bit words through the (usually long) zero tail of a preallocated segment.
  const firstWord = Math.ceil((base + from) / 4);
  const lastWord = (base + end) / 4;
  if (lastWord > firstWord) {
    const words = new Int32Array(bytes.buffer, firstWord * 4, lastWord - firstWord);
    let w = words.length - 1;
    while (w >= 0 && words[w] === 0) w--;
    end = firstWord * 4 - base + (w + 1) * 4;
  }
  while (end > from) {
    if (bytes[end - 1] !== 0) return end - 1;
    end--;
  }
  return from - 1;
}

/**
 * Looks for an intact frame holding an index >= `minIndex` at any 8-byte-aligned offset from
 * `from`: if one exists, the damage before it is not a torn tail but corruption in the middle.
 */
export function findLaterFrame(bytes: Uint8Array, view: DataView, from: number, minIndex: number): number | undefined {
  const maxIndex = minIndex + Math.ceil(bytes.length / FRAME_HEADER_SIZE);
  for (let at = (from + 7) & ~7; at + FRAME_HEADER_SIZE <= bytes.length; at += 8) {
    const index = readU64(view, at + 8);
    if (index < minIndex || index > maxIndex) continue;
    const length = view.getUint32(at + 4, true);
    const end = at + FRAME_HEADER_SIZE + length;
    if (end > bytes.length) continue;
    if (crc32c(bytes, at + 4, end) === view.getUint32(at, true)) return at;
  }
  return undefined;
}
