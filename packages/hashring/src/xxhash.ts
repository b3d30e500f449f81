// xxHash32 and xxHash64 (https://github.com/Cyan4973/xxHash), byte-exact with the reference.
// xxHash64 runs on pairs of 32-bit halves (no BigInt on the hot path).

const P32_1 = 0x9e3779b1;
const P32_2 = 0x85ebca77;
const P32_3 = 0xc2b2ae3d;
const P32_4 = 0x27d4eb2f;
const P32_5 = 0x165667b1;

function read32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

function round32(acc: number, input: number): number {
  acc = (acc + Math.imul(input, P32_2)) | 0;
  acc = (acc << 13) | (acc >>> 19);
  return Math.imul(acc, P32_1);
}

/** xxHash32 of `bytes[0..length)` with `seed`, as an unsigned 32-bit integer. */
export function xxh32Bytes(b: Uint8Array, length: number, seed = 0): number {
  let i = 0;
  let h: number;
  if (length >= 16) {
    let v1 = (seed + P32_1 + P32_2) | 0;
    let v2 = (seed + P32_2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P32_1) | 0;
    const limit = length - 16;
    while (i <= limit) {
      v1 = round32(v1, read32(b, i));
      v2 = round32(v2, read32(b, i + 4));
      v3 = round32(v3, read32(b, i + 8));
      v4 = round32(v4, read32(b, i + 12));
      i += 16;
    }
    h = (((v1 << 1) | (v1 >>> 31)) + ((v2 << 7) | (v2 >>> 25)) + ((v3 << 12) | (v3 >>> 20)) + ((v4 << 18) | (v4 >>> 14))) | 0;
  } else {
    h = (seed + P32_5) | 0;
  }
  h = (h + length) | 0;
  while (i + 4 <= length) {
    h = (h + Math.imul(read32(b, i), P32_3)) | 0;
    h = Math.imul((h << 17) | (h >>> 15), P32_4);
    i += 4;
  }
  while (i < length) {
    h = (h + Math.imul(b[i]!, P32_5)) | 0;
    h = Math.imul((h << 11) | (h >>> 21), P32_1);
    i++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, P32_2);
  h ^= h >>> 13;
  h = Math.imul(h, P32_3);
  h ^= h >>> 16;
  return h >>> 0;
}

// 64-bit primes as [high, low] halves.
const P64_1H = 0x9e3779b1;
const P64_1L = 0x85ebca87;
const P64_2H = 0xc2b2ae3d;
const P64_2L = 0x27d4eb4f;
const P64_3H = 0x165667b1;
const P64_3L = 0x9e3779f9;
const P64_4H = 0x85ebca77;
const P64_4L = 0xc2b2ae63;
const P64_5H = 0x27d4eb2f;
const P64_5L = 0x165667c5;

/** High 32 bits of the 64-bit product of two unsigned 32-bit integers. */
function mulHigh(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const m1 = a1 * b0 + ((a0 * b0) >>> 16);
  const m2 = a0 * b1 + (m1 & 0xffff);
  return (a1 * b1 + (m1 >>> 16) + (m2 >>> 16)) | 0;
}

/**
 * xxHash64 with its own result registers (`hi`, `lo`), so digests allocate nothing. One
 * instance per owner; not shared between modules.
 */
export class Xxh64 {
  /** High 32 bits of the last digest (signed int32 representation). */
  hi = 0;
  /** Low 32 bits of the last digest (signed int32 representation). */
  lo = 0;

  // Scratch registers for the 64-bit helpers below.
  private rh = 0;
  private rl = 0;

  private mul(ah: number, al: number, bh: number, bl: number): void {
    const lo = Math.imul(al, bl);
    this.rh = (mulHigh(al >>> 0, bl >>> 0) + Math.imul(ah, bl) + Math.imul(al, bh)) | 0;
    this.rl = lo;
  }

  private add(ah: number, al: number, bh: number, bl: number): void {
    const lo = (al >>> 0) + (bl >>> 0);
    this.rh = (ah + bh + (lo > 0xffffffff ? 1 : 0)) | 0;
    this.rl = lo | 0;
  }

  private rotl(h: number, l: number, r: number): void {
    // Only called with 0 < r < 32.
    this.rh = (h << r) | (l >>> (32 - r));
    this.rl = (l << r) | (h >>> (32 - r));
  }

