import {
  type AbortOptions,
  assertAbortOptions,
  assertBytes,
  assertNodeId,
  ClosedError,
  DuplicateNodeError,
  type Endpoint,
  type Envelope,
  type ErrorHandler,
  Inbox,
  InvalidArgumentError,
  type LatticeError,
  type MessageHandler,
  MessageTooLargeError,
  type NodeId,
  type OpenOptions,
  raceAbort,
  throwIfAborted,
  type Transport,
  UnknownPeerError,
} from '@lattice/core';
import type { NatsConnectionLike, NatsConnectOptions, NatsMessageLike, NatsStatusLike, NatsSubscriptionLike } from './connection.js';
import { NatsClientMissingError, NatsConnectionError, NatsMessageError } from './errors.js';
import { type NatsTransportOptions, type ResolvedNatsOptions, resolveOptions } from './options.js';
import { SubjectScheme } from './subjects.js';
import { encodeMessage, MessageDecoder, senderHeader } from './wire-format.js';

/** The client package this transport loads when it makes its own connection. */
const CLIENT_PACKAGE = '@nats-io/transport-node';
const EMPTY = new Uint8Array(0);

/**
 * `Transport` over NATS (Node): endpoints exchange messages through a NATS server or cluster
 * with core NATS publish/subscribe, so delivery is at most once.
 *
 * - Subjects: node `id` of cluster `c` receives on `<subjectPrefix>.<c>.<id>` (both escaped
 *   into subject tokens, see the README), so clusters sharing a deployment are isolated.
 * - Every message carries the sender id in a small header of its own (4 bytes plus the id), so
 *   `maxMessageSize` is the server's `max_payload` minus that header.
 * - Unknown peers: a node is known when it is open on this transport, listed in `peers`, or
 *   answered a presence probe (a NATS request to `<prefix>.<c>._probe.<id>`, answered by the
 *   endpoint while it is open). The first `send` to any other node probes it once; with no
 *   endpoint subscribed anywhere, the server answers "no responders" at once and `send`
 *   rejects with `UnknownPeerError`. Once known, a node stays known: sends to it resolve even
 *   while it is down, and those messages are lost (at most once).
 * - The client reconnects by itself (forever, unless `connect.maxReconnectAttempts` says
 *   otherwise); each disconnect is reported to every endpoint's `onError` as a
 *   `NatsConnectionError`. A connection closed for good closes every endpoint.
 * - Garbage on a node's subject is dropped and reported as a `NatsMessageError`.
 *
 * @example
 * ```ts
 * import { NatsTransport } from '@lattice/transport/nats';
 * const transport = new NatsTransport({ cluster: 'orders', connect: { servers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'] } });
 * const a = await transport.open('a');
 * a.onMessage((m) => console.log(m.from, m.payload.byteLength));
 * await a.send('b', new TextEncoder().encode('hello'));
 * ```
 */
export class NatsTransport implements Transport {
  readonly #options: ResolvedNatsOptions;
  readonly #connectOptions: NatsConnectOptions;
  readonly #given: NatsConnectionLike | undefined;
  readonly #subjects: SubjectScheme;
  readonly #endpoints = new Map<NodeId, NatsEndpoint>();
  readonly #opening = new Set<NodeId>();
  /** Subjects of the nodes known to exist (see the class doc). */
  readonly #routes = new Map<NodeId, string>();
  readonly #probes = new Map<NodeId, Promise<string>>();
  #connection: Promise<NatsConnectionLike> | undefined;
  #stopStatus: (() => void) | undefined;
  #closed = false;

  constructor(options: NatsTransportOptions = {}) {
    this.#options = resolveOptions(options);
    this.#connectOptions = options.connect ?? {};
    this.#given = options.connection;
    this.#subjects = new SubjectScheme(this.#options.subjectPrefix, this.#options.cluster);
    for (const id of options.peers ?? []) this.addPeer(id);
  }

