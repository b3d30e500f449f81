import { ByteReader, ByteWriter } from '@lattice/core';

/**
 * Core's `ByteWriter` plus a string table: node ids repeat in every dot, so {@link Writer.ref}
 * writes each once to the table (which the caller writes ahead of the body) and then its index.
 * @internal
 */
export class Writer extends ByteWriter {
  readonly #strings = new Map<string, number>();
  readonly #table: string[] = [];

  constructor() {
    super(256);
  }

  /** Writes a reference into the string table. */
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
}

/**
 * Finishes an encoding: the header, then the body's string table (readers need it before the
 * body), then the body. {@link Reader.table} reads the table back.
 * @internal
 */
export function joinWithTable(head: ByteWriter, body: Writer): Uint8Array {
  head.uint(body.table.length);
  for (const node of body.table) head.string(node);
  const headBytes = head.finish();
  const bodyBytes = body.finish();
  const out = new Uint8Array(headBytes.length + bodyBytes.length);
  out.set(headBytes);
  out.set(bodyBytes, headBytes.length);
  return out;
}

/**
 * Core's `ByteReader` (every malformed read a `DecodeError`) plus the string table and the
 * bounded counts and counters of the CRDT encodings.
 * @internal
 */
export class Reader extends ByteReader {
  #table: readonly string[] = [];

  constructor(bytes: Uint8Array, what = 'CRDT encoding') {
    super(bytes, what);
  }

  /** Reads the string table {@link joinWithTable} wrote; node ids in it must be non-empty. */
  table(): void {
    const count = this.count(1);
    const table: string[] = [];
    for (let i = 0; i < count; i++) {
      const node = this.string();
      if (node.length === 0) this.fail('empty node id in the string table');
      table.push(node);
    }
    this.#table = table;
  }

  /** A count of items that each take at least `minBytes`; rejects counts the input cannot hold. */
  count(minBytes = 1): number {
    const n = this.uint();
    if (n * minBytes > this.remaining) this.fail(`count ${n} exceeds the remaining ${this.remaining} bytes`);
    return n;
  }

  /** A reference written by {@link Writer.ref}. */
  ref(): string {
    const index = this.uint();
    const value = this.#table[index];
    if (value === undefined) this.fail(`string reference ${index} outside the table of ${this.#table.length}`);
    return value;
  }

  /** A counter of a dot or a sequence number: a positive safe integer. */
  counter(): number {
    const value = this.uint();
    if (value < 1) this.fail('counters start at 1');
    return value;
  }
}
