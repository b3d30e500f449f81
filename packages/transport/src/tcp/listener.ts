import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { Server as TlsServer, type TLSSocket } from 'node:tls';
import { assertNodeId, ClosedError, type Envelope, type LatticeError, type NodeId, type TimerHandle } from '@lattice/core';
import { type FrameError, HandshakeError } from './errors.js';
import { encodeFrame, FrameDecoder, FrameType } from './frame.js';
import { decodeHello, helloProof, MAX_HANDSHAKE_BODY, newNonce, proofMatches, welcomeProof } from './handshake.js';
import type { ResolvedTcpOptions, TcpAddress } from './options.js';

/** Counters of the inbound half of an endpoint. */
export interface InboundStats {
  /** Messages received and handed on. */
  received: number;
  /** Inbound connections accepted (authenticated or not). */
  connectionsAccepted: number;
  /** Inbound connections closed for bad input, a failed TLS or HMAC handshake, or a handshake timeout. */
  connectionsRejected: number;
}

/** What a {@link TcpListener} needs from its endpoint. */
export interface ListenerHost {
  readonly id: NodeId;
  readonly options: ResolvedTcpOptions;
  deliver(message: Envelope): void;
  report(error: LatticeError): void;
}

/**
 * The inbound half of an endpoint: the listening server and every connection it accepted,
 * from the first byte to the last, whatever stage each is in.
 *
 * A connection passes two handshakes before its frames count: TLS (when configured), then
 * the HMAC challenge/response. One deadline, `handshakeTimeoutMs` from the moment TCP
 * accepted the connection, covers both: a client that never starts TLS, stalls inside it, or
 * stalls afterwards is destroyed when it runs out, so silent sockets cannot pile up. Every
 * accepted socket is tracked until it closes, so `close()` can destroy them all and does not
 * wait on clients that never finish.
 *
 * TLS runs on an unlistening `tls.Server` that the plain server hands each raw socket to
 * (Node's documented way to inject connections). That keeps verification of client
 * certificates in Node's hands, and keeps the raw socket here, where a deadline and `close()`
 * can reach it before the TLS handshake is done.
 */
export class TcpListener {
  readonly stats: InboundStats = { received: 0, connectionsAccepted: 0, connectionsRejected: 0 };
  readonly #host: ListenerHost;
  readonly #server: Server;
  readonly #tls: TlsServer | undefined;
  readonly #connections = new Set<InboundConnection>();
  /** Connections inside their TLS handshake, by TCP 4-tuple: how a secured TLS socket finds its connection. */
  readonly #inTls = new Map<string, InboundConnection>();
  #closing: Promise<void> | undefined;
  readonly #connectionHost: ConnectionHost;

