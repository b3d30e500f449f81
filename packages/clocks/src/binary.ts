import { DecodeError, type NodeId } from '@lattice/core';
import { isNodeId } from './node-id.js';

const TWO_7 = 0x80;

/** Grows a byte buffer; used by the binary encodings of this package. */
export class ByteWriter {
  #bytes: Uint8Array;
  #length = 0;
  #encoder: TextEncoder | undefined;

  constructor(capacity = 64) {
    this.#bytes = new Uint8Array(capacity);
  }

  #reserve(extra: number): void {
    if (this.#length + extra <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + extra));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }

  byte(value: number): void {
    this.#reserve(1);
    this.#bytes[this.#length++] = value;
  }

  /** Unsigned LEB128 of a safe integer >= 0 (at most 8 bytes). */
  varint(value: number): void {
    this.#reserve(8);
    const bytes = this.#bytes;
    while (value >= TWO_7) {
      bytes[this.#length++] = (value % TWO_7) | TWO_7;
      value = Math.floor(value / TWO_7);
    }
    bytes[this.#length++] = value;
  }

  /** A length-prefixed UTF-8 string. */
  string(value: string): void {
    const length = value.length;
    let ascii = true;
    for (let i = 0; i < length; i++) {
      if (value.charCodeAt(i) >= TWO_7) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      this.varint(length);
      this.#reserve(length);
      const bytes = this.#bytes;
      for (let i = 0; i < length; i++) bytes[this.#length++] = value.charCodeAt(i);
      return;
    }
    this.#encoder ??= new TextEncoder();
    const encoded = this.#encoder.encode(value);
    this.varint(encoded.length);
    this.#reserve(encoded.length);
    this.#bytes.set(encoded, this.#length);
    this.#length += encoded.length;
  }

  finish(): Uint8Array {
    return this.#bytes.slice(0, this.#length);
  }
}

/** Reads what {@link ByteWriter} wrote; every malformation is a `DecodeError`. */
export class ByteReader {
  readonly #bytes: Uint8Array;
  #offset = 0;
  #decoder: TextDecoder | undefined;
  readonly #what: string;

  constructor(bytes: Uint8Array, what: string) {
    if (!(bytes instanceof Uint8Array)) throw new DecodeError(`${what} must be a Uint8Array`);
    this.#bytes = bytes;
    this.#what = what;
  }

  get done(): boolean {
    return this.#offset === this.#bytes.length;
  }

  fail(reason: string): never {
    throw new DecodeError(`Malformed ${this.#what}: ${reason} at byte ${this.#offset}`);
  }

  byte(): number {
    if (this.#offset >= this.#bytes.length) this.fail('truncated');
    return this.#bytes[this.#offset++]!;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < TWO_7) {
        if (byte === 0 && i > 0) this.fail('non-canonical varint');
        if (value > Number.MAX_SAFE_INTEGER) this.fail('integer above 2^53 - 1');
        return value;
      }
      scale *= TWO_7;
    }
    return this.fail('varint longer than 8 bytes');
  }

  nodeId(): NodeId {
    const length = this.varint();
    if (length === 0 || length > 1024) this.fail(`node id of ${length} bytes`);
    if (this.#offset + length > this.#bytes.length) this.fail('truncated');
    const bytes = this.#bytes;
    const start = this.#offset;
    this.#offset += length;
    let ascii = true;
    for (let i = start; i < start + length; i++) {
      if (bytes[i]! >= TWO_7) {
        ascii = false;
        break;
      }
    }
    let id: string;
    if (ascii) {
      // fromCharCode over a fresh plain array is faster than over a typed array or a resized one.
      const codes: number[] = new Array(length);
      for (let i = 0; i < length; i++) codes[i] = bytes[start + i]!;
      id = String.fromCharCode.apply(null, codes);
    } else {
      this.#decoder ??= new TextDecoder('utf-8', { fatal: true });
      try {
        id = this.#decoder.decode(bytes.subarray(start, start + length));
      } catch (cause) {
        throw new DecodeError(`Malformed ${this.#what}: node id is not UTF-8`, { cause });
      }
    }
    if (!isNodeId(id)) throw new DecodeError(`Malformed ${this.#what}: invalid node id ${JSON.stringify(id)}`);
    return id;
  }

  end(): void {
    if (!this.done) this.fail('trailing bytes');
  }
}
