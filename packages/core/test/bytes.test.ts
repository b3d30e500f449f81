import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, DecodeError, InvalidArgumentError, isLatticeError } from '../src/index.js';

type Item =
  | { t: 'byte'; v: number }
  | { t: 'uint'; v: number }
  | { t: 'int'; v: number }
  | { t: 'f64'; v: number }
  | { t: 'bytes'; v: Uint8Array }
  | { t: 'string'; v: string };

const safeInt = fc.oneof(fc.integer({ min: -200, max: 200 }), fc.integer(), fc.maxSafeInteger().map((v) => v), fc.maxSafeNat().map((v) => -v));
const item: fc.Arbitrary<Item> = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((v) => ({ t: 'byte' as const, v })),
  fc.oneof(fc.nat(300), fc.nat(), fc.maxSafeNat(), fc.constantFrom(0, 127, 128, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER)).map((v) => ({ t: 'uint' as const, v })),
  fc.oneof(safeInt, fc.constantFrom(0, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER)).map((v) => ({ t: 'int' as const, v })),
  fc.double().map((v) => ({ t: 'f64' as const, v })),
  fc.uint8Array({ maxLength: 40 }).map((v) => ({ t: 'bytes' as const, v })),
  fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 60 })).map((v) => ({ t: 'string' as const, v })),
);

function write(w: ByteWriter, it: Item): void {
  if (it.t === 'byte') w.byte(it.v);
  else if (it.t === 'uint') w.uint(it.v);
  else if (it.t === 'int') w.int(it.v);
  else if (it.t === 'f64') w.f64(it.v);
  else if (it.t === 'bytes') w.bytes(it.v);
  else w.string(it.v);
}

function read(r: ByteReader, t: Item['t']): unknown {
  switch (t) {
    case 'byte':
      return r.byte();
    case 'uint':
      return r.uint();
    case 'int':
      return r.int();
    case 'f64':
      return r.f64();
    case 'bytes':
      return r.bytes();
    case 'string':
      return r.string();
  }
}

function encode(items: readonly Item[], capacity?: number): Uint8Array {
  const w = new ByteWriter(capacity);
  for (const it of items) write(w, it);
  expect(w.length).toBe(w.finish().length);
  return w.finish();
}

/** What a string becomes after UTF-8 (lone surrogates are replaced). */
const utf8 = (s: string): string => new TextDecoder('utf-8', { ignoreBOM: true }).decode(new TextEncoder().encode(s));

function expectDecodeError(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (isLatticeError(error, DecodeError.code) && error instanceof DecodeError) return;
    throw new Error(`expected a DecodeError, got ${String(error)}`, { cause: error });
  }
}

function bytesOf(run: (w: ByteWriter) => void): number[] {
  const w = new ByteWriter(1);
  run(w);
  return [...w.finish()];
}