  /** The subject node `id` of this transport's cluster receives on. */
  subjectOf(id: NodeId): string {
    assertNodeId(id);
    return this.#subjects.node(id);
  }

  /** Marks a node as known without probing it. */
  addPeer(id: NodeId): void {
    assertNodeId(id, 'peer id');
    this.#routes.set(id, this.#subjects.node(id));
  }

  async open(id: NodeId, options: OpenOptions = {}): Promise<NatsEndpoint> {
    assertAbortOptions(options, 'open options');
    throwIfAborted(options.signal);
    assertNodeId(id);
    if (this.#closed) throw new ClosedError('NatsTransport is closed');
    if (this.#endpoints.has(id) || this.#opening.has(id)) throw new DuplicateNodeError(id);
    this.#opening.add(id);
    try {
      const connection = await raceAbort(this.#connect(), options.signal);
      if (this.#closed) throw new ClosedError('NatsTransport is closed');
      const endpoint = new NatsEndpoint(id, connection, this.#options, this.#subjects, {
        route: (peer) => this.#routes.get(peer),
        discover: (peer, signal) => this.#discover(connection, peer, signal),
        closed: (closing) => {
          if (this.#endpoints.get(id) === closing) this.#endpoints.delete(id);
        },
      });
      this.#endpoints.set(id, endpoint);
      this.#routes.set(id, this.#subjects.node(id));
      try {
        // Once the server has the subscriptions, other endpoints' probes find this one.
        await raceAbort(connection.flush(), options.signal);
      } catch (error) {
        await endpoint.close();
        throw error;
      }
      return endpoint;
    } finally {
      this.#opening.delete(id);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#endpoints.values()].map((endpoint) => endpoint.close()));
    this.#stopStatus?.();
    const connection = await this.#connection?.catch(() => undefined);
    if (connection !== undefined && connection !== this.#given && !connection.isClosed()) await connection.close();
  }

  #connect(): Promise<NatsConnectionLike> {
    this.#connection ??= this.#establish().catch((error: unknown) => {
      this.#connection = undefined; // a later open tries again
      throw error;
    });
    return this.#connection;
  }

  async #establish(): Promise<NatsConnectionLike> {
    let connection: NatsConnectionLike;
    if (this.#given !== undefined) {
      if (this.#given.isClosed()) throw new NatsConnectionError('closed', 'The NatsConnection passed to NatsTransport is closed');
      connection = this.#given;
    } else {
      const connect = await loadClient();
      try {
        connection = await connect({ maxReconnectAttempts: -1, ...this.#connectOptions });
      } catch (cause) {
        throw new NatsConnectionError('error', `Could not connect to NATS (${describeServers(this.#connectOptions.servers)}): ${(cause as Error).message}`, { cause });
      }
    }
    if (this.#closed) {
      if (connection !== this.#given) await connection.close();
      throw new ClosedError('NatsTransport is closed');
    }
    this.#watch(connection);
    return connection;
  }

  /** Reports the connection's disconnects and errors to every endpoint; closes them when the connection is gone for good. */
  #watch(connection: NatsConnectionLike): void {
    const status = connection.status();
    const iterator = status[Symbol.asyncIterator]();
    this.#stopStatus = () => {
      void iterator.return?.();
      (status as { stop?: () => void }).stop?.();
    };
    void (async () => {
      try {
        for (;;) {
          const next = await iterator.next();
          if (next.done) return;
          const error = statusError(next.value);
          if (error !== undefined) for (const endpoint of this.#endpoints.values()) endpoint.report(error);
        }
      } catch {
        // The iterator ends with the connection; closing is handled below.
      }
    })();
    void connection.closed().then((cause) => {
      if (this.#closed) return;
      const error = new NatsConnectionError('closed', 'The NATS connection closed for good; its endpoints are closed', cause instanceof Error ? { cause } : undefined);
      for (const endpoint of [...this.#endpoints.values()]) {
        endpoint.report(error);
        void endpoint.close();
      }
      // The next open connects anew (or, on a connection the caller owns, refuses: it is closed).
      this.#connection = undefined;
    });
  }

  #discover(connection: NatsConnectionLike, peer: NodeId, signal: AbortSignal | undefined): Promise<string> {
    let probe = this.#probes.get(peer);
    if (probe === undefined) {
      const subject = this.#subjects.probe(peer);
      probe = connection
        .request(subject, EMPTY, { timeout: this.#options.probeTimeoutMs })
        .then(
          () => {
            const route = this.#subjects.node(peer);
            this.#routes.set(peer, route);
            return route;
          },
          (cause: unknown) => {
            throw new UnknownPeerError(peer, {
              message: `No endpoint of cluster "${this.#options.cluster}" answered a probe for "${peer}" (${(cause as Error).message})`,
              cause,
            });
          },
        )
        .finally(() => this.#probes.delete(peer));
      this.#probes.set(peer, probe);
    }
    return raceAbort(probe, signal);
  }
}

function statusError(status: NatsStatusLike): NatsConnectionError | undefined {
  switch (status.type) {
    case 'disconnect':
      return new NatsConnectionError('disconnect', `Disconnected from NATS server ${status.server ?? ''}; the client is reconnecting, and messages sent meanwhile may be lost`);
    case 'error':
      return new NatsConnectionError('error', `NATS reported: ${status.error?.message ?? 'an error'}`, status.error ? { cause: status.error } : undefined);
    default:
      return undefined;
  }
}

function describeServers(servers: string | string[] | undefined): string {
  if (servers === undefined) return 'the client default, 127.0.0.1:4222';
  return Array.isArray(servers) ? servers.join(', ') : servers;
}

type Connect = (options: NatsConnectOptions) => Promise<NatsConnectionLike>;

/** The client is an optional peer dependency: it is loaded on the first `open`, never at import. */
async function loadClient(): Promise<Connect> {
  try {
    const client = (await import(CLIENT_PACKAGE)) as { connect?: Connect; default?: { connect?: Connect } };
    const connect = client.connect ?? client.default?.connect;
    if (typeof connect !== 'function') throw new Error(`${CLIENT_PACKAGE} has no connect function`);
    return connect;
  } catch (cause) {
    throw new NatsClientMissingError(`NatsTransport needs the NATS client: npm install ${CLIENT_PACKAGE} (or pass an open connection as options.connection)`, { cause });
  }
}

/** @internal What an endpoint needs from its transport. */
interface EndpointHost {
  route(peer: NodeId): string | undefined;
  discover(peer: NodeId, signal: AbortSignal | undefined): Promise<string>;
  closed(endpoint: NatsEndpoint): void;
}

/** One node on a {@link NatsTransport}: a subscription on its subject plus one on its probe subject. */
export class NatsEndpoint implements Endpoint {
  readonly id: NodeId;
  readonly #connection: NatsConnectionLike;
  readonly #options: ResolvedNatsOptions;
  readonly #host: EndpointHost;
  readonly #inbox = new Inbox();
  readonly #header: Uint8Array;
  readonly #decoder = new MessageDecoder();
  readonly #subscriptions: NatsSubscriptionLike[];
  #lastMaxPayload: number;
  #closing: Promise<void> | undefined;

  /** @internal Endpoints come from {@link NatsTransport.open}. */
  constructor(id: NodeId, connection: NatsConnectionLike, options: ResolvedNatsOptions, subjects: SubjectScheme, host: EndpointHost) {
    // Internal, but JavaScript can still call it: say what to call instead.
    if (typeof connection !== 'object' || connection === null || typeof options !== 'object' || options === null || typeof host !== 'object' || host === null) {
      throw new InvalidArgumentError('NatsEndpoint has no public constructor: open an endpoint with new NatsTransport(options).open(id)');
    }
    this.id = id;
    this.#connection = connection;
    this.#options = options;
    this.#host = host;
    this.#header = senderHeader(id);
    this.#lastMaxPayload = connection.info?.max_payload ?? 1024 * 1024;
    this.#subscriptions = [
      connection.subscribe(subjects.node(id), { callback: (error, message) => this.#receive(error, message) }),
      connection.subscribe(subjects.probe(id), {
        callback: (error, message) => {
          if (error === null && !this.closed) message.respond(EMPTY);
        },
      }),
    ];
  }

  /** The server's `max_payload` (of the server connected to now) minus this endpoint's header, or the `maxMessageSize` option if smaller. */
  get maxMessageSize(): number {
    const maxPayload = this.#connection.info?.max_payload;
    if (maxPayload !== undefined) this.#lastMaxPayload = maxPayload;
    return Math.min(this.#options.maxMessageSize, this.#lastMaxPayload - this.#header.byteLength);
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  async send(to: NodeId, payload: Uint8Array, options?: AbortOptions): Promise<void> {
    assertNodeId(to, 'destination node id');
    assertBytes(payload, 'payload');
    assertAbortOptions(options);
    throwIfAborted(options?.signal);
    if (this.closed) throw new ClosedError(`Endpoint "${this.id}" is closed`);
    const limit = this.maxMessageSize;
    if (payload.byteLength > limit) throw new MessageTooLargeError(payload.byteLength, limit);
    let subject = this.#host.route(to);
    if (subject === undefined) {
      subject = await this.#host.discover(to, options?.signal);
      if (this.closed) throw new ClosedError(`Endpoint "${this.id}" is closed`);
    }
    try {
      this.#connection.publish(subject, encodeMessage(this.#header, payload));
    } catch (cause) {
      throw this.#publishError(cause, payload.byteLength);
    }
  }

  #publishError(cause: unknown, size: number): LatticeError {
    if (this.#connection.isClosed()) return new ClosedError(`Endpoint "${this.id}": the NATS connection is closed`, { cause });
    // A reconnect to a server with a smaller max_payload can race the check above.
    if (/max_payload/i.test((cause as Error).message ?? '')) return new MessageTooLargeError(size, this.maxMessageSize, { cause });
    return new NatsConnectionError('error', `Publishing failed: ${(cause as Error).message}`, { cause });
  }

  #receive(error: Error | null, message: NatsMessageLike): void {
    if (this.#inbox.closed) return;
    if (error !== null) {
      this.#inbox.reportError(new NatsConnectionError('error', `The subscription of "${this.id}" failed: ${error.message}`, { cause: error }));
      return;
    }
    const decoded = this.#decoder.decode(message.data);
    if ('problem' in decoded) {
      const options = decoded.cause === undefined ? undefined : { cause: decoded.cause };
      this.#inbox.reportError(new NatsMessageError(message.subject, `Dropped a message on ${message.subject}: ${decoded.problem}`, options));
      return;
    }
    if (decoded.payload.byteLength > this.#options.maxMessageSize) {
      this.#inbox.reportError(new NatsMessageError(message.subject, `Dropped a ${decoded.payload.byteLength}-byte message from "${decoded.from}": above maxMessageSize ${this.#options.maxMessageSize}`));
      return;
    }
    this.#inbox.deliver({ from: decoded.from, to: this.id, payload: decoded.payload });
  }

  /** @internal Reports a connection event to this endpoint's error handlers. */
  report(error: LatticeError): void {
    this.#inbox.reportError(error);
  }

  onMessage(handler: MessageHandler): () => void {
    return this.#inbox.onMessage(handler);
  }

  onError(handler: ErrorHandler): () => void {
    return this.#inbox.onError(handler);
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#inbox.close();
    this.#host.closed(this);
    if (this.#connection.isClosed()) return;
    for (const subscription of this.#subscriptions) {
      try {
        subscription.unsubscribe();
      } catch {
        // Already gone with the connection.
      }
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Envelope> {
    return this.#inbox[Symbol.asyncIterator]();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
