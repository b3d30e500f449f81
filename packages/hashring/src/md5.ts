// MD5 (RFC 1321), used by ketama placement. Not for security.

/**
 * MD5 with a block buffer of its own, so digests allocate nothing. One instance per owner.
 */
export class Md5 {
  private readonly block = new Int32Array(16);
  private readonly tail = new Uint8Array(128);
  /** The last digest as four little-endian 32-bit words (word j = digest bytes 4j..4j+3). */
  readonly words = new Int32Array(4);

  /**
   * Hashes a string of fewer than 56 code units, all below 0x80, straight from its code units
   * (one padded block, no encoding). Returns false, leaving `words` unspecified, for any other
   * string.
   */
  digestShortAscii(s: string): boolean {
    const length = s.length;
    if (length >= 56) return false;
    const x = this.block;
    x.fill(0);
    let bits = 0;
    for (let i = 0; i < length; i++) {
      const c = s.charCodeAt(i);
      bits |= c;
      x[i >> 2]! |= c << ((i & 3) << 3);
    }
    if (bits >= 0x80) return false;
    x[length >> 2]! |= 0x80 << ((length & 3) << 3);
    x[14] = length << 3;
    this.single();
    return true;
  }

  /** Runs one block (already in `block`) from the initial state into `words`. */
  private single(): void {
    const w = this.words;
    w[0] = 0x67452301;
    w[1] = 0xefcdab89 | 0;
    w[2] = 0x98badcfe | 0;
    w[3] = 0x10325476;
    compress(w, this.block);
  }