  constructor(host: ListenerHost) {
    this.#host = host;
    this.#connectionHost = {
      id: host.id,
      options: host.options,
      stats: this.stats,
      deliver: (message) => host.deliver(message),
      report: (error) => this.#report(error),
    };
    this.#server = createNetServer((socket) => this.#accept(socket));
    const { tls } = host.options;
    if (tls !== undefined) {
      // handshakeTimeout 0: Node's own timeout only emits tlsClientError and leaves the socket
      // open (and is reset by every byte); the connection's deadline does the job instead.
      this.#tls = new TlsServer({ ...tls, requestCert: true, rejectUnauthorized: true, handshakeTimeout: 0 });
      this.#tls.on('secureConnection', (socket: TLSSocket) => this.#secured(socket));
      this.#tls.on('tlsClientError', (cause: Error, socket: TLSSocket) => this.#tlsFailed(cause, socket));
    }
  }

  /** True once `close()` has been called. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /** Starts the server; resolves with the bound address. */
  listen(address: TcpAddress): Promise<TcpAddress> {
    const server = this.#server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        server.on('error', (cause) => this.#report(new HandshakeError(`Server error: ${cause.message}`, { cause })));
        const bound = server.address();
        if (bound === null || typeof bound === 'string') {
          reject(new ClosedError('Server has no TCP address'));
          return;
        }
        resolve({ host: address.host, port: bound.port });
      });
    });
  }

  /**
   * Stops accepting and destroys every inbound socket, authenticated or still in a handshake.
   * Resolves when the server has closed, which no longer depends on what clients do.
   */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      for (const connection of this.#connections) connection.destroy();
      this.#inTls.clear();
    });
    return this.#closing;
  }

  #accept(raw: Socket): void {
    if (this.closing) {
      raw.destroy();
      return;
    }
    this.stats.connectionsAccepted++;
    raw.setNoDelay(true);
    raw.on('error', () => {
      // 'close' follows; a reset connection is the peer's business, not an error of ours.
    });
    const key = this.#tls === undefined ? undefined : tupleOf(raw);
    const connection = new InboundConnection(raw, this.#connectionHost);
    this.#connections.add(connection);
    raw.on('close', () => {
      this.#connections.delete(connection);
      if (key !== undefined && this.#inTls.get(key) === connection) this.#inTls.delete(key);
      connection.closed();
    });
    if (this.#tls === undefined) {
      connection.authenticate(raw);
      return;
    }
    if (key === undefined) {
      // Reset before we could even look at it: nothing to serve, nothing to report.
      connection.destroy();
      return;
    }
    // A 4-tuple is unique among live connections; one still listed belongs to a socket that is gone.
    this.#inTls.get(key)?.destroy();
    this.#inTls.set(key, connection);
    this.#tls.emit('connection', raw);
  }

  #secured(socket: TLSSocket): void {
    const key = tupleOf(socket);
    const connection = key === undefined ? undefined : this.#inTls.get(key);
    if (key !== undefined && connection !== undefined) this.#inTls.delete(key);
    if (connection === undefined || connection.settled) {
      socket.destroy();
      return;
    }
    connection.authenticate(socket);
  }

  #tlsFailed(cause: Error, socket: TLSSocket): void {
    const key = tupleOf(socket);
    // Node leaves some failed TLS sockets open (a timeout, for one): never keep one.
    socket.destroy();
    const connection = key === undefined ? undefined : this.#inTls.get(key);
    // A socket Node already destroyed has no address left to find its connection by; its raw
    // socket's 'close' reports it instead (InboundConnection.closed).
    connection?.reject(new HandshakeError(`TLS handshake with a client failed: ${cause.message}`, { cause }));
  }

  #report(error: LatticeError): void {
    // Sockets destroyed by close() fail on their way out; that is not news to the caller.
    if (!this.closing) this.#host.report(error);
  }
}

interface ConnectionHost {
  readonly id: NodeId;
  readonly options: ResolvedTcpOptions;
  readonly stats: InboundStats;
  deliver(message: Envelope): void;
  report(error: LatticeError): void;
}

/**
 * One accepted connection: TLS (when configured), then the challenge/response, then DATA
 * frames. One decoder serves the connection from the HELLO on, so bytes of a frame that
 * arrive in the same chunk as the HELLO are kept; the body limit is raised between the two.
 */
class InboundConnection {
  readonly #raw: Socket;
  readonly #host: ConnectionHost;
  /** The socket frames travel on: the raw socket, or the TLS socket once TLS is up; undefined while in TLS. */
  #socket: Socket | undefined;
  #peer: NodeId | undefined;
  #deadline: TimerHandle | undefined;
  #decoder: FrameDecoder | undefined;
  #serverNonce: Buffer | undefined;
  /** Rejected, destroyed or closed: nothing more is read from it or reported about it. */
  settled = false;

