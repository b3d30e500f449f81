// MD5 (RFC 1321), used by ketama placement. Not for security.

/**
 * MD5 with a block buffer of its own, so digests allocate nothing. One instance per owner.
 */
export class Md5 {
  private readonly block = new Int32Array(16);
  private readonly tail = new Uint8Array(128);
  /** The last digest as four little-endian 32-bit words (word j = digest bytes 4j..4j+3). */
  readonly words = new Int32Array(4);

  /** Hashes `bytes[0..length)`; the digest lands in {@link Md5.words}. */
  digest(b: Uint8Array, length: number): void {
    let a = 0x67452301;
    let bb = 0xefcdab89 | 0;
    let c = 0x98badcfe | 0;
    let d = 0x10325476;
    const x = this.block;
    const full = length & ~63;
    for (let i = 0; i < full; i += 64) {
      for (let j = 0; j < 16; j++) {
        const p = i + j * 4;
        x[j] = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
      }
      const w = this.words;
      w[0] = a;
      w[1] = bb;
      w[2] = c;
      w[3] = d;
      compress(w, x);
      a = w[0]!;
      bb = w[1]!;
      c = w[2]!;
      d = w[3]!;
    }
    // Padding: 0x80, zeros, then the bit length as 64-bit little-endian.
    const rest = length - full;
    const tail = this.tail;
    tail.fill(0);
    for (let i = 0; i < rest; i++) tail[i] = b[full + i]!;
    tail[rest] = 0x80;
    const tailLength = rest < 56 ? 64 : 128;
    const bitsLow = (length * 8) >>> 0;
    const bitsHigh = Math.floor(length / 0x20000000) >>> 0;
    tail[tailLength - 8] = bitsLow & 0xff;
    tail[tailLength - 7] = (bitsLow >>> 8) & 0xff;
    tail[tailLength - 6] = (bitsLow >>> 16) & 0xff;
    tail[tailLength - 5] = bitsLow >>> 24;
    tail[tailLength - 4] = bitsHigh & 0xff;
    tail[tailLength - 3] = (bitsHigh >>> 8) & 0xff;
    tail[tailLength - 2] = (bitsHigh >>> 16) & 0xff;
    tail[tailLength - 1] = bitsHigh >>> 24;
    const w = this.words;
    w[0] = a;
    w[1] = bb;
    w[2] = c;
    w[3] = d;
    for (let i = 0; i < tailLength; i += 64) {
      for (let j = 0; j < 16; j++) {
        const p = i + j * 4;
        x[j] = tail[p]! | (tail[p + 1]! << 8) | (tail[p + 2]! << 16) | (tail[p + 3]! << 24);
      }
      compress(w, x);
    }
  }
}

function ff(a: number, b: number, c: number, d: number, x: number, s: number, t: number): number {
  const n = (a + ((b & c) | (~b & d)) + x + t) | 0;
  return (((n << s) | (n >>> (32 - s))) + b) | 0;
}
function gg(a: number, b: number, c: number, d: number, x: number, s: number, t: number): number {
  const n = (a + ((b & d) | (c & ~d)) + x + t) | 0;
  return (((n << s) | (n >>> (32 - s))) + b) | 0;
}
function hh(a: number, b: number, c: number, d: number, x: number, s: number, t: number): number {
  const n = (a + (b ^ c ^ d) + x + t) | 0;
  return (((n << s) | (n >>> (32 - s))) + b) | 0;
}
function ii(a: number, b: number, c: number, d: number, x: number, s: number, t: number): number {
  const n = (a + (c ^ (b | ~d)) + x + t) | 0;
  return (((n << s) | (n >>> (32 - s))) + b) | 0;
}

