/**
 * RESP (the Redis serialization protocol): an incremental parser of client requests, and the
 * reply encoder for RESP2 and RESP3.
 */
import { RespProtocolError } from './errors.js';

/** Limits that keep a misbehaving client from making the server buffer without bound. */
export interface RespLimits {
  /** Largest bulk string (bytes). Default 16 MiB. */
  maxBulkBytes?: number;
  /** Most arguments in one request. Default 1,048,576. */
  maxArguments?: number;
  /** Longest inline request or header line (bytes). Default 64 KiB. */
  maxInlineBytes?: number;
}

const CR = 13;
const LF = 10;

/**
 * Turns a byte stream into requests (argument lists). Push every chunk as it arrives; each call
 * returns the requests completed so far, in order. A malformed or oversize request throws a
 * {@link RespProtocolError}; the requests returned before it are valid and should be answered.
 */
export class RespRequestParser {
  readonly #maxBulk: number;
  readonly #maxArgs: number;
  readonly #maxInline: number;
  #buffer: Buffer = Buffer.alloc(0);
  #failed: RespProtocolError | undefined;

  constructor(limits: RespLimits = {}) {
    this.#maxBulk = limits.maxBulkBytes ?? 16 * 1024 * 1024;
    this.#maxArgs = limits.maxArguments ?? 1024 * 1024;
    this.#maxInline = limits.maxInlineBytes ?? 64 * 1024;
  }

  /** Bytes received but not yet part of a complete request. */
  get pendingBytes(): number {
    return this.#buffer.length;
  }