describe('ByteWriter / ByteReader', () => {
  it('round-trips mixed sequences of every type', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 30 }), fc.integer({ min: 0, max: 64 }), (items, capacity) => {
        const bytes = encode(items, capacity);
        const r = new ByteReader(bytes, 'sequence');
        for (const it of items) {
          const value = read(r, it.t);
          if (it.t === 'string') expect(value).toBe(utf8(it.v));
          else if (it.t === 'bytes') expect([...(value as Uint8Array)]).toEqual([...it.v]);
          else expect(Object.is(value, it.v) || (it.v === 0 && value === 0)).toBe(true);
        }
        expect(r.done).toBe(true);
        expect(r.remaining).toBe(0);
        expect(r.offset).toBe(bytes.length);
        r.end();
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips strings exactly when they are well-formed, including a leading BOM', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme-ascii', minLength: 40, maxLength: 300 }), (a, b) => {
        for (const s of [a, b, `\ufeff${a}`, a + b, b + a]) {
          const w = new ByteWriter();
          w.string(s);
          const bytes = w.finish();
          expect([...bytes.subarray(bytes.length - new TextEncoder().encode(s).length)]).toEqual([...new TextEncoder().encode(s)]);
          const r = new ByteReader(bytes);
          expect(r.string()).toBe(s);
          r.end();
        }
      }),
    );
  });

  it('writes long strings exactly as TextEncoder does, whatever room the buffer has', () => {
    const samples = ['a'.repeat(43), 'a'.repeat(200), 'é'.repeat(43), 'é'.repeat(5000), '🙂'.repeat(3000), '\ud800x'.repeat(700), `${'a'.repeat(100)}€`, 'x'.repeat(70_000)];
    for (const s of samples) {
      for (const capacity of [0, 1, 50, 100_000]) {
        const w = new ByteWriter(capacity);
        w.byte(7);
        w.string(s);
        w.byte(9);
        const utf8Bytes = new TextEncoder().encode(s);
        const prefix = bytesOf((p) => p.uint(utf8Bytes.length));
        expect([...w.finish()]).toEqual([7, ...prefix, ...utf8Bytes, 9]);
        const r = new ByteReader(w.finish());
        r.byte();
        expect(r.string()).toBe(utf8(s));
        expect(r.byte()).toBe(9);
        r.end();
      }
    }
  });

  it('writes uint as canonical LEB128 and int as its zigzag, the same as a reference encoder', () => {
    const leb = (n: bigint): number[] => {
      const out: number[] = [];
      while (n >= 0x80n) {
        out.push(Number(n & 0x7fn) | 0x80);
        n >>= 7n;
      }
      out.push(Number(n));
      return out;
    };
    fc.assert(
      fc.property(fc.maxSafeNat(), safeInt, (u, i) => {
        expect(bytesOf((w) => w.uint(u))).toEqual(leb(BigInt(u)));
        const z = i < 0 ? -2n * BigInt(i) - 1n : 2n * BigInt(i);
        expect(bytesOf((w) => w.int(i))).toEqual(leb(z));
      }),
      { numRuns: 1000 },
    );
  });

  it('matches known vectors', () => {
    expect(bytesOf((w) => w.uint(0))).toEqual([0]);
    expect(bytesOf((w) => w.uint(127))).toEqual([0x7f]);
    expect(bytesOf((w) => w.uint(128))).toEqual([0x80, 0x01]);
    expect(bytesOf((w) => w.uint(300))).toEqual([0xac, 0x02]);
    expect(bytesOf((w) => w.uint(2 ** 32))).toEqual([0x80, 0x80, 0x80, 0x80, 0x10]);
    expect(bytesOf((w) => w.uint(Number.MAX_SAFE_INTEGER))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(bytesOf((w) => w.int(0))).toEqual([0]);
    expect(bytesOf((w) => w.int(-1))).toEqual([1]);
    expect(bytesOf((w) => w.int(1))).toEqual([2]);
    expect(bytesOf((w) => w.int(-64))).toEqual([0x7f]);
    expect(bytesOf((w) => w.int(64))).toEqual([0x80, 0x01]);
    expect(bytesOf((w) => w.int(-Number.MAX_SAFE_INTEGER))).toEqual([0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f]);
    expect(bytesOf((w) => w.f64(1))).toEqual([0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
    expect(bytesOf((w) => w.string('héllo'))).toEqual([6, 0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f]);
    expect(bytesOf((w) => w.string('\ud800'))).toEqual([3, 0xef, 0xbf, 0xbd]);
    expect(bytesOf((w) => w.bytes(new Uint8Array([9, 8])))).toEqual([2, 9, 8]);
    expect(bytesOf((w) => w.raw(new Uint8Array([9, 8])))).toEqual([9, 8]);
    expect(new ByteReader(new Uint8Array([0xac, 0x02])).uint()).toBe(300);
    expect(new ByteReader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f])).uint()).toBe(Number.MAX_SAFE_INTEGER);
    expect(new ByteReader(new Uint8Array([0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f])).int()).toBe(-Number.MAX_SAFE_INTEGER);
  });

  it('reads raw bytes of a known length as views', () => {
    const input = new Uint8Array([1, 2, 3, 4]);
    const r = new ByteReader(input);
    expect([...r.raw(3)]).toEqual([1, 2, 3]);
    expect(r.raw(3 - 3).length).toBe(0);
    expect(r.offset).toBe(3);
    expectDecodeError(() => r.raw(2));
    expect(() => new ByteReader(input).raw(-1)).toThrow(InvalidArgumentError);
  });

  it('finish returns a copy, and the writer goes on', () => {
    const w = new ByteWriter(0);
    w.byte(1);
    const first = w.finish();
    w.byte(2);
    expect([...first]).toEqual([1]);
    expect([...w.finish()]).toEqual([1, 2]);
  });

  it('fails every truncation of a valid encoding with DecodeError', () => {
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 12 }), (items) => {
        const bytes = encode(items);
        for (let cut = 0; cut < bytes.length; cut++) {
          const r = new ByteReader(bytes.subarray(0, cut), 'sequence');
          let threw: unknown;
          try {
            for (const it of items) read(r, it.t);
            r.end();
          } catch (error) {
            threw = error;
          }
          expect(isLatticeError(threw, DecodeError.code)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('throws nothing but DecodeError on random input', () => {
    const kinds = fc.constantFrom<Item['t']>('byte', 'uint', 'int', 'f64', 'bytes', 'string');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(kinds, { maxLength: 20 }), (bytes, reads) => {
        const r = new ByteReader(bytes, 'garbage');
        expectDecodeError(() => {
          for (const t of reads) read(r, t);
          r.end();
        });
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects over-long, non-canonical and too-large varints', () => {
    const cases: [string, number[], 'uint' | 'int'][] = [
      ['varint longer than 8 bytes', [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], 'uint'],
      ['varint longer than 8 bytes', [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], 'int'],
      ['non-canonical varint', [0x80, 0x00], 'uint'],
      ['non-canonical varint', [0x81, 0x80, 0x00], 'int'],
      ['varint above 2^53 - 1', [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10], 'uint'],
      ['signed varint beyond 2^53 - 1', [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40], 'int'],
      ['signed varint beyond 2^53 - 1', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f], 'int'],
      ['truncated varint', [0x80], 'uint'],
    ];
    for (const [reason, bytes, kind] of cases) {
      expect(() => new ByteReader(new Uint8Array(bytes), 'thing')[kind]()).toThrow(new RegExp(`^Malformed thing: ${reason.replace(/[\^]/g, '\\^')} at byte \\d+$`));
    }
    expect(() => new ByteReader(new Uint8Array([]), 'thing').byte()).toThrow('Malformed thing: unexpected end of input at byte 0');
  });

  it('rejects invalid UTF-8, trailing bytes and a non-Uint8Array with DecodeError', () => {
    expect(() => new ByteReader(new Uint8Array([2, 0xc3, 0x28])).string()).toThrow(DecodeError);
    expect(() => new ByteReader(new Uint8Array([1, 0xff])).string()).toThrow(/invalid UTF-8/);
    expect(() => new ByteReader(new Uint8Array(70).fill(0xff).fill(69, 0, 1)).string()).toThrow(/invalid UTF-8/);
    expect(() => new ByteReader(new Uint8Array([1, 2]), 'x').end()).toThrow('Malformed x: 2 trailing bytes at byte 0');
    expect(() => new ByteReader([1] as unknown as Uint8Array, 'x')).toThrow(DecodeError);
    expect(() => new ByteReader(new Uint8Array([1]), 'x').fail('bad')).toThrow('Malformed x: bad at byte 0');
  });

  it('rejects values it cannot write with InvalidArgumentError', () => {
    const w = new ByteWriter();
    for (const v of [-1, 0.5, 256, Number.NaN]) expect(() => w.byte(v)).toThrow(InvalidArgumentError);
    for (const v of [-1, 0.5, 2 ** 53, Number.POSITIVE_INFINITY, Number.NaN]) expect(() => w.uint(v)).toThrow(InvalidArgumentError);
    for (const v of [0.5, 2 ** 53, -(2 ** 53), Number.NaN]) expect(() => w.int(v)).toThrow(InvalidArgumentError);
    expect(() => new ByteWriter(-1)).toThrow(InvalidArgumentError);
    expect(w.length).toBe(0);
  });
});
