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
  type MessageHandler,
  MessageTooLargeError,
  type NodeId,
  type OpenOptions,
  throwIfAborted,
  type Transport,
  UnknownPeerError,
} from '@lattice/core';
import { type InboundStats, TcpListener } from './listener.js';
import { parseAddress, type ResolvedTcpOptions, resolveListen, resolveOptions, type TcpAddress, type TcpTransportOptions } from './options.js';
import { PeerConnection, type PeerConnectionHost } from './peer-connection.js';

/** Options of {@link TcpTransport.open}. */
export interface TcpOpenOptions extends OpenOptions {
  /** Where this endpoint listens; default the transport's `listen` option. */
  listen?: Partial<TcpAddress>;
}

/**
 * `Transport` over TCP (Node only), with optional mutual TLS.
 *
 * - Frames: `[u32 length][u8 type][body]`; payloads up to `maxMessageSize`.
 * - Every connection starts with a challenge/response proving both sides hold the cluster
 *   secret and naming sender and receiver; peers that fail it are disconnected.
 * - One outbound connection per (sender, receiver) pair, opened on first send; messages queue
 *   (bounded, with an overflow policy) while it connects or reconnects with jittered
 *   exponential backoff. Order is kept within one connection; across reconnects, messages
 *   written to a connection that died are lost (at most once).
 * - Bad input from a peer (garbage, oversize or truncated frames, a failed handshake) closes
 *   that connection and is reported through the endpoint's `onError`; nothing is thrown into
 *   your process and every other connection keeps working.
 *
 * @example
 * ```ts
 * import { TcpTransport } from '@lattice/transport/tcp';
 * const transport = new TcpTransport({ secret: process.env.CLUSTER_SECRET!, peers: { b: '10.0.0.2:7000' }, listen: { host: '0.0.0.0', port: 7000 } });
 * const a = await transport.open('a');
 * a.onMessage((m) => console.log(m.from, m.payload.byteLength));
 * await a.send('b', new TextEncoder().encode('hello'));
 * ```
 */
export class TcpTransport implements Transport {
  readonly #options: ResolvedTcpOptions;
  readonly #directory = new Map<NodeId, TcpAddress>();
  readonly #endpoints = new Map<NodeId, TcpEndpoint>();
  #closed = false;

  constructor(options: TcpTransportOptions) {
    this.#options = resolveOptions(options);
    for (const [id, address] of Object.entries(options.peers ?? {})) this.addPeer(id, address);
  }

  /** Largest payload accepted, in bytes. */
  get maxMessageSize(): number {
    return this.#options.maxMessageSize;
  }

  /** Adds or moves a remote node in the address book. */
  addPeer(id: NodeId, address: string | TcpAddress): void {
    assertNodeId(id);
    this.#directory.set(id, parseAddress(address));
  }

  /** Removes a node from the address book; later sends to it reject with `UnknownPeerError`. */
  removePeer(id: NodeId): void {
    assertNodeId(id);
    this.#directory.delete(id);
  }

  /** The address a node is reached at, if known. */
  addressOf(id: NodeId): TcpAddress | undefined {
    assertNodeId(id);
    return this.#directory.get(id);
  }

