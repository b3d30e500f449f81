import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import {
  type AbortOptions,
  assertNodeId,
  ClosedError,
  DuplicateNodeError,
  type Endpoint,
  type Envelope,
  type ErrorHandler,
  Inbox,
  type LatticeError,
  type MessageHandler,
  MessageTooLargeError,
  type NodeId,
  type OpenOptions,
  throwIfAborted,
  type Transport,
  UnknownPeerError,
} from '@lattice/core';
import { type FrameError, HandshakeError } from './errors.js';
import { encodeFrame, FrameDecoder, FrameType } from './frame.js';
import { decodeHello, helloProof, MAX_HANDSHAKE_BODY, newNonce, proofMatches, welcomeProof } from './handshake.js';
import { parseAddress, type ResolvedTcpOptions, resolveOptions, type TcpAddress, type TcpTransportOptions } from './options.js';
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
    this.#directory.delete(id);
  }

  /** The address a node is reached at, if known. */
  addressOf(id: NodeId): TcpAddress | undefined {
    return this.#directory.get(id);
  }

  async open(id: NodeId, options: TcpOpenOptions = {}): Promise<TcpEndpoint> {
    throwIfAborted(options.signal);
    assertNodeId(id);
    if (this.#closed) throw new ClosedError('TcpTransport is closed');
    if (this.#endpoints.has(id)) throw new DuplicateNodeError(id);
    const listen = { ...this.#options.listen, ...options.listen };
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
export interface TcpEndpointStats {
  /** Messages received and handed to the inbox. */
  received: number;
  /** Inbound connections accepted (authenticated or not). */
  connectionsAccepted: number;
  /** Inbound connections closed for bad input or a failed handshake. */
  connectionsRejected: number;
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
  readonly #inbound = new Set<Socket>();
  #server: Server | undefined;
  #address: TcpAddress | undefined;
  #closing: Promise<void> | undefined;
  readonly #stats = { received: 0, connectionsAccepted: 0, connectionsRejected: 0 };
  readonly #host: PeerConnectionHost;

  constructor(id: NodeId, options: ResolvedTcpOptions, resolve: (peer: NodeId) => TcpAddress | undefined, onClosed: () => void) {
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
    return { ...this.#stats, droppedOnOverflow: dropped };
  }

  /** @internal Starts the server; resolves with the bound address. */
  listen(address: TcpAddress): Promise<TcpAddress> {
    const { tls } = this.#options;
    const server =
      tls === undefined
        ? createNetServer((socket) => this.#accept(socket))
        : createTlsServer({ ...tls, requestCert: true, rejectUnauthorized: true }, (socket) => this.#accept(socket));
    // A client that fails TLS verification never reaches #accept; report it like any bad peer.
    server.on('tlsClientError', (cause: Error) => {
      this.#stats.connectionsRejected++;
      this.#inbox.reportError(new HandshakeError(`TLS handshake with a client failed: ${cause.message}`, { cause }));
    });
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        server.on('error', (cause) => this.#inbox.reportError(new HandshakeError(`Server error: ${cause.message}`, { cause })));
        const bound = server.address();
        if (bound === null || typeof bound === 'string') {
          reject(new ClosedError('Server has no TCP address'));
          return;
        }
        this.#address = { host: address.host, port: bound.port };
        resolve(this.#address);
      });
    });
  }

  async send(to: NodeId, payload: Uint8Array, options?: AbortOptions): Promise<void> {
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
    const server = this.#server;
    const serverClosed = server === undefined ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.#inbound) socket.destroy();
    this.#inbound.clear();
    await Promise.all([...this.#peers.values()].map((peer) => peer.close(this.#options.closeGraceMs)));
    this.#peers.clear();
    await serverClosed;
  }

  [Symbol.asyncIterator](): AsyncIterator<Envelope> {
    return this.#inbox[Symbol.asyncIterator]();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Serves one inbound connection: challenge, verify HELLO, then receive DATA frames. */
  #accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.#stats.connectionsAccepted++;
    this.#inbound.add(socket);
    socket.setNoDelay(true);
    const serverNonce = newNonce();
    let peer: NodeId | undefined;
    let decoder = new FrameDecoder(MAX_HANDSHAKE_BODY);
    let rejected = false;
    const reject = (error: LatticeError): void => {
      if (rejected) return;
      rejected = true;
      this.#stats.connectionsRejected++;
      this.#inbox.reportError(error);
      socket.destroy();
    };
    const timer = this.#options.timers.setTimeout(() => {
      if (peer === undefined) reject(new HandshakeError(`An inbound connection did not complete the handshake within ${this.#options.handshakeTimeoutMs} ms`));
    }, this.#options.handshakeTimeoutMs);

    socket.on('data', (chunk: Buffer) => {
      if (rejected) return;
      let frames: ReturnType<FrameDecoder['push']>;
      try {
        frames = decoder.push(chunk);
      } catch (error) {
        reject(error as FrameError);
        return;
      }
      for (const frame of frames) {
        if (peer !== undefined && frame.type === FrameType.Data) {
          this.#stats.received++;
          // A small view into a large socket chunk would keep the whole chunk alive: copy those.
          const body = frame.body;
          const payload = body.byteLength < 4096 && body.buffer.byteLength > 2 * body.byteLength ? new Uint8Array(body) : body;
          this.#inbox.deliver({ from: peer, to: this.id, payload });
          continue;
        }
        if (peer !== undefined || frame.type !== FrameType.Hello) {
          reject(new HandshakeError(`Unexpected frame type ${frame.type} ${peer === undefined ? 'before' : 'after'} the handshake`));
          return;
        }
        let hello: ReturnType<typeof decodeHello>;
        try {
          hello = decodeHello(frame.body);
          assertNodeId(hello.from, 'HELLO sender');
        } catch (error) {
          reject(error instanceof HandshakeError ? error : new HandshakeError('Invalid HELLO', { cause: error }));
          return;
        }
        if (hello.to !== this.id) {
          reject(new HandshakeError(`Peer "${hello.from}" wanted node "${hello.to}" but reached "${this.id}"`));
          return;
        }
        if (!proofMatches(helloProof(this.#options.secret, serverNonce, hello.from, hello.to), hello.proof)) {
          reject(new HandshakeError(`Peer claiming to be "${hello.from}" does not hold the cluster secret`));
          return;
        }
        peer = hello.from;
        this.#options.timers.clearTimeout(timer);
        decoder = new FrameDecoder(this.maxMessageSize);
        socket.write(encodeFrame(FrameType.Welcome, welcomeProof(this.#options.secret, hello.clientNonce, this.id, hello.from)));
      }
    });
    socket.on('end', () => {
      try {
        decoder.end();
      } catch (error) {
        reject(error as FrameError);
      }
    });
    socket.on('error', () => {
      // 'close' follows; a reset connection is the peer's business, not an error of ours.
    });
    socket.on('close', () => {
      this.#options.timers.clearTimeout(timer);
      this.#inbound.delete(socket);
    });
    socket.write(encodeFrame(FrameType.Challenge, serverNonce));
  }
}
