import { InvalidArgumentError, type Random, systemRandom, systemTimers, type Timers } from '@lattice/core';

/** Where a node listens. */
export interface TcpAddress {
  host: string;
  port: number;
}

/** TLS material for mutual authentication: both sides present a certificate signed by `ca`. */
export interface TcpTlsOptions {
  /** This node's private key (PEM). */
  key: string | Buffer;
  /** This node's certificate (PEM). */
  cert: string | Buffer;
  /** The CA(s) that sign every node's certificate (PEM). */
  ca: string | Buffer | (string | Buffer)[];
  /** Name to verify in the server certificate; default the peer's host. */
  servername?: string;
}

/** Options of {@link TcpTransport}. */
export interface TcpTransportOptions {
  /**
   * The cluster secret. Every connection starts with a challenge/response proving both ends
   * hold it (HMAC-SHA256; the secret is never sent). At least 16 bytes.
   */
  secret: string | Uint8Array;
  /** Addresses of remote nodes (`"host:port"` or `{host, port}`). Endpoints opened on this transport are added automatically. */
  peers?: Record<string, string | TcpAddress>;
  /** Interface local endpoints listen on unless `open` says otherwise. Default `127.0.0.1`, port 0 (any free port). */
  listen?: Partial<TcpAddress>;
  /** Largest message payload, in bytes. Default 4 MiB. */
  maxMessageSize?: number;
  /** Mutual TLS. When given, every connection is TLS with client certificates required and verified. */
  tls?: TcpTlsOptions;
  /** Most messages queued per peer while it is unreachable or slow. Default 4,096. */
  sendQueueLimit?: number;
  /**
   * What `send` does when a peer's queue is full: `"drop-oldest"` (default; the oldest queued
   * message is dropped and a `SendQueueFullError` reported through `onError`) or `"reject"`
   * (`send` rejects with `SendQueueFullError` and nothing is dropped).
   */
  overflow?: 'drop-oldest' | 'reject';
  /** Reconnect backoff: delay = min(maxDelayMs, initialDelayMs × 2^attempt) × (1 − jitter × random). */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number; jitter?: number };
  /** A connection that has not completed its handshake within this time is closed. Default 5,000 ms. */
  handshakeTimeoutMs?: number;
  /** How long `close()` waits to flush queued messages per peer. Default 1,000 ms. */
  closeGraceMs?: number;
  /** Timers for backoff and timeouts. Default: system timers. */
  timers?: Timers;
  /** Randomness for backoff jitter. Default: `Math.random`. */
  random?: Random;
}

export interface ResolvedTcpOptions {
  secret: Uint8Array;
  maxMessageSize: number;
  tls: TcpTlsOptions | undefined;
  sendQueueLimit: number;
  overflow: 'drop-oldest' | 'reject';
  reconnect: { initialDelayMs: number; maxDelayMs: number; jitter: number };
  handshakeTimeoutMs: number;
  closeGraceMs: number;
  timers: Timers;
  random: Random;
  listen: TcpAddress;
}

const MAX_FRAME_PAYLOAD = 0xffff_fff0;

export function resolveOptions(options: TcpTransportOptions): ResolvedTcpOptions {
  const secret = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
  if (!(secret instanceof Uint8Array) || secret.byteLength < 16) {
    throw new InvalidArgumentError('secret must be a string or bytes of at least 16 bytes');
  }
  const maxMessageSize = options.maxMessageSize ?? 4 * 1024 * 1024;
  if (!Number.isSafeInteger(maxMessageSize) || maxMessageSize < 1 || maxMessageSize > MAX_FRAME_PAYLOAD) {
    throw new InvalidArgumentError(`maxMessageSize must be an integer in 1..${MAX_FRAME_PAYLOAD}, got ${maxMessageSize}`);
  }
  const sendQueueLimit = options.sendQueueLimit ?? 4096;
  if (!Number.isSafeInteger(sendQueueLimit) || sendQueueLimit < 1) {
    throw new InvalidArgumentError(`sendQueueLimit must be a positive integer, got ${sendQueueLimit}`);
  }
  const initialDelayMs = options.reconnect?.initialDelayMs ?? 50;
  const reconnect = { initialDelayMs, maxDelayMs: Math.max(5_000, initialDelayMs), jitter: 0.5, ...options.reconnect };
  if (!(reconnect.initialDelayMs > 0 && reconnect.maxDelayMs >= reconnect.initialDelayMs && reconnect.jitter >= 0 && reconnect.jitter <= 1)) {
    throw new InvalidArgumentError('reconnect needs 0 < initialDelayMs <= maxDelayMs and jitter in [0, 1]');
  }
  return {
    secret,
    maxMessageSize,
    tls: options.tls,
    sendQueueLimit,
    overflow: options.overflow ?? 'drop-oldest',
    reconnect,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? 5_000,
    closeGraceMs: options.closeGraceMs ?? 1_000,
    timers: options.timers ?? systemTimers,
    random: options.random ?? systemRandom,
    listen: { host: options.listen?.host ?? '127.0.0.1', port: options.listen?.port ?? 0 },
  };
}

/** Parses `"host:port"` (IPv6 as `[::1]:port`) into an address. */
export function parseAddress(value: string | TcpAddress): TcpAddress {
  if (typeof value !== 'string') return value;
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || port > 65_535) throw new InvalidArgumentError(`Peer address must be "host:port", got ${JSON.stringify(value)}`);
  return { host: match[1]!, port };
}