  /** acc = rotl(acc + input * P2, 31) * P1; result in rh/rl. */
  private round(ah: number, al: number, ih: number, il: number): void {
    this.mul(ih, il, P64_2H, P64_2L);
    this.add(ah, al, this.rh, this.rl);
    this.rotl(this.rh, this.rl, 31);
    this.mul(this.rh, this.rl, P64_1H, P64_1L);
  }

  /** acc = (acc ^ round(0, val)) * P1 + P4; result in rh/rl. */
  private mergeRound(ah: number, al: number, vh: number, vl: number): void {
    this.round(0, 0, vh, vl);
    this.mul(ah ^ this.rh, al ^ this.rl, P64_1H, P64_1L);
    this.add(this.rh, this.rl, P64_4H, P64_4L);
  }

  /** Hashes `bytes[0..length)` with the 64-bit seed `seedHi:seedLo`; the digest lands in `hi`/`lo`. */
  digest(b: Uint8Array, length: number, seedHi = 0, seedLo = 0): void {
    let i = 0;
    let hh: number;
    let hl: number;
    if (length >= 32) {
      this.add(seedHi, seedLo, P64_1H, P64_1L);
      this.add(this.rh, this.rl, P64_2H, P64_2L);
      let v1h = this.rh;
      let v1l = this.rl;
      this.add(seedHi, seedLo, P64_2H, P64_2L);
      let v2h = this.rh;
      let v2l = this.rl;
      let v3h = seedHi | 0;
      let v3l = seedLo | 0;
      // seed - P1 = seed + (2^64 - P1)
      this.add(seedHi, seedLo, ~P64_1H, ~P64_1L);
      this.add(this.rh, this.rl, 0, 1);
      let v4h = this.rh;
      let v4l = this.rl;
      const limit = length - 32;
      while (i <= limit) {
        this.round(v1h, v1l, read32(b, i + 4), read32(b, i));
        v1h = this.rh;
        v1l = this.rl;
        this.round(v2h, v2l, read32(b, i + 12), read32(b, i + 8));
        v2h = this.rh;
        v2l = this.rl;
        this.round(v3h, v3l, read32(b, i + 20), read32(b, i + 16));
        v3h = this.rh;
        v3l = this.rl;
        this.round(v4h, v4l, read32(b, i + 28), read32(b, i + 24));
        v4h = this.rh;
        v4l = this.rl;
        i += 32;
      }
      this.rotl(v1h, v1l, 1);
      hh = this.rh;
      hl = this.rl;
      this.rotl(v2h, v2l, 7);
      this.add(hh, hl, this.rh, this.rl);
      hh = this.rh;
      hl = this.rl;
      this.rotl(v3h, v3l, 12);
      this.add(hh, hl, this.rh, this.rl);
      hh = this.rh;
      hl = this.rl;
      this.rotl(v4h, v4l, 18);
      this.add(hh, hl, this.rh, this.rl);
      hh = this.rh;
      hl = this.rl;
      this.mergeRound(hh, hl, v1h, v1l);
      this.mergeRound(this.rh, this.rl, v2h, v2l);
      this.mergeRound(this.rh, this.rl, v3h, v3l);
      this.mergeRound(this.rh, this.rl, v4h, v4l);
      hh = this.rh;
      hl = this.rl;
    } else {
      this.add(seedHi, seedLo, P64_5H, P64_5L);
      hh = this.rh;
      hl = this.rl;
    }
    // length < 2^53, so its high half is floor(length / 2^32).
    this.add(hh, hl, Math.floor(length / 0x100000000), length | 0);
    hh = this.rh;
    hl = this.rl;
    while (i + 8 <= length) {
      this.round(0, 0, read32(b, i + 4), read32(b, i));
      this.rotl(hh ^ this.rh, hl ^ this.rl, 27);
      this.mul(this.rh, this.rl, P64_1H, P64_1L);
      this.add(this.rh, this.rl, P64_4H, P64_4L);
      hh = this.rh;
      hl = this.rl;
      i += 8;
    }
    if (i + 4 <= length) {
      this.mul(0, read32(b, i), P64_1H, P64_1L);
      this.rotl(hh ^ this.rh, hl ^ this.rl, 23);
      this.mul(this.rh, this.rl, P64_2H, P64_2L);
      this.add(this.rh, this.rl, P64_3H, P64_3L);
      hh = this.rh;
      hl = this.rl;
      i += 4;
    }
    while (i < length) {
      this.mul(0, b[i]!, P64_5H, P64_5L);
      this.rotl(hh ^ this.rh, hl ^ this.rl, 11);
      this.mul(this.rh, this.rl, P64_1H, P64_1L);
      hh = this.rh;
      hl = this.rl;
      i++;
    }
    // Avalanche.
    hl ^= hh >>> 1;
    this.mul(hh, hl, P64_2H, P64_2L);
    hh = this.rh;
    hl = this.rl;
    hl ^= (hl >>> 29) | (hh << 3);
    hh ^= hh >>> 29;
    this.mul(hh, hl, P64_3H, P64_3L);
    hh = this.rh;
    hl = this.rl;
    hl ^= hh;
    this.hi = hh;
    this.lo = hl;
  }
}

