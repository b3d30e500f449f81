import { assertBytes, assertInteger } from '@lattice/core';
/** Reflected CRC-32C (Castagnoli) polynomial. */
const POLYNOMIAL = 0x82f63b78;

interface Crc32cTables {
  /** Sixteen 256-entry tables of slicing-by-16, table k at offset 256·k. */
  readonly table: Int32Array;
  /** True on little-endian hosts, where aligned 32-bit words can be read straight from the buffer. */
  readonly littleEndian: boolean;
}

/**
 * Built on first use, never at import. A memo of a pure function: once built it is never
 * written again, so every log in the process shares it safely.
 */
let memo: Crc32cTables | undefined;

function tables(): Crc32cTables {
  if (memo !== undefined) return memo;
  const table = new Int32Array(16 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    table[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = table[n]!;
    for (let k = 1; k < 16; k++) {
      c = table[c & 0xff]! ^ (c >>> 8);
      table[k * 256 + n] = c;
    }
  }
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  memo = { table, littleEndian };
  return memo;
}

/**
 * The sixteen slicing-by-16 tables (table k at offset 256·k), or undefined on big-endian hosts,
 * where the word-at-a-time methods do not apply. Shared: callers must not write to it.
 * @internal
 */
export function crc32cTable(): Int32Array | undefined {
  const { table, littleEndian } = tables();
  return littleEndian ? table : undefined;
}

/**
 * The CRC register `c` (not inverted) advanced over the aligned 32-bit words
 * `words[w, w + count)`: slicing-by-16 (four words, 16 table look-ups, per step), then
 * slicing-by-8 for a remaining pair. `count` must be even. Little-endian hosts only.
 */
function advanceWords(t: Int32Array, words: Int32Array, c: number, w: number, count: number): number {
  const end = w + count;
  const end16 = w + (count & ~3);
  for (; w < end16; w += 4) {
    const a = words[w]! ^ c;
    const b = words[w + 1]!;
    const d = words[w + 2]!;
    const e = words[w + 3]!;
    c =
      t[3840 + (a & 0xff)]! ^
      t[3584 + ((a >>> 8) & 0xff)]! ^
      t[3328 + ((a >>> 16) & 0xff)]! ^
      t[3072 + (a >>> 24)]! ^
      t[2816 + (b & 0xff)]! ^
      t[2560 + ((b >>> 8) & 0xff)]! ^
      t[2304 + ((b >>> 16) & 0xff)]! ^
      t[2048 + (b >>> 24)]! ^
      t[1792 + (d & 0xff)]! ^
      t[1536 + ((d >>> 8) & 0xff)]! ^
      t[1280 + ((d >>> 16) & 0xff)]! ^
      t[1024 + (d >>> 24)]! ^
      t[768 + (e & 0xff)]! ^
      t[512 + ((e >>> 8) & 0xff)]! ^
      t[256 + ((e >>> 16) & 0xff)]! ^
      t[e >>> 24]!;
  }
  if (w < end) {
    const lo = words[w]! ^ c;
    const hi = words[w + 1]!;
    c =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + (hi & 0xff)]! ^
      t[512 + ((hi >>> 8) & 0xff)]! ^
      t[256 + ((hi >>> 16) & 0xff)]! ^
      t[hi >>> 24]!;
  }
  return c;
}

/**
 * CRC-32C (Castagnoli, the checksum of iSCSI, ext4, LevelDB and etcd) of `bytes[start, end)`,
 * computed with slicing-by-16 over aligned 32-bit words (about 1.5 GB/s in V8 on an idle
 * core). Pass a previous result as `crc` to continue a running checksum:
 * `crc32c(b, 0, b.length, crc32c(a))` is the CRC of `a` followed by `b`.
 *
 * @example
 * ```ts
 * crc32c(new TextEncoder().encode('123456789')).toString(16); // 'e3069283'
 * ```
 */
export function crc32c(bytes: Uint8Array, start = 0, end: number = bytes.length, crc = 0): number {
  const { table: t, littleEndian } = tables();
  let c = ~crc;
  let i = start;
  if (littleEndian) {
    // Bytes one at a time up to a 4-byte boundary, so the word view below is aligned.
    while (i < end && ((bytes.byteOffset + i) & 3) !== 0) {
      c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
      i++;
    }
    const count = ((end - i) >>> 3) << 1;
    if (count > 0) {
      c = advanceWords(t, new Int32Array(bytes.buffer, bytes.byteOffset + i, count), c, 0, count);
      i += count * 4;
    }
  }
  while (i < end) {
    c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
    i++;
  }
  return ~c >>> 0;
}

/**
 * {@link crc32c} of `bytes[start, end)` where `words` is an `Int32Array` over the same memory
 * starting at the same byte (`bytes.byteOffset === words.byteOffset`, a multiple of 4). Saves
 * creating a word view per call when checksumming many small frames in one buffer.
 * @internal
 */
export function crc32cInBuffer(bytes: Uint8Array, words: Int32Array, start: number, end: number): number {
  const { table: t, littleEndian } = tables();
  if (!littleEndian) return crc32c(bytes, start, end);
  let c = -1;
  let i = start;
  while (i < end && (i & 3) !== 0) {
    c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
    i++;
  }
  const count = ((end - i) >>> 3) << 1;
  if (count > 0) {
    c = advanceWords(t, words, c, i >> 2, count);
    i += count * 4;
  }
  while (i < end) {
    c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
    i++;
  }
  return ~c >>> 0;
}

/**
 * CRC-32C (Castagnoli, the checksum of iSCSI, ext4, LevelDB and etcd) of `bytes[start, end)`,
 * computed with slicing-by-16 over aligned 32-bit words. Pass a previous result as `crc` to
 * continue a running checksum: `crc32c(b, 0, b.length, crc32c(a))` is the CRC of `a` followed
 * by `b`. `bytes` must be a `Uint8Array`, `start` and `end` integers with
 * `0 ≤ start ≤ end ≤ bytes.length`, and `crc` a 32-bit value; anything else is an
 * `InvalidArgumentError` (an index out of range would otherwise read as 0 and give a wrong
 * checksum). The log's own framing calls an unchecked copy.
 *
 * @example
 * ```ts
 * crc32c(new TextEncoder().encode('123456789')).toString(16); // 'e3069283'
 * ```
 */
export function crc32cChecked(bytes: Uint8Array, start = 0, end?: number, crc = 0): number {
  assertBytes(bytes, 'crc32c bytes');
  const stop = end ?? bytes.length;
  assertInteger(start, 'crc32c start', 0, bytes.length);
  assertInteger(stop, 'crc32c end', start, bytes.length);
  assertInteger(crc, 'crc32c crc', -0x8000_0000, 0xffff_ffff);
  return crc32c(bytes, start, stop, crc);
}