  async open(id: NodeId, options: TcpOpenOptions = {}): Promise<TcpEndpoint> {
    assertAbortOptions(options, 'open options');
    throwIfAborted(options.signal);
    assertNodeId(id);
    const listen = resolveListen(this.#options.listen, options.listen, 'open options.listen');
    if (this.#closed) throw new ClosedError('TcpTransport is closed');
    if (this.#endpoints.has(id)) throw new DuplicateNodeError(id);
    const endpoint = new TcpEndpoint(id, this.#options, (peer) => this.#directory.get(peer), () => {
      if (this.#endpoints.get(id) === endpoint) this.#endpoints.delete(id);
    });
    this.#endpoints.set(id, endpoint);
    try {
      const address = await endpoint.listen(listen);
      this.#directory.set(id, address);
    } catch (error) {
      this.#endpoints.delete(id);
      await endpoint.close();
      throw error;
    }
    return endpoint;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#endpoints.values()].map((endpoint) => endpoint.close()));
  }
}

/** Counters of one {@link TcpEndpoint}. */
export interface TcpEndpointStats extends InboundStats {
  /** Messages dropped by a full send queue. */
  droppedOnOverflow: number;
}

/** One node on a {@link TcpTransport}: a listening server plus outbound connections per peer. */
export class TcpEndpoint implements Endpoint {
  readonly id: NodeId;
  readonly maxMessageSize: number;
  readonly #options: ResolvedTcpOptions;
  readonly #resolve: (peer: NodeId) => TcpAddress | undefined;
  readonly #onClosed: () => void;
  readonly #inbox = new Inbox();
  readonly #peers = new Map<NodeId, PeerConnection>();
  readonly #listener: TcpListener;
  #address: TcpAddress | undefined;
  #closing: Promise<void> | undefined;
  readonly #host: PeerConnectionHost;

  /** @internal Endpoints come from {@link TcpTransport.open}; the options are already resolved. */
  constructor(id: NodeId, options: ResolvedTcpOptions, resolve: (peer: NodeId) => TcpAddress | undefined, onClosed: () => void) {
    // Internal, but JavaScript can still call it: say what to call instead.
    if (typeof options !== 'object' || options === null || typeof resolve !== 'function') {
      throw new InvalidArgumentError('TcpEndpoint has no public constructor: open an endpoint with new TcpTransport(options).open(id)');
    }
    this.id = id;
    this.maxMessageSize = options.maxMessageSize;
    this.#options = options;
    this.#resolve = resolve;
    this.#onClosed = onClosed;
    this.#host = {
      id,
      options,
      timers: options.timers,
      random: options.random,
      resolve: (peer) => this.#resolve(peer),
      report: (error) => this.#inbox.reportError(error),
    };
    this.#listener = new TcpListener({
      id,
      options,
      deliver: (message) => this.#inbox.deliver(message),
      report: (error) => this.#inbox.reportError(error),
    });
  }

  /** Where this endpoint listens (after `open` resolved). */
  get address(): TcpAddress | undefined {
    return this.#address;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** A snapshot of this endpoint's counters. */
  get stats(): TcpEndpointStats {
    let dropped = 0;
    for (const peer of this.#peers.values()) dropped += peer.dropped;
    return { ...this.#listener.stats, droppedOnOverflow: dropped };
  }

  /** @internal Starts the server; resolves with the bound address. */
  async listen(address: TcpAddress): Promise<TcpAddress> {
    this.#address = await this.#listener.listen(address);
    return this.#address;
  }

  async send(to: NodeId, payload: Uint8Array, options?: AbortOptions): Promise<void> {
    assertNodeId(to, 'destination node id');
    assertBytes(payload, 'payload');
    assertAbortOptions(options);
    throwIfAborted(options?.signal);
    if (this.closed) throw new ClosedError(`Endpoint "${this.id}" is closed`);
    if (payload.byteLength > this.maxMessageSize) throw new MessageTooLargeError(payload.byteLength, this.maxMessageSize);
    if (this.#resolve(to) === undefined) throw new UnknownPeerError(to);
    let peer = this.#peers.get(to);
    if (peer === undefined) {
      peer = new PeerConnection(to, this.#host);
      this.#peers.set(to, peer);
    }
    peer.enqueue(payload);
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
    this.#onClosed();
    // Inbound sockets are destroyed whatever their stage (TLS, challenge/response or serving):
    // close() must not wait on clients that never finish a handshake.
    const listenerClosed = this.#listener.close();
    await Promise.all([...this.#peers.values()].map((peer) => peer.close(this.#options.closeGraceMs)));
    this.#peers.clear();
    await listenerClosed;
  }

  [Symbol.asyncIterator](): AsyncIterator<Envelope> {
    return this.#inbox[Symbol.asyncIterator]();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