/**
 * xxHash32 of a string whose code units are all below 0x80 (so its UTF-8 bytes are its code
 * units), read straight from the string without encoding; returns -1 when the string has any
 * other code unit, and the caller falls back to hashing its UTF-8 bytes.
 */
export function xxh32Ascii(s: string, seed: number): number {
  const length = s.length;
  let i = 0;
  let bits = 0;
  let h: number;
  if (length >= 16) {
    let v1 = (seed + P32_1 + P32_2) | 0;
    let v2 = (seed + P32_2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P32_1) | 0;
    const limit = length - 16;
    while (i <= limit) {
      let a = s.charCodeAt(i);
      let b = s.charCodeAt(i + 1);
      let c = s.charCodeAt(i + 2);
      let d = s.charCodeAt(i + 3);
      bits |= a | b | c | d;
      v1 = round32(v1, a | (b << 8) | (c << 16) | (d << 24));
      a = s.charCodeAt(i + 4);
      b = s.charCodeAt(i + 5);
      c = s.charCodeAt(i + 6);
      d = s.charCodeAt(i + 7);
      bits |= a | b | c | d;
      v2 = round32(v2, a | (b << 8) | (c << 16) | (d << 24));
      a = s.charCodeAt(i + 8);
      b = s.charCodeAt(i + 9);
      c = s.charCodeAt(i + 10);
      d = s.charCodeAt(i + 11);
      bits |= a | b | c | d;
      v3 = round32(v3, a | (b << 8) | (c << 16) | (d << 24));
      a = s.charCodeAt(i + 12);
      b = s.charCodeAt(i + 13);
      c = s.charCodeAt(i + 14);
      d = s.charCodeAt(i + 15);
      bits |= a | b | c | d;
      v4 = round32(v4, a | (b << 8) | (c << 16) | (d << 24));
      i += 16;
    }
    h = (((v1 << 1) | (v1 >>> 31)) + ((v2 << 7) | (v2 >>> 25)) + ((v3 << 12) | (v3 >>> 20)) + ((v4 << 18) | (v4 >>> 14))) | 0;
  } else {
    h = (seed + P32_5) | 0;
  }
  h = (h + length) | 0;
  while (i + 4 <= length) {
    const a = s.charCodeAt(i);
    const b = s.charCodeAt(i + 1);
    const c = s.charCodeAt(i + 2);
    const d = s.charCodeAt(i + 3);
    bits |= a | b | c | d;
    h = (h + Math.imul(a | (b << 8) | (c << 16) | (d << 24), P32_3)) | 0;
    h = Math.imul((h << 17) | (h >>> 15), P32_4);
    i += 4;
  }
  while (i < length) {
    const a = s.charCodeAt(i);
    bits |= a;
    h = (h + Math.imul(a, P32_5)) | 0;
    h = Math.imul((h << 11) | (h >>> 21), P32_1);
    i++;
  }
  if (bits >= 0x80) return -1;
  h ^= h >>> 15;
  h = Math.imul(h, P32_2);
  h ^= h >>> 13;
  h = Math.imul(h, P32_3);
  h ^= h >>> 16;
  return h >>> 0;
}
