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
const EMPTY = Buffer.alloc(0);

/**
 * Turns a byte stream into requests (argument lists). Push every chunk as it arrives; each call
 * returns the requests completed so far, in order. A malformed or oversize request throws a
 * {@link RespProtocolError}; the requests returned before it are valid and should be answered.
 *
 * It parses in place from the chunk (only an incomplete tail is kept, copied), and
 * {@link RespRequestParser.pushText} hands the arguments out as latin1 strings made straight from
 * the chunk's bytes — what a server that works on strings needs, without a `Buffer` per argument.
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
    return this.#push(chunk, false) as { requests: Buffer[][]; error?: RespProtocolError };
  }

  /** {@link RespRequestParser.push}, with each argument as a latin1 string (one char per byte). */
  pushText(chunk: Uint8Array): { requests: string[][]; error?: RespProtocolError } {
    return this.#push(chunk, true) as { requests: string[][]; error?: RespProtocolError };
  }

  #push(chunk: Uint8Array, text: boolean): { requests: (Buffer | string)[][]; error?: RespProtocolError } {
    const requests: (Buffer | string)[][] = [];
    if (this.#failed !== undefined) return { requests, error: this.#failed };
    const incoming = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#buffer = this.#buffer.length === 0 ? incoming : Buffer.concat([this.#buffer, incoming]);
    let offset = 0;
    try {
      for (;;) {
        const args: (Buffer | string)[] = [];
        const next = this.#parseOne(offset, args, text);
        if (next === -1) break;
        offset = next;
        if (args.length > 0) requests.push(args);
      }
    } catch (error) {
      this.#failed = error instanceof RespProtocolError ? error : new RespProtocolError(`Protocol error: ${String(error)}`, { cause: error });
      this.#buffer = Buffer.alloc(0);
      return { requests, error: this.#failed };
    }
    // The chunk belongs to the caller: keep a copy of its incomplete tail, never a view.
    this.#buffer = offset === this.#buffer.length ? EMPTY : Buffer.from(this.#buffer.subarray(offset));
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

  /** The decimal integer (optional '-', 1–15 digits) from `from` to the line end `end` (a CR before it excluded). */
  #integer(from: number, end: number, what: string): number {
    const buffer = this.#buffer;
    const stop = end > from && buffer[end - 1] === CR ? end - 1 : end;
    let i = from;
    const negative = i < stop && buffer[i] === 0x2d; /* '-' */
    if (negative) i++;
    if (stop - i < 1 || stop - i > 15) throw new RespProtocolError(`Protocol error: invalid ${what}`);
    let value = 0;
    for (; i < stop; i++) {
      const digit = buffer[i]! - 0x30;
      if (digit < 0 || digit > 9) throw new RespProtocolError(`Protocol error: invalid ${what}`);
      value = value * 10 + digit;
    }
    return negative ? -value : value;
  }

  /** Parses one request at `start` into `args`; returns where the next begins, or -1 when incomplete. */
  #parseOne(start: number, args: (Buffer | string)[], text: boolean): number {
    const buffer = this.#buffer;
    if (start >= buffer.length) return -1;
    if (buffer[start] !== 0x2a /* '*' */) return this.#parseInline(start, args, text);
    const headerEnd = this.#lineEnd(start);
    if (headerEnd === -1) return -1;
    const count = this.#integer(start + 1, headerEnd, 'multibulk length');
    if (count > this.#maxArgs) throw new RespProtocolError('Protocol error: invalid multibulk length');
    let offset = headerEnd + 1;
    for (let i = 0; i < count; i++) {
      if (offset >= buffer.length) return -1;
      const marker = buffer[offset]!;
      if (marker !== 0x24 /* '$' */) throw new RespProtocolError(`Protocol error: expected '$', got '${String.fromCharCode(marker)}'`);
      const lengthEnd = this.#lineEnd(offset);
      if (lengthEnd === -1) return -1;
      const length = this.#integer(offset + 1, lengthEnd, 'bulk length');
      if (length < 0 || length > this.#maxBulk) throw new RespProtocolError('Protocol error: invalid bulk length');
      const dataStart = lengthEnd + 1;
      if (buffer.length < dataStart + length + 2) return -1;
      if (buffer[dataStart + length] !== CR || buffer[dataStart + length + 1] !== LF) {
        throw new RespProtocolError('Protocol error: bulk string not terminated by CRLF');
      }
      args.push(text ? buffer.toString('latin1', dataStart, dataStart + length) : Buffer.from(buffer.subarray(dataStart, dataStart + length)));
      offset = dataStart + length + 2;
    }
    return offset;
  }

  // Inline requests ("PING\r\n" typed into telnet/nc): space-separated words, with quotes.
  #parseInline(start: number, args: (Buffer | string)[], text: boolean): number {
    const end = this.#lineEnd(start);
    if (end === -1) return -1;
    const stop = end > start && this.#buffer[end - 1] === CR ? end - 1 : end;
    const line = this.#buffer.toString('latin1', start, stop);
    for (const word of splitInline(line)) args.push(text ? word : Buffer.from(word, 'latin1'));
    return end + 1;
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

/** Encodes a reply for a connection speaking RESP `protocol` (2 or 3). Strings are latin1 (bytes as given). */
export function encodeReply(reply: Reply, protocol: 2 | 3): Buffer {
  return Buffer.from(encodeReplyText(reply, protocol), 'latin1');
}

/**
 * {@link encodeReply} as a latin1 string (one char per byte): a server appends the replies of
 * a batch to one string and writes it once (`socket.write(text, 'latin1')`), with no Buffer per
 * reply and no concatenation of Buffers.
 */
export function encodeReplyText(reply: Reply, protocol: 2 | 3): string {
  // The replies of a benchmark's hot path first.
  if (reply === OK) return '+OK\r\n';
  switch (reply.type) {
    case 'bulk': {
      const value = reply.value;
      if (value === null) return protocol === 3 ? '_\r\n' : '$-1\r\n';
      const body = typeof value === 'string' ? value : value.toString('latin1');
      return `$${body.length}\r\n${body}\r\n`;
    }
    case 'simple':
      return `+${oneLine(reply.value)}\r\n`;
    case 'error':
      return `-${oneLine(reply.value)}\r\n`;
    case 'integer':
      return `:${reply.value}\r\n`;
    case 'array': {
      if (reply.value === null) return protocol === 3 ? '_\r\n' : '*-1\r\n';
      let text = `*${reply.value.length}\r\n`;
      for (const item of reply.value) text += encodeReplyText(item, protocol);
      return text;
    }
    case 'map': {
      // RESP2 has no maps: Redis sends them as flat arrays of key, value, key, value.
      let text = protocol === 3 ? `%${reply.value.length}\r\n` : `*${reply.value.length * 2}\r\n`;
      for (const [key, value] of reply.value) text += encodeReplyText(key, protocol) + encodeReplyText(value, protocol);
      return text;
    }
  }
}

function oneLine(text: string): string {
  return text.includes('\r') || text.includes('\n') ? text.replace(/[\r\n]+/g, ' ') : text;
}