  constructor(raw: Socket, host: ConnectionHost) {
    this.#raw = raw;
    this.#host = host;
    const { timers, handshakeTimeoutMs } = host.options;
    this.#deadline = timers.setTimeout(() => {
      this.#deadline = undefined;
      if (this.#peer !== undefined) return;
      const stage = this.#socket === undefined ? 'the TLS handshake' : 'the challenge/response';
      this.reject(new HandshakeError(`An inbound connection did not complete the handshake within ${handshakeTimeoutMs} ms (stalled in ${stage})`));
    }, handshakeTimeoutMs);
  }

  /** Starts the challenge/response on `socket` (the raw socket, or the TLS socket once TLS is up). */
  authenticate(socket: Socket): void {
    if (this.settled) {
      socket.destroy();
      return;
    }
    this.#socket = socket;
    if (socket !== this.#raw) socket.on('error', () => undefined); // as for the raw socket: 'close' follows
    this.#decoder = new FrameDecoder(MAX_HANDSHAKE_BODY);
    this.#serverNonce = newNonce();
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('end', () => {
      try {
        this.#decoder?.end();
      } catch (error) {
        this.reject(error as FrameError);
      }
    });
    socket.write(encodeFrame(FrameType.Challenge, this.#serverNonce));
  }

  /** Closes the connection for bad input or a failed handshake, and reports why (once). */
  reject(error: LatticeError): void {
    if (this.settled) return;
    this.#host.stats.connectionsRejected++;
    this.#host.report(error);
    this.destroy();
  }

  /** Destroys every socket of this connection, whatever stage it is in, without reporting. */
  destroy(): void {
    this.settled = true;
    this.#clearDeadline();
    if (this.#socket !== undefined && this.#socket !== this.#raw) this.#socket.destroy();
    this.#raw.destroy();
  }

  /** The raw socket closed. */
  closed(): void {
    this.#clearDeadline();
    if (!this.settled && this.#socket === undefined) {
      // It ended inside the TLS handshake, and Node had no live socket left to tell us why by.
      this.reject(
        new HandshakeError('A client closed the connection before its TLS handshake completed (its certificate was refused or missing, it did not speak TLS, or it hung up)'),
      );
    }
    this.settled = true;
  }

  #receive(chunk: Buffer): void {
    const decoder = this.#decoder;
    if (this.settled || decoder === undefined) return;
    decoder.append(chunk);
    for (;;) {
      let frame: ReturnType<FrameDecoder['next']>;
      try {
        frame = decoder.next();
      } catch (error) {
        this.reject(error as FrameError);
        return;
      }
      // A handler may have closed the endpoint while the previous frame was delivered.
      if (frame === undefined || this.settled) return;
      const peer = this.#peer;
      if (peer !== undefined && frame.type === FrameType.Data) {
        this.#host.stats.received++;
        // A small view into a large socket chunk would keep the whole chunk alive: copy those.
        const body = frame.body;
        const payload = body.byteLength < 4096 && body.buffer.byteLength > 2 * body.byteLength ? new Uint8Array(body) : body;
        this.#host.deliver({ from: peer, to: this.#host.id, payload });
        continue;
      }
      if (peer !== undefined || frame.type !== FrameType.Hello) {
        this.reject(new HandshakeError(`Unexpected frame type ${frame.type} ${peer === undefined ? 'before' : 'after'} the handshake`));
        return;
      }
      if (!this.#welcome(frame.body, decoder)) return;
    }
  }

  /** Verifies a HELLO; on success answers WELCOME and lets DATA frames in. */
  #welcome(body: Buffer, decoder: FrameDecoder): boolean {
    const { id, options } = this.#host;
    let hello: ReturnType<typeof decodeHello>;
    try {
      hello = decodeHello(body);
      assertNodeId(hello.from, 'HELLO sender');
    } catch (error) {
      this.reject(error instanceof HandshakeError ? error : new HandshakeError('Invalid HELLO', { cause: error }));
      return false;
    }
    if (hello.to !== id) {
      this.reject(new HandshakeError(`Peer "${hello.from}" wanted node "${hello.to}" but reached "${id}"`));
      return false;
    }
    if (!proofMatches(helloProof(options.secret, this.#serverNonce!, hello.from, hello.to), hello.proof)) {
      this.reject(new HandshakeError(`Peer claiming to be "${hello.from}" does not hold the cluster secret`));
      return false;
    }
    this.#peer = hello.from;
    this.#clearDeadline();
    // Raised in place: bytes of the first messages may already be buffered behind the HELLO.
    decoder.maxBody = options.maxMessageSize;
    this.#socket!.write(encodeFrame(FrameType.Welcome, welcomeProof(options.secret, hello.clientNonce, id, hello.from)));
    return true;
  }

  #clearDeadline(): void {
    if (this.#deadline !== undefined) this.#host.options.timers.clearTimeout(this.#deadline);
    this.#deadline = undefined;
  }
}

/** The TCP 4-tuple of a live socket; undefined once it has no peer address (reset or destroyed). */
function tupleOf(socket: Socket): string | undefined {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  if (remoteAddress === undefined || remotePort === undefined) return undefined;
  return `${remoteAddress}|${remotePort}|${localAddress}|${localPort}`;
}
