import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wasmCrcBuffer } from '../src/crc32c-wasm.js';
import { crc32c } from '../src/index.js';

/** Bit-at-a-time CRC-32C, the definition the fast version must agree with. */
function reference(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  it('has the published check value 0xE3069283 for "123456789"', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });

  it('matches the RFC 3720 (iSCSI) test vectors', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('agrees with the bitwise definition on any bytes, offsets and alignments', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), fc.nat(300), fc.nat(300), (data, shift, a, b) => {
        const buffer = new Uint8Array(data.length + shift);
        buffer.set(data, shift);
        const view = buffer.subarray(shift); // unaligned view over an aligned buffer
        const start = Math.min(a, b, data.length);
        const end = Math.min(Math.max(a, b), data.length);
        expect(crc32c(view, start, end)).toBe(reference(data.subarray(start, end)));
      }),
    );
  });

  it('continues a running checksum across pieces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), (a, b) => {
        const joined = new Uint8Array(a.length + b.length);
        joined.set(a);
        joined.set(b, a.length);
        expect(crc32c(b, 0, b.length, crc32c(a))).toBe(crc32c(joined));
      }),
    );
  });

  it('detects every single-bit flip in a 4 KiB record', () => {
    const data = Uint8Array.from({ length: 4096 }, (_, i) => (i * 131) & 0xff);
    const original = crc32c(data);
    for (let bit = 0; bit < data.length * 8; bit += 61) {
      data[bit >> 3]! ^= 1 << (bit & 7);
      expect(crc32c(data)).not.toBe(original);
      data[bit >> 3]! ^= 1 << (bit & 7);
    }
  });

  it('the WebAssembly version (used for frames in slabs) agrees with the bitwise definition at any offset and length', () => {
    const wasm = wasmCrcBuffer(4096);
    expect(wasm).toBeDefined();
    const { bytes, crc } = wasm!;
    expect(bytes.byteOffset % 8).toBe(0);
    bytes.set(new TextEncoder().encode('123456789'), 5);
    expect(crc(5, 14)).toBe(0xe3069283);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(3000), fc.nat(600), fc.nat(600), (data, at, a, b) => {
        bytes.set(data, at);
        const start = Math.min(a, b, data.length);
        const end = Math.min(Math.max(a, b), data.length);
        expect(crc(at + start, at + end)).toBe(reference(data.subarray(start, end)));
      }),
    );
    // Long runs through the 16-byte loop, against the JavaScript version.
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + 7) & 0xff;
    for (const [start, end] of [[0, 4096], [3, 4093], [16, 32], [1, 17]] as const) expect(crc(start, end)).toBe(crc32c(bytes, start, end));
  });
});
