/**
 * A minimal Redis client over `node:net` (RESP2): one connection, commands answered in order.
 * Enough for the demo and the tests to talk to lattice-kv without a client library in between
 * hiding what happens (no reconnects, no retries: a lost connection fails what was pending).
 */
import { createConnection, type Socket } from 'node:net';
import { LatticeError, type LatticeErrorOptions, systemTimers } from '@lattice/core';

/** Thrown when the connection to a Redis server fails or closes with commands still pending, or a reply cannot be parsed. */
export class RespConnectionError extends LatticeError {
  static readonly code = 'ERR_RESP_CONNECTION';
  override readonly name = 'RespConnectionError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(RespConnectionError.code, message, options);
  }
}

/** A Redis error reply (`-ERR …`, `-TRYAGAIN …`): a value, not an exception, so callers see what the server said. */
export interface RespErrorReply {
  readonly error: string;
}

/** A reply: simple and bulk strings as strings, integers as numbers, nil as null. */
export type RespValue = string | number | null | RespErrorReply | RespValue[];

/** Whether `value` is an error reply. */
export function isErrorReply(value: RespValue): value is RespErrorReply {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface Waiter {
  resolve(value: RespValue): void;
  reject(error: unknown): void;
}

/** One connection to a Redis server (or a lattice-kv node). */
export class RespClient {
  readonly #socket: Socket;
  readonly #waiters: Waiter[] = [];
  #buffer: Buffer = Buffer.alloc(0);
  #failure: RespConnectionError | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', (error) => this.#fail(new RespConnectionError(`connection failed: ${error.message}`, { cause: error })));
    socket.on('close', () => this.#fail(new RespConnectionError('connection closed')));
  }

  /** Connects to `host:port`. */
  static connect(port: number, host = '127.0.0.1'): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ port, host });
      socket.setNoDelay(true);
      socket.once('error', (error) => reject(new RespConnectionError(`cannot connect to ${host}:${port}: ${error.message}`, { cause: error })));
      socket.once('connect', () => resolve(new RespClient(socket)));
    });
  }

  /** Sends one command; resolves with its reply (an error reply too), rejects if the connection fails first. */
  send(...args: (string | number)[]): Promise<RespValue> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    let frame = `*${args.length}\r\n`;
    for (const arg of args) {
      const text = String(arg);
      frame += `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
    }
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#socket.write(frame);
    });
  }

  /**
   * Sends one command with a deadline: past `timeoutMs` the promise rejects and the connection is
   * closed (its reply could still arrive and would answer the next command). Its outcome is then
   * unknown: the command may yet take effect.
   */
  sendWithin(timeoutMs: number, ...args: (string | number)[]): Promise<RespValue> {
    return new Promise((resolve, reject) => {
      const timer = systemTimers.setTimeout(() => {
        this.#fail(new RespConnectionError(`no reply within ${timeoutMs} ms`));
        this.#socket.destroy();
      }, timeoutMs);
      this.send(...args).then(
        (value) => {
          systemTimers.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          systemTimers.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** True once the connection failed, timed out or was closed: open a new one. */
  get broken(): boolean {
    return this.#failure !== undefined || this.#socket.destroyed;
  }

  close(): void {
    this.#socket.destroy();
  }

  #fail(error: RespConnectionError): void {
    this.#failure ??= error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#failure);
  }

  #receive(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      let parsed: { value: RespValue; end: number } | undefined;
      try {
        parsed = parseReply(this.#buffer, 0);
      } catch (error) {
        this.#fail(error as RespConnectionError);
        this.#socket.destroy();
        return;
      }
      if (parsed === undefined) return;
      this.#buffer = this.#buffer.subarray(parsed.end);
      this.#waiters.shift()?.resolve(parsed.value);
    }
  }
}

/** Parses one reply at `offset`; undefined while it is incomplete. */
function parseReply(buffer: Buffer, offset: number): { value: RespValue; end: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd === -1) return undefined;
  const line = buffer.toString('latin1', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (buffer[offset]) {
    case 0x2b: // +
      return { value: line, end: next };
    case 0x2d: // -
      return { value: { error: line }, end: next };
    case 0x3a: // :
      return { value: Number(line), end: next };
    case 0x24: {
      // $
      const length = Number(line);
      if (length === -1) return { value: null, end: next };
      if (!Number.isSafeInteger(length) || length < 0) throw new RespConnectionError(`bad bulk length ${line}`);
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString('latin1', next, next + length), end: next + length + 2 };
    }
    case 0x2a: {
      // *
      const count = Number(line);
      if (count === -1) return { value: null, end: next };
      if (!Number.isSafeInteger(count) || count < 0) throw new RespConnectionError(`bad array length ${line}`);
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, at);
        if (item === undefined) return undefined;
        items.push(item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new RespConnectionError(`reply starts with ${JSON.stringify(String.fromCharCode(buffer[offset] ?? 0))}, not a RESP2 type`);
  }
}
