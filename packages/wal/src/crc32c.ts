/** Reflected CRC-32C (Castagnoli) polynomial. */
const POLYNOMIAL = 0x82f63b78;

interface Crc32cTables {
  /** Eight 256-entry tables of slicing-by-8, table k at offset 256·k. */
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
  const table = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    table[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = table[n]!;
    for (let k = 1; k < 8; k++) {
      c = table[c & 0xff]! ^ (c >>> 8);
      table[k * 256 + n] = c;
    }
  }
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  memo = { table, littleEndian };
  return memo;
}

/**
 * CRC-32C (Castagnoli, the checksum of iSCSI, ext4, LevelDB and etcd) of `bytes[start, end)`,
 * computed with slicing-by-8 over aligned 32-bit words (about 1 GB/s in V8). Pass a previous
 * result as `crc` to continue a running checksum: `crc32c(b, 0, b.length, crc32c(a))` is the
 * CRC of `a` followed by `b`.
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
    const pairs = (end - i) >>> 3;
    if (pairs > 0) {
      const words = new Int32Array(bytes.buffer, bytes.byteOffset + i, pairs * 2);
      for (let j = 0; j < words.length; j += 2) {
        const lo = words[j]! ^ c;
        const hi = words[j + 1]!;
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
      i += pairs * 8;
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
  for (; i + 8 <= end; i += 8) {
    const lo = words[i >> 2]! ^ c;
    const hi = words[(i >> 2) + 1]!;
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
  while (i < end) {
    c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
    i++;
  }
  return ~c >>> 0;
}
