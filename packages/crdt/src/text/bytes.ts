import { DecodeError } from '@lattice/core';

/** Growable byte buffer with LEB128 varints (internal). */
export class ByteWriter {
  private buf: Uint8Array;
  length = 0;
  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }
  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  byte(value: number): void {
    this.ensure(1);
    this.buf[this.length++] = value;
  }
  /** Unsigned varint, exact for integers up to 2^53. */
  uint(value: number): void {
    this.ensure(8);
    while (value >= 0x80) {
      this.buf[this.length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buf[this.length++] = value;
  }
  /** Signed varint (zigzag). */
  int(value: number): void {
    this.uint(value < 0 ? -2 * value - 1 : 2 * value);
  }
  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }
  /** Length-prefixed bytes. */
  block(data: Uint8Array): void {
    this.uint(data.length);
    this.bytes(data);
  }
  string(value: string): void {
    this.block(new TextEncoder().encode(value));
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Bounds-checked reader; every malformed read throws `DecodeError` (internal). */
export class ByteReader {
  pos = 0;
  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  fail(reason: string): never {
    throw new DecodeError(`Malformed ${this.what}: ${reason} at byte ${this.pos}`);
  }
  byte(): number {
    if (this.pos >= this.buf.length) this.fail('unexpected end of input');
    return this.buf[this.pos++]!;
  }
  uint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      if (this.pos >= this.buf.length) this.fail('unexpected end of input');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 0x80;
      if (i >= 7) this.fail('varint too long');
    }
    if (result > Number.MAX_SAFE_INTEGER) this.fail('varint out of range');
    return result;
  }
  /** An unsigned varint that must be at most `max`. */
  bounded(max: number, what: string): number {
    const value = this.uint();
    if (value > max) this.fail(`${what} ${value} out of range (max ${max})`);
    return value;
  }
  int(): number {
    const z = this.uint();
    return z % 2 === 1 ? -(z + 1) / 2 : z / 2;
  }
  bytes(length: number): Uint8Array {
    if (length > this.buf.length - this.pos) this.fail('unexpected end of input');
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }
  block(): Uint8Array {
    return this.bytes(this.uint());
  }
  string(): string {
    const data = this.block();
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(data);
    } catch (cause) {
      throw new DecodeError(`Malformed ${this.what}: invalid UTF-8`, { cause });
    }
  }
}

/** Number of Unicode code points in `s` (a lone surrogate counts as one). */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** UTF-16 offset `cp` code points after unit offset `from` in `s` (internal, for astral text). */
export function unitOffset(s: string, cp: number, from = 0): number {
  let unit = from;
  for (let i = 0; i < cp && unit < s.length; i++) {
    const c = s.charCodeAt(unit);
    unit += c >= 0xd800 && c <= 0xdbff && unit + 1 < s.length && (s.charCodeAt(unit + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
  }
  return unit;
}
