import { DecodeError } from '@lattice/core';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Appends bytes to a growing buffer: unsigned LEB128 varints (up to 2^53), float64, UTF-8 strings
 * and interned node ids (written once to a string table, then referenced by index).
 * @internal
 */
export class Writer {
  #buffer = new Uint8Array(256);
  #view = new DataView(this.#buffer.buffer);
  #length = 0;
  readonly #strings = new Map<string, number>();
  readonly #table: string[] = [];

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
    this.#view = new DataView(next.buffer);
  }

  u8(value: number): void {
    this.#reserve(1);
    this.#buffer[this.#length++] = value;
  }

  uint(value: number): void {
    this.#reserve(8);
    while (value >= 0x80) {
      this.#buffer[this.#length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.#buffer[this.#length++] = value;
  }

  /** Zig-zag signed integer. */
  int(value: number): void {
    this.uint(value < 0 ? -value * 2 - 1 : value * 2);
  }

  f64(value: number): void {
    this.#reserve(8);
    this.#view.setFloat64(this.#length, value, true);
    this.#length += 8;
  }

  bytes(value: Uint8Array): void {
    this.uint(value.length);
    this.#reserve(value.length);
    this.#buffer.set(value, this.#length);
    this.#length += value.length;
  }

  string(value: string): void {
    const length = value.length;
    if (length < 43) {
      // At most 126 UTF-8 bytes: a one-byte length prefix, and ASCII written directly.
      this.#reserve(1 + length * 3);
      const start = this.#length + 1;
      let offset = start;
      for (let i = 0; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) {
          offset = start + encoder.encodeInto(value, this.#buffer.subarray(start)).written;
          break;
        }
        this.#buffer[offset++] = code;
      }
      this.#buffer[this.#length] = offset - start;
      this.#length = offset;
      return;
    }
    this.bytes(encoder.encode(value));
  }

  /** Writes a reference into the string table (node ids repeat in every dot). */
  ref(value: string): void {
    let index = this.#strings.get(value);
    if (index === undefined) {
      index = this.#table.length;
      this.#strings.set(value, index);
      this.#table.push(value);
    }
    this.uint(index);
  }

  /** The interned strings, in index order. */
  get table(): readonly string[] {
    return this.#table;
  }

  finish(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }
}

/** Reads what {@link Writer} wrote; every malformed read throws a `DecodeError`. @internal */
export class Reader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #offset: number;
  #table: readonly string[] = [];

  constructor(bytes: Uint8Array, offset = 0) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#offset = offset;
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  setTable(table: readonly string[]): void {
    this.#table = table;
  }

  u8(): number {
    if (this.#offset >= this.#bytes.length) throw new DecodeError(`Truncated input at byte ${this.#offset}`);
    return this.#bytes[this.#offset++]!;
  }

  uint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.u8();
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(result)) break;
        return result;
      }
      scale *= 0x80;
    }
    throw new DecodeError(`Malformed or oversized varint before byte ${this.#offset}`);
  }

  int(): number {
    const raw = this.uint();
    return raw % 2 === 1 ? -(raw + 1) / 2 : raw / 2;
  }

  /** A count of items that each take at least `minBytes`; rejects counts the input cannot hold. */
  count(minBytes = 1): number {
    const n = this.uint();
    if (n * minBytes > this.remaining) throw new DecodeError(`Count ${n} exceeds the remaining ${this.remaining} bytes`);
    return n;
  }

  f64(): number {
    if (this.#offset + 8 > this.#bytes.length) throw new DecodeError(`Truncated float at byte ${this.#offset}`);
    const value = this.#view.getFloat64(this.#offset, true);
    this.#offset += 8;
    return value;
  }

  bytes(): Uint8Array {
    const length = this.uint();
    if (length > this.remaining) throw new DecodeError(`Length ${length} exceeds the remaining ${this.remaining} bytes`);
    const value = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }

  string(): string {
    const bytes = this.bytes();
    if (bytes.length < 64) {
      let ascii = true;
      for (let i = 0; i < bytes.length; i++) {
        if (bytes[i]! >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
    }
    try {
      return decoder.decode(bytes);
    } catch (cause) {
      throw new DecodeError('Invalid UTF-8 string', { cause });
    }
  }

  ref(): string {
    const index = this.uint();
    const value = this.#table[index];
    if (value === undefined) throw new DecodeError(`String reference ${index} outside the table of ${this.#table.length}`);
    return value;
  }

  /** A counter of a dot or a sequence number: a positive safe integer. */
  counter(): number {
    const value = this.uint();
    if (value < 1) throw new DecodeError('Counters start at 1');
    return value;
  }

  end(): void {
    if (this.remaining !== 0) throw new DecodeError(`${this.remaining} unexpected trailing bytes`);
  }
}
