/**
 * Encodes strings to UTF-8 into a buffer it owns and reuses, so hashing a string key
 * allocates nothing. Lone surrogates become U+FFFD (EF BF BD), exactly as `TextEncoder`
 * and Node's `Buffer.from(string)` encode them, so byte-wise hashes match other
 * implementations.
 */
export class Utf8Scratch {
  /** The encoded bytes of the last {@link Utf8Scratch.encode} call, from index 0. */
  bytes: Uint8Array;

  constructor(initialSize = 256) {
    this.bytes = new Uint8Array(initialSize);
  }

  /** Encodes `text` into {@link Utf8Scratch.bytes} and returns the byte length. */
  encode(text: string): number {
    const length = text.length;
    if (length * 3 > this.bytes.length) this.bytes = new Uint8Array(Math.max(length * 3, this.bytes.length * 2));
    const out = this.bytes;
    let i = 0;
    // ASCII fast path: one byte per code unit.
    for (; i < length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) break;
      out[i] = c;
    }
    if (i === length) return length;
    let p = i;
    for (; i < length; i++) {
      let c = text.charCodeAt(i);
      if (c < 0x80) {
        out[p++] = c;
      } else if (c < 0x800) {
        out[p++] = 0xc0 | (c >>> 6);
        out[p++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < length ? text.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          out[p++] = 0xf0 | (c >>> 18);
          out[p++] = 0x80 | ((c >>> 12) & 0x3f);
          out[p++] = 0x80 | ((c >>> 6) & 0x3f);
          out[p++] = 0x80 | (c & 0x3f);
        } else {
          out[p++] = 0xef;
          out[p++] = 0xbf;
          out[p++] = 0xbd;
        }
      } else {
        out[p++] = 0xe0 | (c >>> 12);
        out[p++] = 0x80 | ((c >>> 6) & 0x3f);
        out[p++] = 0x80 | (c & 0x3f);
      }
    }
    return p;
  }
}
