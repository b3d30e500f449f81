import { createHash } from 'node:crypto';
import fc from 'fast-check';
import murmurRef from 'murmurhash3js-revisited';
import { describe, expect, it } from 'vitest';
import xxhashWasm from 'xxhash-wasm';
import { createHashFunction, HASH_NAMES, KeyHasher, md5, murmur3, xxh32, xxh64 } from '../src/index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('xxHash32 published vectors', () => {
  it.each([
    ['', 0, 0x02cc5d05],
    ['a', 0, 0x550d7456],
    ['abc', 0, 0x32d153ff],
    ['Nobody inspects the spammish repetition', 0, 0xe2293b2f],
    ['abc', 1, 0xaa3da8ff],
  ])('xxh32(%j, %d)', (input, seed, expected) => {
    expect(xxh32(input, seed)).toBe(expected);
  });
});

describe('xxHash64 published vectors', () => {
  it.each([
    ['', 0n, 0xef46db3751d8e999n],
    ['a', 0n, 0xd24ec4f1a98c6e5bn],
    ['abc', 0n, 0x44bc2cf5ad770999n],
    ['Nobody inspects the spammish repetition', 0n, 0xfbcea83c8a378bf1n],
  ])('xxh64(%j, %d)', (input, seed, expected) => {
    expect(xxh64(input, seed)).toBe(expected);
  });
});

describe('MurmurHash3 x86_32 published vectors', () => {
  it.each([
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['Hello, world!', 1234, 0xfaf6cdb3],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
  ])('murmur3(%j, %d)', (input, seed, expected) => {
    expect(murmur3(input, seed)).toBe(expected);
  });
  it('hashes four zero bytes as the reference', () => {
    expect(murmur3(new Uint8Array(4), 0)).toBe(0x2362f9de);
  });
});

describe('MD5 RFC 1321 vectors', () => {
  it.each([
    ['', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['a', '0cc175b9c0f1b6a831c399e269772661'],
    ['abc', '900150983cd24fb0d6963f7d28e17f72'],
    ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
    ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
    ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', '57edf4a22be3c955ac49da2e2107b67a'],
  ])('md5(%j)', (input, expected) => {
    expect(hex(md5(input))).toBe(expected);
  });
});

describe('differential against reference implementations', async () => {
  const wasm = await xxhashWasm();
  const bytesArb = fc.uint8Array({ maxLength: 300 });

  it('xxh32 equals xxhash-wasm for random bytes and seeds', () => {
    fc.assert(
      fc.property(bytesArb, fc.nat(), (bytes, seed) => {
        expect(xxh32(bytes, seed)).toBe(wasm.h32Raw(bytes, seed));
      }),
      { numRuns: 300 },
    );
  });

  it('xxh64 equals xxhash-wasm for random bytes and seeds', () => {
    fc.assert(
      fc.property(bytesArb, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (bytes, seed) => {
        expect(xxh64(bytes, seed)).toBe(wasm.h64Raw(bytes, seed));
      }),
      { numRuns: 300 },
    );
  });

  it('murmur3 equals murmurhash3js-revisited', () => {
    fc.assert(
      fc.property(bytesArb, fc.nat(), (bytes, seed) => {
        expect(murmur3(bytes, seed)).toBe(murmurRef.x86.hash32(bytes, seed));
      }),
      { numRuns: 300 },
    );
  });

  it('md5 equals node:crypto, including lengths around the 56/64-byte padding edges', () => {
    for (let n = 0; n < 200; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
      expect(hex(md5(bytes))).toBe(createHash('md5').update(bytes).digest('hex'));
    }
    fc.assert(
      fc.property(bytesArb, (bytes) => {
        expect(hex(md5(bytes))).toBe(createHash('md5').update(bytes).digest('hex'));
      }),
      { numRuns: 300 },
    );
  });

  it('string keys hash exactly as their UTF-8 bytes, lone surrogates included', () => {
    const hashers = HASH_NAMES.map((name) => new KeyHasher(createHashFunction(name)));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string()), (text) => {
        const bytes = new Uint8Array(Buffer.from(text, 'utf8'));
        for (const h of hashers) expect(h.hash(text)).toBe(h.hash(bytes));
      }),
      { numRuns: 300 },
    );
  });
});

describe('UTF-8 edge cases', () => {
  it.each(['\ud800', 'a\udc00b', '\ud83d\ude00', '\ud83d', 'é€😀', 'x'.repeat(1000) + '€'])('%j', (text) => {
    const h = new KeyHasher(createHashFunction('xxh32'));
    expect(h.hash(text)).toBe(xxh32(new Uint8Array(Buffer.from(text, 'utf8'))));
  });
});

describe('string fast paths equal the byte-wise hash', () => {
  it('for ASCII strings of every length up to 130, and with one non-ASCII unit anywhere', () => {
    const hashers = HASH_NAMES.map((name) => createHashFunction(name));
    for (let n = 0; n <= 130; n++) {
      const ascii = Array.from({ length: n }, (_, i) => String.fromCharCode(33 + ((i * 7 + n) % 94))).join('');
      const variants = [ascii, ...(n > 0 ? [`${ascii.slice(0, n >> 1)}é${ascii.slice((n >> 1) + 1)}`, `${ascii.slice(0, -1)}\u0080`] : [])];
      for (const text of variants) {
        const bytes = new Uint8Array(Buffer.from(text, 'utf8'));
        for (const fn of hashers) {
          const viaKey = new KeyHasher(fn).hash(text);
          expect(viaKey).toBe(fn.hash(bytes, bytes.length));
          const fast = fn.hashString?.(text);
          if (fast !== undefined && fast !== -1) expect(fast).toBe(fn.hash(bytes, bytes.length));
          if (text !== ascii && fast !== undefined) expect(fast).toBe(-1);
        }
      }
    }
  });
});