  /**
   * Adds a chunk. Returns the complete requests in it (with what came before), and, when the
   * stream turned out to be garbage, the error: the connection should answer the requests,
   * then the error, then close. After an error every later push returns the same error.
   */
  push(chunk: Uint8Array): { requests: Buffer[][]; error?: RespProtocolError } {
    const requests: Buffer[][] = [];
    if (this.#failed !== undefined) return { requests, error: this.#failed };
    this.#buffer = this.#buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buffer, chunk]);
    let offset = 0;
    try {
      for (;;) {
        const parsed = this.#parseOne(offset);
        if (parsed === undefined) break;
        offset = parsed.next;
        if (parsed.args.length > 0) requests.push(parsed.args);
      }
    } catch (error) {
      this.#failed = error instanceof RespProtocolError ? error : new RespProtocolError(`Protocol error: ${String(error)}`, { cause: error });
      this.#buffer = Buffer.alloc(0);
      return { requests, error: this.#failed };
    }
    this.#buffer = this.#buffer.subarray(offset);
    return { requests };
  }

  #lineEnd(from: number): number {
    const end = this.#buffer.indexOf(LF, from);
    if (end === -1) {
      if (this.#buffer.length - from > this.#maxInline) throw new RespProtocolError('Protocol error: too big inline request');
      return -1;
    }
    if (end - from > this.#maxInline) throw new RespProtocolError('Protocol error: too big inline request');
    return end;
  }

  #integer(from: number, end: number, what: string): number {
    const stop = end > from && this.#buffer[end - 1] === CR ? end - 1 : end;
    const text = this.#buffer.toString('latin1', from, stop);
    if (!/^-?\d{1,15}$/.test(text)) throw new RespProtocolError(`Protocol error: invalid ${what}`);
    return Number(text);
  }

  #parseOne(start: number): { args: Buffer[]; next: number } | undefined {
    if (start >= this.#buffer.length) return undefined;
    if (this.#buffer[start] !== 0x2a /* '*' */) return this.#parseInline(start);
    const headerEnd = this.#lineEnd(start);
    if (headerEnd === -1) return undefined;
    const count = this.#integer(start + 1, headerEnd, 'multibulk length');
    if (count > this.#maxArgs) throw new RespProtocolError('Protocol error: invalid multibulk length');
    let offset = headerEnd + 1;
    const args: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      if (offset >= this.#buffer.length) return undefined;
      const marker = this.#buffer[offset]!;
      if (marker !== 0x24 /* '$' */) throw new RespProtocolError(`Protocol error: expected '$', got '${String.fromCharCode(marker)}'`);
      const lengthEnd = this.#lineEnd(offset);
      if (lengthEnd === -1) return undefined;
      const length = this.#integer(offset + 1, lengthEnd, 'bulk length');
      if (length < 0 || length > this.#maxBulk) throw new RespProtocolError('Protocol error: invalid bulk length');
      const dataStart = lengthEnd + 1;
      if (this.#buffer.length < dataStart + length + 2) {
        return undefined;
      }
      if (this.#buffer[dataStart + length] !== CR || this.#buffer[dataStart + length + 1] !== LF) {
        throw new RespProtocolError('Protocol error: bulk string not terminated by CRLF');
      }
      args.push(Buffer.from(this.#buffer.subarray(dataStart, dataStart + length)));
      offset = dataStart + length + 2;
    }
    return { args, next: offset };
  }

  // Inline requests ("PING\r\n" typed into telnet/nc): space-separated words, with quotes.
  #parseInline(start: number): { args: Buffer[]; next: number } | undefined {
    const end = this.#lineEnd(start);
    if (end === -1) return undefined;
    const stop = end > start && this.#buffer[end - 1] === CR ? end - 1 : end;
    const line = this.#buffer.toString('latin1', start, stop);
    return { args: splitInline(line).map((word) => Buffer.from(word, 'latin1')), next: end + 1 };
  }
}

function splitInline(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
    if (i >= line.length) break;
    const quote = line[i];
    if (quote === '"' || quote === "'") {
      const close = line.indexOf(quote, i + 1);
      if (close === -1) throw new RespProtocolError('Protocol error: unbalanced quotes in request');
      words.push(line.slice(i + 1, close));
      i = close + 1;
    } else {
      let j = i;
      while (j < line.length && line[j] !== ' ' && line[j] !== '\t') j++;
      words.push(line.slice(i, j));
      i = j;
    }
  }
  return words;
}

/** A reply, independent of the protocol version it is sent in. */
export type Reply =
  | { readonly type: 'simple'; readonly value: string }
  | { readonly type: 'error'; readonly value: string }
  | { readonly type: 'integer'; readonly value: number | bigint }
  | { readonly type: 'bulk'; readonly value: string | Buffer | null }
  | { readonly type: 'array'; readonly value: readonly Reply[] | null }
  | { readonly type: 'map'; readonly value: readonly (readonly [Reply, Reply])[] };

export const simple = (value: string): Reply => ({ type: 'simple', value });
export const errorReply = (value: string): Reply => ({ type: 'error', value });
export const integer = (value: number | bigint): Reply => ({ type: 'integer', value });
export const bulk = (value: string | Buffer | null): Reply => ({ type: 'bulk', value });
export const array = (value: readonly Reply[] | null): Reply => ({ type: 'array', value });
export const map = (value: readonly (readonly [Reply, Reply])[]): Reply => ({ type: 'map', value });
export const OK: Reply = simple('OK');
const OK_BYTES = Buffer.from('+OK\r\n', 'latin1');
const NULL_RESP2 = Buffer.from('$-1\r\n', 'latin1');
const NULL_RESP3 = Buffer.from('_\r\n', 'latin1');

/** Encodes a reply for a connection speaking RESP `protocol` (2 or 3). Strings are latin1 (bytes as given). */
export function encodeReply(reply: Reply, protocol: 2 | 3): Buffer {
  // The replies of a benchmark's hot path, each in one allocation (or none).
  if (reply === OK) return OK_BYTES;
  if (reply.type === 'bulk') {
    if (reply.value === null) return protocol === 3 ? NULL_RESP3 : NULL_RESP2;
    if (typeof reply.value === 'string') return Buffer.from(`$${Buffer.byteLength(reply.value, 'latin1')}\r\n${reply.value}\r\n`, 'latin1');
  }
  if (reply.type === 'integer') return Buffer.from(`:${reply.value}\r\n`, 'latin1');
  const parts: Buffer[] = [];
  write(reply, protocol, parts);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

function write(reply: Reply, protocol: 2 | 3, parts: Buffer[]): void {
  switch (reply.type) {
    case 'simple':
      parts.push(Buffer.from(`+${oneLine(reply.value)}\r\n`, 'latin1'));
      return;
    case 'error':
      parts.push(Buffer.from(`-${oneLine(reply.value)}\r\n`, 'latin1'));
      return;
    case 'integer':
      parts.push(Buffer.from(`:${reply.value}\r\n`, 'latin1'));
      return;
    case 'bulk': {
      if (reply.value === null) {
        parts.push(Buffer.from(protocol === 3 ? '_\r\n' : '$-1\r\n', 'latin1'));
        return;
      }
      const body = typeof reply.value === 'string' ? Buffer.from(reply.value, 'latin1') : reply.value;
      parts.push(Buffer.from(`$${body.length}\r\n`, 'latin1'), body, Buffer.from('\r\n', 'latin1'));
      return;
    }
    case 'array':
      if (reply.value === null) {
        parts.push(Buffer.from(protocol === 3 ? '_\r\n' : '*-1\r\n', 'latin1'));
        return;
      }
      parts.push(Buffer.from(`*${reply.value.length}\r\n`, 'latin1'));
      for (const item of reply.value) write(item, protocol, parts);
      return;
    case 'map':
      // RESP2 has no maps: Redis sends them as flat arrays of key, value, key, value.
      parts.push(Buffer.from(protocol === 3 ? `%${reply.value.length}\r\n` : `*${reply.value.length * 2}\r\n`, 'latin1'));
      for (const [key, value] of reply.value) {
        write(key, protocol, parts);
        write(value, protocol, parts);
      }
      return;
  }
}
