/**
 * The part of the NATS client's `NatsConnection` this transport uses. Declared here, not
 * imported, so that `@lattice/transport/nats` and its types load without the optional peer
 * dependency installed; a connection from `@nats-io/transport-node` fits it.
 */
export interface NatsConnectionLike {
  /** The server's INFO; `max_payload` bounds every message. Undefined once closed. */
  readonly info?: { readonly max_payload: number } | undefined;
  publish(subject: string, payload?: Uint8Array, options?: unknown): void;
  subscribe(subject: string, options?: { callback?: (error: Error | null, message: NatsMessageLike) => void }): NatsSubscriptionLike;
  request(subject: string, payload?: Uint8Array, options?: { timeout: number }): Promise<unknown>;
  flush(): Promise<void>;
  close(): Promise<void>;
  closed(): Promise<unknown>;
  isClosed(): boolean;
  status(): AsyncIterable<NatsStatusLike>;
  getServer(): string;
}

/** A received NATS message, as far as this transport reads it. */
export interface NatsMessageLike {
  readonly subject: string;
  readonly data: Uint8Array;
  respond(payload?: Uint8Array): boolean;
}

/** A subscription, as far as this transport uses it. */
export interface NatsSubscriptionLike {
  unsubscribe(max?: number): void;
}

/** A status event of the connection (`disconnect`, `reconnect`, `error`, `close`, …). */
export interface NatsStatusLike {
  readonly type: string;
  readonly server?: string;
  readonly error?: Error;
}

/**
 * Options passed to the client's `connect` unchanged, so authentication and TLS are whatever
 * NATS provides: `user`/`pass`, `token`, an `authenticator` (for NKEYs or credentials files,
 * e.g. `nkeyAuthenticator(seed)` or `credsAuthenticator(creds)` from the client), and `tls`
 * (`{ caFile, certFile, keyFile }` or `{ ca, cert, key }`). The fields listed are the common
 * ones; any other option of the client's `ConnectionOptions` is passed through as well.
 */
export interface NatsConnectOptions {
  /** Server URL(s), e.g. `"nats://10.0.0.1:4222"`, or all of a cluster's so the client can fail over. */
  servers?: string | string[];
  user?: string;
  pass?: string;
  token?: string;
  /** An NKEY, JWT or credentials authenticator made with the client's helpers. */
  authenticator?: unknown;
  /** TLS options of the client; `null` turns TLS off explicitly. */
  tls?: Record<string, unknown> | null;
  /** Connection name shown by the server's monitoring. */
  name?: string;
  /** Reconnect attempts per server; default here −1 (forever), so a server restart is transparent. */
  maxReconnectAttempts?: number;
  /** Delay between reconnect attempts to one server, ms (client default 2,000). */
  reconnectTimeWait?: number;
  [option: string]: unknown;
}