function compress(w: Int32Array, x: Int32Array): void {
  let a = w[0]!;
  let b = w[1]!;
  let c = w[2]!;
  let d = w[3]!;
  const x0 = x[0]!, x1 = x[1]!, x2 = x[2]!, x3 = x[3]!, x4 = x[4]!, x5 = x[5]!, x6 = x[6]!, x7 = x[7]!;
  const x8 = x[8]!, x9 = x[9]!, x10 = x[10]!, x11 = x[11]!, x12 = x[12]!, x13 = x[13]!, x14 = x[14]!, x15 = x[15]!;

  a = ff(a, b, c, d, x0, 7, -680876936);
  d = ff(d, a, b, c, x1, 12, -389564586);
  c = ff(c, d, a, b, x2, 17, 606105819);
  b = ff(b, c, d, a, x3, 22, -1044525330);
  a = ff(a, b, c, d, x4, 7, -176418897);
  d = ff(d, a, b, c, x5, 12, 1200080426);
  c = ff(c, d, a, b, x6, 17, -1473231341);
  b = ff(b, c, d, a, x7, 22, -45705983);
  a = ff(a, b, c, d, x8, 7, 1770035416);
  d = ff(d, a, b, c, x9, 12, -1958414417);
  c = ff(c, d, a, b, x10, 17, -42063);
  b = ff(b, c, d, a, x11, 22, -1990404162);
  a = ff(a, b, c, d, x12, 7, 1804603682);
  d = ff(d, a, b, c, x13, 12, -40341101);
  c = ff(c, d, a, b, x14, 17, -1502002290);
  b = ff(b, c, d, a, x15, 22, 1236535329);

  a = gg(a, b, c, d, x1, 5, -165796510);
  d = gg(d, a, b, c, x6, 9, -1069501632);
  c = gg(c, d, a, b, x11, 14, 643717713);
  b = gg(b, c, d, a, x0, 20, -373897302);
  a = gg(a, b, c, d, x5, 5, -701558691);
  d = gg(d, a, b, c, x10, 9, 38016083);
  c = gg(c, d, a, b, x15, 14, -660478335);
  b = gg(b, c, d, a, x4, 20, -405537848);
  a = gg(a, b, c, d, x9, 5, 568446438);
  d = gg(d, a, b, c, x14, 9, -1019803690);
  c = gg(c, d, a, b, x3, 14, -187363961);
  b = gg(b, c, d, a, x8, 20, 1163531501);
  a = gg(a, b, c, d, x13, 5, -1444681467);
  d = gg(d, a, b, c, x2, 9, -51403784);
  c = gg(c, d, a, b, x7, 14, 1735328473);
  b = gg(b, c, d, a, x12, 20, -1926607734);

  a = hh(a, b, c, d, x5, 4, -378558);
  d = hh(d, a, b, c, x8, 11, -2022574463);
  c = hh(c, d, a, b, x11, 16, 1839030562);
  b = hh(b, c, d, a, x14, 23, -35309556);
  a = hh(a, b, c, d, x1, 4, -1530992060);
  d = hh(d, a, b, c, x4, 11, 1272893353);
  c = hh(c, d, a, b, x7, 16, -155497632);
  b = hh(b, c, d, a, x10, 23, -1094730640);
  a = hh(a, b, c, d, x13, 4, 681279174);
  d = hh(d, a, b, c, x0, 11, -358537222);
  c = hh(c, d, a, b, x3, 16, -722521979);
  b = hh(b, c, d, a, x6, 23, 76029189);
  a = hh(a, b, c, d, x9, 4, -640364487);
  d = hh(d, a, b, c, x12, 11, -421815835);
  c = hh(c, d, a, b, x15, 16, 530742520);
  b = hh(b, c, d, a, x2, 23, -995338651);

  a = ii(a, b, c, d, x0, 6, -198630844);
  d = ii(d, a, b, c, x7, 10, 1126891415);
  c = ii(c, d, a, b, x14, 15, -1416354905);
  b = ii(b, c, d, a, x5, 21, -57434055);
  a = ii(a, b, c, d, x12, 6, 1700485571);
  d = ii(d, a, b, c, x3, 10, -1894986606);
  c = ii(c, d, a, b, x10, 15, -1051523);
  b = ii(b, c, d, a, x1, 21, -2054922799);
  a = ii(a, b, c, d, x8, 6, 1873313359);
  d = ii(d, a, b, c, x15, 10, -30611744);
  c = ii(c, d, a, b, x6, 15, -1560198380);
  b = ii(b, c, d, a, x13, 21, 1309151649);
  a = ii(a, b, c, d, x4, 6, -145523070);
  d = ii(d, a, b, c, x11, 10, -1120210379);
  c = ii(c, d, a, b, x2, 15, 718787259);
  b = ii(b, c, d, a, x9, 21, -343485551);

  w[0] = (w[0]! + a) | 0;
  w[1] = (w[1]! + b) | 0;
  w[2] = (w[2]! + c) | 0;
  w[3] = (w[3]! + d) | 0;
}