  /** Hashes `bytes[0..length)`; the digest lands in {@link Md5.words}. */
  digest(b: Uint8Array, length: number): void {
    if (length < 56) {
      // One padded block, assembled straight into the words.
      const x = this.block;
      x.fill(0);
      for (let i = 0; i < length; i++) x[i >> 2]! |= b[i]! << ((i & 3) << 3);
      x[length >> 2]! |= 0x80 << ((length & 3) << 3);
      x[14] = length << 3;
      this.single();
      return;
    }
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

function compress(w: Int32Array, x: Int32Array): void {
  let a = w[0]!;
  let b = w[1]!;
  let c = w[2]!;
  let d = w[3]!;
  let n = 0;
  const x0 = x[0]!, x1 = x[1]!, x2 = x[2]!, x3 = x[3]!, x4 = x[4]!, x5 = x[5]!, x6 = x[6]!, x7 = x[7]!;
  const x8 = x[8]!, x9 = x[9]!, x10 = x[10]!, x11 = x[11]!, x12 = x[12]!, x13 = x[13]!, x14 = x[14]!, x15 = x[15]!;

  // The 64 steps, written out: helper calls would exceed the inlining budget of V8.
  n = (a + ((b & c) | (~b & d)) + x0 + -680876936) | 0;
  a = (((n << 7) | (n >>> 25)) + b) | 0;
  n = (d + ((a & b) | (~a & c)) + x1 + -389564586) | 0;
  d = (((n << 12) | (n >>> 20)) + a) | 0;
  n = (c + ((d & a) | (~d & b)) + x2 + 606105819) | 0;
  c = (((n << 17) | (n >>> 15)) + d) | 0;
  n = (b + ((c & d) | (~c & a)) + x3 + -1044525330) | 0;
  b = (((n << 22) | (n >>> 10)) + c) | 0;
  n = (a + ((b & c) | (~b & d)) + x4 + -176418897) | 0;
  a = (((n << 7) | (n >>> 25)) + b) | 0;
  n = (d + ((a & b) | (~a & c)) + x5 + 1200080426) | 0;
  d = (((n << 12) | (n >>> 20)) + a) | 0;
  n = (c + ((d & a) | (~d & b)) + x6 + -1473231341) | 0;
  c = (((n << 17) | (n >>> 15)) + d) | 0;
  n = (b + ((c & d) | (~c & a)) + x7 + -45705983) | 0;
  b = (((n << 22) | (n >>> 10)) + c) | 0;
  n = (a + ((b & c) | (~b & d)) + x8 + 1770035416) | 0;
  a = (((n << 7) | (n >>> 25)) + b) | 0;
  n = (d + ((a & b) | (~a & c)) + x9 + -1958414417) | 0;
  d = (((n << 12) | (n >>> 20)) + a) | 0;
  n = (c + ((d & a) | (~d & b)) + x10 + -42063) | 0;
  c = (((n << 17) | (n >>> 15)) + d) | 0;
  n = (b + ((c & d) | (~c & a)) + x11 + -1990404162) | 0;
  b = (((n << 22) | (n >>> 10)) + c) | 0;
  n = (a + ((b & c) | (~b & d)) + x12 + 1804603682) | 0;
  a = (((n << 7) | (n >>> 25)) + b) | 0;
  n = (d + ((a & b) | (~a & c)) + x13 + -40341101) | 0;
  d = (((n << 12) | (n >>> 20)) + a) | 0;
  n = (c + ((d & a) | (~d & b)) + x14 + -1502002290) | 0;
  c = (((n << 17) | (n >>> 15)) + d) | 0;
  n = (b + ((c & d) | (~c & a)) + x15 + 1236535329) | 0;
  b = (((n << 22) | (n >>> 10)) + c) | 0;
  n = (a + ((b & d) | (c & ~d)) + x1 + -165796510) | 0;
  a = (((n << 5) | (n >>> 27)) + b) | 0;
  n = (d + ((a & c) | (b & ~c)) + x6 + -1069501632) | 0;
  d = (((n << 9) | (n >>> 23)) + a) | 0;
  n = (c + ((d & b) | (a & ~b)) + x11 + 643717713) | 0;
  c = (((n << 14) | (n >>> 18)) + d) | 0;
  n = (b + ((c & a) | (d & ~a)) + x0 + -373897302) | 0;
  b = (((n << 20) | (n >>> 12)) + c) | 0;
  n = (a + ((b & d) | (c & ~d)) + x5 + -701558691) | 0;
  a = (((n << 5) | (n >>> 27)) + b) | 0;
  n = (d + ((a & c) | (b & ~c)) + x10 + 38016083) | 0;
  d = (((n << 9) | (n >>> 23)) + a) | 0;
  n = (c + ((d & b) | (a & ~b)) + x15 + -660478335) | 0;
  c = (((n << 14) | (n >>> 18)) + d) | 0;
  n = (b + ((c & a) | (d & ~a)) + x4 + -405537848) | 0;
  b = (((n << 20) | (n >>> 12)) + c) | 0;
  n = (a + ((b & d) | (c & ~d)) + x9 + 568446438) | 0;
  a = (((n << 5) | (n >>> 27)) + b) | 0;
  n = (d + ((a & c) | (b & ~c)) + x14 + -1019803690) | 0;
  d = (((n << 9) | (n >>> 23)) + a) | 0;
  n = (c + ((d & b) | (a & ~b)) + x3 + -187363961) | 0;
  c = (((n << 14) | (n >>> 18)) + d) | 0;
  n = (b + ((c & a) | (d & ~a)) + x8 + 1163531501) | 0;
  b = (((n << 20) | (n >>> 12)) + c) | 0;
  n = (a + ((b & d) | (c & ~d)) + x13 + -1444681467) | 0;
  a = (((n << 5) | (n >>> 27)) + b) | 0;
  n = (d + ((a & c) | (b & ~c)) + x2 + -51403784) | 0;
  d = (((n << 9) | (n >>> 23)) + a) | 0;
  n = (c + ((d & b) | (a & ~b)) + x7 + 1735328473) | 0;
  c = (((n << 14) | (n >>> 18)) + d) | 0;
  n = (b + ((c & a) | (d & ~a)) + x12 + -1926607734) | 0;
  b = (((n << 20) | (n >>> 12)) + c) | 0;
  n = (a + (b ^ c ^ d) + x5 + -378558) | 0;
  a = (((n << 4) | (n >>> 28)) + b) | 0;
  n = (d + (a ^ b ^ c) + x8 + -2022574463) | 0;
  d = (((n << 11) | (n >>> 21)) + a) | 0;
  n = (c + (d ^ a ^ b) + x11 + 1839030562) | 0;
  c = (((n << 16) | (n >>> 16)) + d) | 0;
  n = (b + (c ^ d ^ a) + x14 + -35309556) | 0;
  b = (((n << 23) | (n >>> 9)) + c) | 0;
  n = (a + (b ^ c ^ d) + x1 + -1530992060) | 0;
  a = (((n << 4) | (n >>> 28)) + b) | 0;
  n = (d + (a ^ b ^ c) + x4 + 1272893353) | 0;
  d = (((n << 11) | (n >>> 21)) + a) | 0;
  n = (c + (d ^ a ^ b) + x7 + -155497632) | 0;
  c = (((n << 16) | (n >>> 16)) + d) | 0;
  n = (b + (c ^ d ^ a) + x10 + -1094730640) | 0;
  b = (((n << 23) | (n >>> 9)) + c) | 0;
  n = (a + (b ^ c ^ d) + x13 + 681279174) | 0;
  a = (((n << 4) | (n >>> 28)) + b) | 0;
  n = (d + (a ^ b ^ c) + x0 + -358537222) | 0;
  d = (((n << 11) | (n >>> 21)) + a) | 0;
  n = (c + (d ^ a ^ b) + x3 + -722521979) | 0;
  c = (((n << 16) | (n >>> 16)) + d) | 0;
  n = (b + (c ^ d ^ a) + x6 + 76029189) | 0;
  b = (((n << 23) | (n >>> 9)) + c) | 0;
  n = (a + (b ^ c ^ d) + x9 + -640364487) | 0;
  a = (((n << 4) | (n >>> 28)) + b) | 0;
  n = (d + (a ^ b ^ c) + x12 + -421815835) | 0;
  d = (((n << 11) | (n >>> 21)) + a) | 0;
  n = (c + (d ^ a ^ b) + x15 + 530742520) | 0;
  c = (((n << 16) | (n >>> 16)) + d) | 0;
  n = (b + (c ^ d ^ a) + x2 + -995338651) | 0;
  b = (((n << 23) | (n >>> 9)) + c) | 0;
  n = (a + (c ^ (b | ~d)) + x0 + -198630844) | 0;
  a = (((n << 6) | (n >>> 26)) + b) | 0;
  n = (d + (b ^ (a | ~c)) + x7 + 1126891415) | 0;
  d = (((n << 10) | (n >>> 22)) + a) | 0;
  n = (c + (a ^ (d | ~b)) + x14 + -1416354905) | 0;
  c = (((n << 15) | (n >>> 17)) + d) | 0;
  n = (b + (d ^ (c | ~a)) + x5 + -57434055) | 0;
  b = (((n << 21) | (n >>> 11)) + c) | 0;
  n = (a + (c ^ (b | ~d)) + x12 + 1700485571) | 0;
  a = (((n << 6) | (n >>> 26)) + b) | 0;
  n = (d + (b ^ (a | ~c)) + x3 + -1894986606) | 0;
  d = (((n << 10) | (n >>> 22)) + a) | 0;
  n = (c + (a ^ (d | ~b)) + x10 + -1051523) | 0;
  c = (((n << 15) | (n >>> 17)) + d) | 0;
  n = (b + (d ^ (c | ~a)) + x1 + -2054922799) | 0;
  b = (((n << 21) | (n >>> 11)) + c) | 0;
  n = (a + (c ^ (b | ~d)) + x8 + 1873313359) | 0;
  a = (((n << 6) | (n >>> 26)) + b) | 0;
  n = (d + (b ^ (a | ~c)) + x15 + -30611744) | 0;
  d = (((n << 10) | (n >>> 22)) + a) | 0;
  n = (c + (a ^ (d | ~b)) + x6 + -1560198380) | 0;
  c = (((n << 15) | (n >>> 17)) + d) | 0;
  n = (b + (d ^ (c | ~a)) + x13 + 1309151649) | 0;
  b = (((n << 21) | (n >>> 11)) + c) | 0;
  n = (a + (c ^ (b | ~d)) + x4 + -145523070) | 0;
  a = (((n << 6) | (n >>> 26)) + b) | 0;
  n = (d + (b ^ (a | ~c)) + x11 + -1120210379) | 0;
  d = (((n << 10) | (n >>> 22)) + a) | 0;
  n = (c + (a ^ (d | ~b)) + x2 + 718787259) | 0;
  c = (((n << 15) | (n >>> 17)) + d) | 0;
  n = (b + (d ^ (c | ~a)) + x9 + -343485551) | 0;
  b = (((n << 21) | (n >>> 11)) + c) | 0;

  w[0] = (w[0]! + a) | 0;
  w[1] = (w[1]! + b) | 0;
  w[2] = (w[2]! + c) | 0;
  w[3] = (w[3]! + d) | 0;
}
