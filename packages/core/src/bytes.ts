import { isBytes } from './arguments.js';
import { DecodeError, InvalidArgumentError } from './errors.js';

// Stateless (no streaming), so one of each serves every writer and reader.
const encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF in the string instead of dropping it.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** A varint of a value up to 2^53 − 1 (or a zigzag up to 2^54) takes at most 8 bytes. */
const MAX_VARINT_BYTES = 8;
/** Strings shorter than this take at most 126 UTF-8 bytes: their length prefix is one byte. */
const SHORT_STRING = 43;
/** Shorter ASCII strings are decoded in JavaScript; longer ones by `TextDecoder`. */
const SHORT_DECODE = 64;

/**
 * Appends bytes to a growable buffer (its capacity doubles when full, so appending is amortised
 * O(1)): single bytes, unsigned LEB128 varints, zigzag signed varints, little-endian float64,
 * raw or length-prefixed bytes and length-prefixed UTF-8 strings. {@link ByteReader} reads them back.
 *
 * Wire format, stable across versions: `uint` is unsigned LEB128 (7 bits a byte, least
 * significant group first, high bit set on every byte but the last), always in its shortest
 * form; `int(v)` is `uint` of the zigzag mapping (0, −1, 1, −2, … → 0, 1, 2, 3, …); `f64` is 8
 * bytes IEEE 754 little-endian; `bytes` and `string` are a `uint` byte length then the bytes
 * (UTF-8 for strings; lone surrogates become U+FFFD, as with `TextEncoder`).
 *
 * The write methods allocate nothing but the buffer's growth.
 *
 * @example
 * ```ts
 * import { ByteReader, ByteWriter } from '@lattice/core';
 *
 * const writer = new ByteWriter();
 * writer.byte(1); // a format version
 * writer.uint(300); // 0xac 0x02
 * writer.int(-3);
 * writer.string('héllo');
 * const bytes = writer.finish();
 *
 * const reader = new ByteReader(bytes, 'greeting');
 * reader.byte(); // 1
 * reader.uint(); // 300
 * reader.int(); // -3
 * reader.string(); // 'héllo'
 * reader.end(); // throws DecodeError if bytes remain
 * ```
 */
export class ByteWriter {
  #buffer: Uint8Array;
  #view: DataView | undefined;
  #length = 0;

