import { createSecureContext } from 'node:tls';
import {
  assertDelay,
  assertInteger,
  assertOptionalObject,
  assertOptionalRandom,
  assertOptionalTimers,
  describeValue,
  InvalidArgumentError,
  isBytes,
  type Random,
  systemRandom,
  systemTimers,
  type Timers,
} from '@lattice/core';

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

/** Validates every option (a wrong one is refused here, not later from a socket or timer callback) and fills in defaults. */
export function resolveOptions(options: TcpTransportOptions): ResolvedTcpOptions {
  if (options === undefined) throw new InvalidArgumentError('TcpTransport needs options with at least the cluster secret');
  assertOptionalObject(options, 'TcpTransport options');
  const secret = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
  if (!isBytes(secret) || secret.byteLength < 16) {
    throw new InvalidArgumentError(`secret must be a string or bytes of at least 16 bytes, got ${isBytes(secret) ? `${secret.byteLength} bytes` : describeValue(secret)}`);
  }
  const maxMessageSize = options.maxMessageSize ?? 4 * 1024 * 1024;
  assertInteger(maxMessageSize, 'maxMessageSize', 1, MAX_FRAME_PAYLOAD);
  const sendQueueLimit = options.sendQueueLimit ?? 4096;
  assertInteger(sendQueueLimit, 'sendQueueLimit', 1);
  const overflow = options.overflow ?? 'drop-oldest';
  if (overflow !== 'drop-oldest' && overflow !== 'reject') {
    throw new InvalidArgumentError(`overflow must be "drop-oldest" or "reject", got ${describeValue(overflow)}`);
  }
  assertOptionalObject(options.reconnect, 'reconnect');
  const initialDelayMs = options.reconnect?.initialDelayMs ?? 50;
  assertDelay(initialDelayMs, 'reconnect.initialDelayMs', 1);
  const maxDelayMs = options.reconnect?.maxDelayMs ?? Math.max(5_000, initialDelayMs);
  assertDelay(maxDelayMs, 'reconnect.maxDelayMs', initialDelayMs);
  const jitter = options.reconnect?.jitter ?? 0.5;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw new InvalidArgumentError(`reconnect.jitter must be a number in [0, 1], got ${describeValue(jitter)}`);
  }
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 5_000;
  assertDelay(handshakeTimeoutMs, 'handshakeTimeoutMs', 1);
  const closeGraceMs = options.closeGraceMs ?? 1_000;
  assertDelay(closeGraceMs, 'closeGraceMs', 0);
  assertOptionalTimers(options.timers);
  assertOptionalRandom(options.random);
  assertOptionalObject(options.peers, 'peers');
  return {
    secret,
    maxMessageSize,
    tls: resolveTls(options.tls),
    sendQueueLimit,
    overflow,
    reconnect: { initialDelayMs, maxDelayMs, jitter },
    handshakeTimeoutMs,
    closeGraceMs,
    timers: options.timers ?? systemTimers,
    random: options.random ?? systemRandom,
    listen: resolveListen({ host: '127.0.0.1', port: 0 }, options.listen, 'listen'),
  };
}

/** Merges `override` over `base` and checks the result is an address a server can listen on (port 0: any free port). */
export function resolveListen(base: TcpAddress, override: Partial<TcpAddress> | undefined, what: string): TcpAddress {
  assertOptionalObject(override, what);
  const address = { host: override?.host ?? base.host, port: override?.port ?? base.port };
  assertHost(address.host, `${what}.host`);
  assertInteger(address.port, `${what}.port`, 0, 65_535);
  return address;
}

function assertHost(host: unknown, what: string): asserts host is string {
  if (typeof host !== 'string' || host.length === 0) throw new InvalidArgumentError(`${what} must be a non-empty host name or IP address, got ${describeValue(host)}`);
}

function isPem(value: unknown): value is string | Buffer {
  return typeof value === 'string' || isBytes(value);
}

function resolveTls(tls: TcpTlsOptions | undefined): TcpTlsOptions | undefined {
  if (tls === undefined) return undefined;
  assertOptionalObject(tls, 'tls');
  for (const key of ['key', 'cert'] as const) {
    if (!isPem(tls[key])) throw new InvalidArgumentError(`tls.${key} must be PEM text (a string or Buffer), got ${describeValue(tls[key])}`);
  }
  const cas: unknown[] = Array.isArray(tls.ca) ? tls.ca : [tls.ca];
  if (cas.length === 0 || !cas.every(isPem)) {
    throw new InvalidArgumentError(`tls.ca must be PEM text (a string or Buffer) or a non-empty array of them, got ${describeValue(tls.ca)}`);
  }
  if (tls.servername !== undefined) assertHost(tls.servername, 'tls.servername');
  try {
    // Parses the key and certificates now, so bad PEM is refused here instead of on the first connection.
    createSecureContext({ key: tls.key, cert: tls.cert, ca: tls.ca });
  } catch (cause) {
    throw new InvalidArgumentError(`tls key, cert or ca could not be loaded: ${(cause as Error).message}`, { cause });
  }
  return tls;
}

/** Parses `"host:port"` (IPv6 as `[::1]:port`) or checks `{host, port}`: the address a peer is reached at. */
export function parseAddress(value: string | TcpAddress): TcpAddress {
  if (typeof value !== 'string') {
    assertOptionalObject(value, 'Peer address');
    if (value === undefined) throw new InvalidArgumentError('Peer address must be "host:port" or {host, port}, got undefined');
    assertHost(value.host, 'Peer address host');
    assertInteger(value.port, 'Peer address port', 1, 65_535);
    return { host: value.host, port: value.port };
  }
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || port < 1 || port > 65_535) throw new InvalidArgumentError(`Peer address must be "host:port" with a port in 1..65535, got ${JSON.stringify(value)}`);
  return { host: match[1]!, port };
}