  /** @param capacity - initial buffer size in bytes (it grows as needed). */
  constructor(capacity = 64) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new InvalidArgumentError(`capacity must be a safe integer >= 0, got ${String(capacity)}`);
    this.#buffer = new Uint8Array(Math.max(capacity, 8));
  }

  /** Number of bytes written so far. */
  get length(): number {
    return this.#length;
  }

  #reserve(extra: number): void {
    const needed = this.#length + extra;
    if (needed <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < needed) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = next;
    this.#view = undefined;
  }

  /** Appends one byte; `value` must be an integer 0–255, else `InvalidArgumentError`. */
  byte(value: number): void {
    if ((value & 0xff) !== value) throw new InvalidArgumentError(`byte must be an integer 0-255, got ${String(value)}`);
    if (this.#length === this.#buffer.length) this.#reserve(1);
    this.#buffer[this.#length++] = value;
  }

  /**
   * Appends an unsigned LEB128 varint (1–8 bytes). `value` must be a safe integer ≥ 0
   * (at most 2^53 − 1), else `InvalidArgumentError`.
   */
  uint(value: number): void {
    if (value >>> 0 === value) {
      // 0 ≤ value < 2^32: 32-bit arithmetic, at most 5 bytes.
      this.#reserve(5);
      const buffer = this.#buffer;
      let offset = this.#length;
      while (value >= 0x80) {
        buffer[offset++] = (value & 0x7f) | 0x80;
        value >>>= 7;
      }
      buffer[offset++] = value;
      this.#length = offset;
      return;
    }
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new InvalidArgumentError(`uint must be a safe integer >= 0, got ${String(value)}`);
    }
    this.#reserve(MAX_VARINT_BYTES);
    const buffer = this.#buffer;
    let offset = this.#length;
    while (value >= 0x80) {
      buffer[offset++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    buffer[offset++] = value;
    this.#length = offset;
  }

  /**
   * Appends a signed integer as the unsigned varint of its zigzag mapping (small magnitudes take
   * few bytes). Any safe integer (|value| ≤ 2^53 − 1) is accepted, else `InvalidArgumentError`.
   */
  int(value: number): void {
    if ((value | 0) === value) {
      this.uint(((value << 1) ^ (value >> 31)) >>> 0);
      return;
    }
    if (!Number.isSafeInteger(value)) throw new InvalidArgumentError(`int must be a safe integer, got ${String(value)}`);
    // |value| ≥ 2^31, so the zigzag value (up to 2^54 − 3, not exact in a double) takes several
    // bytes. zigzag = 2h + sign with h = |value| − sign ≤ 2^53 − 1: its first byte holds the sign
    // and the low 6 bits of h, the rest is h / 64 in 7-bit groups.
    const sign = value < 0 ? 1 : 0;
    const h = sign === 1 ? -value - 1 : value;
    this.#reserve(MAX_VARINT_BYTES);
    const buffer = this.#buffer;
    let offset = this.#length;
    buffer[offset++] = ((h % 64) * 2 + sign) | 0x80;
    let rest = Math.floor(h / 64);
    while (rest >= 0x80) {
      buffer[offset++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    buffer[offset++] = rest;
    this.#length = offset;
  }

  /** Appends a float64, 8 bytes little-endian (any number, including NaN and ±Infinity). */
  f64(value: number): void {
    if (typeof value !== 'number') throw new InvalidArgumentError(`f64 must be a number, got ${describe(value)}`);
    this.#reserve(8);
    this.#view ??= new DataView(this.#buffer.buffer, this.#buffer.byteOffset, this.#buffer.byteLength);
    this.#view.setFloat64(this.#length, value, true);
    this.#length += 8;
  }

  /** Appends `value` as is, without a length: the reader must know it (see {@link ByteReader.raw}). */
  raw(value: Uint8Array): void {
    // A string or an array has a length too and would be written as zeros: refuse it.
    if (!(value instanceof Uint8Array) && !isBytes(value)) throw new InvalidArgumentError(`bytes must be a Uint8Array, got ${describe(value)}`);
    const length = value.length;
    this.#reserve(length);
    if (length < 16) {
      const buffer = this.#buffer;
      let offset = this.#length;
      for (let i = 0; i < length; i++) buffer[offset++] = value[i]!;
    } else {
      this.#buffer.set(value, this.#length);
    }
    this.#length += length;
  }

  /** Appends the length of `value` as a `uint`, then `value`. */
  bytes(value: Uint8Array): void {
    if (!(value instanceof Uint8Array) && !isBytes(value)) throw new InvalidArgumentError(`bytes must be a Uint8Array, got ${describe(value)}`);
    this.uint(value.length);
    this.raw(value);
  }

  /**
   * Appends `value` as UTF-8, prefixed by its byte length as a `uint`. Short ASCII strings are
   * written directly, other text through `TextEncoder.encodeInto`, without an intermediate copy.
   */
  string(value: string): void {
    if (typeof value !== 'string') throw new InvalidArgumentError(`string must be a string, got ${describe(value)}`);
    const length = value.length;
    if (length < SHORT_STRING) {
      // At most 3 bytes per UTF-16 unit: ≤ 126 bytes, a one-byte length prefix.
      this.#reserve(1 + length * 3);
      const buffer = this.#buffer;
      const start = this.#length + 1;
      let offset = start;
      for (let i = 0; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) {
          offset = start + encoder.encodeInto(value, buffer.subarray(start)).written;
          break;
        }
        buffer[offset++] = code;
      }
      buffer[this.#length] = offset - start;
      this.#length = offset;
      return;
    }
    // Longer: `encodeInto` (native) straight into the buffer after room for the length prefix,
    // sized for the most bytes the string can take (3 per unit); moved back if it took fewer.
    const guess = varintSize(length * 3);
    this.#reserve(guess + length);
    const start = this.#length + guess;
    let result = encoder.encodeInto(value, this.#buffer.subarray(start));
    if (result.read < length) {
      // Not ASCII and did not fit: make room for the worst case and encode again.
      this.#reserve(guess + length * 3);
      result = encoder.encodeInto(value, this.#buffer.subarray(start));
    }
    const size = result.written;
    const prefix = varintSize(size);
    const buffer = this.#buffer;
    let offset = this.#length;
    if (prefix < guess) buffer.copyWithin(offset + prefix, start, start + size);
    let rest = size;
    while (rest >= 0x80) {
      buffer[offset++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    buffer[offset++] = rest;
    this.#length = offset + size;
  }

  /**
   * The bytes written so far, as a new `Uint8Array` of exactly {@link ByteWriter.length} bytes:
   * a copy, so the writer may go on writing (later writes do not show in it).
   */
  finish(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }
}

/** Bytes in the varint of `value` (< 2^35). */
function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/**
 * Reads what {@link ByteWriter} wrote, front to back. Every malformation — a read past the end,
 * a varint longer than 8 bytes, not in its shortest form or above 2^53 − 1, invalid UTF-8 — throws
 * a `DecodeError` whose message names `what` and the byte offset; never a `RangeError` or a
 * partial value. A failed read leaves the offset unspecified: discard the reader.
 *
 * `raw` and `bytes` return views into the input (no copy): copy them to keep them past the input.
 *
 * @example
 * ```ts
 * import { ByteReader, ByteWriter, isLatticeError } from '@lattice/core';
 *
 * const writer = new ByteWriter();
 * writer.uint(2);
 * writer.string('a');
 * writer.string('b');
 * const reader = new ByteReader(writer.finish(), 'name list');
 * const names: string[] = [];
 * for (let n = reader.uint(); n > 0; n--) names.push(reader.string());
 * reader.end();
 *
 * try {
 *   new ByteReader(new Uint8Array([0x80]), 'name list').uint();
 * } catch (error) {
 *   isLatticeError(error, DecodeError.code); // true: "Malformed name list: truncated varint at byte 1"
 * }
 * ```
 */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #what: string;
  #view: DataView | undefined;
  #offset = 0;

  /**
   * @param bytes - the input (not copied; do not change it while reading).
   * @param what - names the input in error messages, e.g. `'vector clock'`.
   */
  constructor(bytes: Uint8Array, what = 'value') {
    if (typeof what !== 'string') throw new InvalidArgumentError(`what must be a string, got ${describe(what)}`);
    this.#what = what;
    if (!(bytes instanceof Uint8Array)) throw new DecodeError(`Malformed ${what}: expected a Uint8Array, got ${describe(bytes)}`);
    this.#bytes = bytes;
  }

  /** Bytes read so far (the offset of the next read). */
  get offset(): number {
    return this.#offset;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  /** True when every byte has been read. */
  get done(): boolean {
    return this.#offset >= this.#bytes.length;
  }

  /** Throws a `DecodeError`: "Malformed ‹what›: ‹reason› at byte ‹offset›". */
  fail(reason: string, options?: { cause?: unknown }): never {
    throw new DecodeError(`Malformed ${this.#what}: ${reason} at byte ${this.#offset}`, options);
  }

  /** Fails unless every byte has been read. */
  end(): void {
    if (this.#offset < this.#bytes.length) this.fail(`${this.#bytes.length - this.#offset} trailing bytes`);
  }

  /** One byte, 0–255. */
  byte(): number {
    if (this.#offset >= this.#bytes.length) this.fail('unexpected end of input');
    return this.#bytes[this.#offset++]!;
  }

  /** An unsigned varint written by {@link ByteWriter.uint}: a safe integer ≥ 0. */
  uint(): number {
    const bytes = this.#bytes;
    const end = bytes.length;
    let offset = this.#offset;
    if (offset >= end) this.fail('unexpected end of input');
    let byte = bytes[offset++]!;
    if (byte < 0x80) {
      this.#offset = offset;
      return byte;
    }
    let value = byte & 0x7f;
    let scale = 0x80;
    for (let i = 1; i < MAX_VARINT_BYTES; i++) {
      if (offset >= end) {
        this.#offset = offset;
        this.fail('truncated varint');
      }
      byte = bytes[offset++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        this.#offset = offset;
        if (byte === 0) this.fail('non-canonical varint');
        if (value > MAX_SAFE) this.fail('varint above 2^53 - 1');
        return value;
      }
      scale *= 0x80;
    }
    this.#offset = offset;
    return this.fail('varint longer than 8 bytes');
  }

  /** A signed integer written by {@link ByteWriter.int}: a safe integer. */
  int(): number {
    const bytes = this.#bytes;
    const end = bytes.length;
    let offset = this.#offset;
    if (offset >= end) this.fail('unexpected end of input');
    let byte = bytes[offset++]!;
    // zigzag = 2h + sign; the value is h (sign 0) or −h − 1 (sign 1). Accumulating h rather
    // than the zigzag keeps it exact: h ≤ 2^53 − 1 where the zigzag may reach 2^54.
    const sign = byte & 1;
    let h = (byte & 0x7f) >>> 1;
    if (byte < 0x80) {
      this.#offset = offset;
      return sign === 1 ? -h - 1 : h;
    }
    let scale = 0x40;
    for (let i = 1; i < MAX_VARINT_BYTES; i++) {
      if (offset >= end) {
        this.#offset = offset;
        this.fail('truncated varint');
      }
      byte = bytes[offset++]!;
      h += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        this.#offset = offset;
        if (byte === 0) this.fail('non-canonical varint');
        if (h > MAX_SAFE - sign) this.fail('signed varint beyond 2^53 - 1');
        return sign === 1 ? -h - 1 : h;
      }
      scale *= 0x80;
    }
    this.#offset = offset;
    return this.fail('varint longer than 8 bytes');
  }

  /** A float64 written by {@link ByteWriter.f64}. */
  f64(): number {
    if (this.#bytes.length - this.#offset < 8) this.fail('unexpected end of input');
    this.#view ??= new DataView(this.#bytes.buffer, this.#bytes.byteOffset, this.#bytes.byteLength);
    const value = this.#view.getFloat64(this.#offset, true);
    this.#offset += 8;
    return value;
  }

  /** The next `length` bytes, as a view into the input. */
  raw(length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) throw new InvalidArgumentError(`length must be a safe integer >= 0, got ${String(length)}`);
    if (length > this.#bytes.length - this.#offset) this.fail(`${length} bytes wanted, ${this.#bytes.length - this.#offset} left`);
    const start = this.#offset;
    this.#offset = start + length;
    return this.#bytes.subarray(start, start + length);
  }

  /** Length-prefixed bytes written by {@link ByteWriter.bytes}, as a view into the input. */
  bytes(): Uint8Array {
    const length = this.uint();
    if (length > this.#bytes.length - this.#offset) this.fail(`${length} bytes wanted, ${this.#bytes.length - this.#offset} left`);
    const start = this.#offset;
    this.#offset = start + length;
    return this.#bytes.subarray(start, start + length);
  }

  /** A length-prefixed UTF-8 string written by {@link ByteWriter.string}; invalid UTF-8 fails. */
  string(): string {
    const length = this.uint();
    const bytes = this.#bytes;
    const start = this.#offset;
    if (length > bytes.length - start) this.fail(`${length} bytes wanted, ${bytes.length - start} left`);
    const end = start + length;
    if (length < SHORT_DECODE) {
      let ascii = true;
      for (let i = start; i < end; i++) {
        if (bytes[i]! >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        this.#offset = end;
        // fromCharCode over a fresh plain array beats a typed-array view (and `TextDecoder`) here.
        const codes: number[] = new Array(length);
        for (let i = 0; i < length; i++) codes[i] = bytes[start + i]!;
        return String.fromCharCode.apply(null, codes);
      }
    }
    let value: string;
    try {
      value = decoder.decode(bytes.subarray(start, end));
    } catch (cause) {
      this.fail('invalid UTF-8', { cause });
    }
    this.#offset = end;
    return value;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}
