import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Random, TimerHandle, Timers } from '@lattice/core';
import { ConnectionError, type FrameError, HandshakeError, SendQueueFullError } from './errors.js';
import { encodeFrame, FrameDecoder, FrameType, frameHeader } from './frame.js';
import { encodeHello, helloProof, MAX_HANDSHAKE_BODY, newNonce, proofMatches, welcomeProof } from './handshake.js';
import type { ResolvedTcpOptions, TcpAddress } from './options.js';

/** What a {@link PeerConnection} needs from its endpoint. */
export interface PeerConnectionHost {
  readonly id: string;
  readonly options: ResolvedTcpOptions;
  readonly timers: Timers;
  readonly random: Random;
  resolve(peer: string): TcpAddress | undefined;
  report(error: ConnectionError | HandshakeError | FrameError | SendQueueFullError): void;
}

type State = 'idle' | 'connecting' | 'ready' | 'backoff' | 'closed';

/**
 * The outbound half of one link: a queue of frames for one peer, and the socket that carries
 * them. Connects lazily on the first send, authenticates, flushes the queue, and on failure
 * reconnects with jittered exponential backoff while messages wait. Frames already written to
 * a socket that then dies are lost (at most once); frames still queued survive the reconnect.
 */
export class PeerConnection {
  readonly peer: string;
  readonly #host: PeerConnectionHost;
  #state: State = 'idle';
  #socket: Socket | undefined;
  // Header and payload are queued as two buffers so large payloads are never copied.
  #queue: Uint8Array[] = [];
  #attempt = 0;
  #retry: TimerHandle | undefined;
  #handshakeTimer: TimerHandle | undefined;
  #address: TcpAddress | undefined;
  #flushScheduled = false;
  /** Messages dropped by the overflow policy. */
  dropped = 0;

  constructor(peer: string, host: PeerConnectionHost) {
    this.peer = peer;
    this.#host = host;
  }

  /** Queues a payload; connects if needed. Throws `SendQueueFullError` under the "reject" policy. */
  enqueue(payload: Uint8Array): void {
    const { sendQueueLimit, overflow } = this.#host.options;
    if (this.#queue.length >= 2 * sendQueueLimit) {
      if (overflow === 'reject') throw new SendQueueFullError(this.peer, sendQueueLimit);
      this.#queue.splice(0, 2);
      this.dropped++;
      this.#host.report(new SendQueueFullError(this.peer, sendQueueLimit));
    }
    this.#queue.push(frameHeader(FrameType.Data, payload.byteLength), payload);
    const address = this.#host.resolve(this.peer);
    if (this.#state === 'ready' && address !== undefined && sameAddress(address, this.#address)) this.#scheduleFlush();
    else if (this.#state === 'ready') this.#reset(); // the peer moved (restarted elsewhere): reconnect to the new address
    else if (this.#state === 'idle') this.#connect();
  }

  /** Messages waiting to be written. */
  get queued(): number {
    return this.#queue.length / 2;
  }

  /** Flushes what it can within `graceMs`, then closes the socket. */
  async close(graceMs: number): Promise<void> {
    if (this.#state === 'closed') return;
    const socket = this.#socket;
    const wasReady = this.#state === 'ready';
    this.#state = 'closed';
    this.#clearTimers();
    this.#queue = [];
    if (socket === undefined) return;
    if (!wasReady) {
      socket.destroy();
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = this.#host.timers.setTimeout(() => {
        socket.destroy();
        resolve();
      }, graceMs);
      socket.once('close', () => {
        this.#host.timers.clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
  }

  #connect(): void {
    const address = this.#host.resolve(this.peer);
    if (address === undefined) {
      this.#queue = [];
      this.#state = 'idle';
      return;
    }
    this.#address = address;
    this.#state = 'connecting';
    const { tls } = this.#host.options;
    const socket =
      tls === undefined
        ? netConnect({ host: address.host, port: address.port, noDelay: true })
        : tlsConnect({ host: address.host, port: address.port, ...tls, ...serverName(tls.servername, address.host) });
    socket.setNoDelay(true);
    this.#socket = socket;
    const decoder = new FrameDecoder(MAX_HANDSHAKE_BODY);
    const clientNonce = newNonce();
    let welcomed = false;
    this.#handshakeTimer = this.#host.timers.setTimeout(() => {
      this.#fail(socket, new HandshakeError(`Handshake with "${this.peer}" timed out after ${this.#host.options.handshakeTimeoutMs} ms`));
    }, this.#host.options.handshakeTimeoutMs);

    socket.on('data', (chunk: Buffer) => {
      if (welcomed) return; // The server never sends after WELCOME; ignore rather than trust.
      let frames: ReturnType<FrameDecoder['push']>;
      try {
        frames = decoder.push(chunk);
      } catch (error) {
        this.#fail(socket, error as FrameError);
        return;
      }
      for (const frame of frames) {
        if (frame.type === FrameType.Challenge && frame.body.byteLength === clientNonce.byteLength) {
          const proof = helloProof(this.#host.options.secret, frame.body, this.#host.id, this.peer);
          socket.write(encodeFrame(FrameType.Hello, encodeHello({ from: this.#host.id, to: this.peer, clientNonce, proof })));
        } else if (frame.type === FrameType.Welcome) {
          const expected = welcomeProof(this.#host.options.secret, clientNonce, this.peer, this.#host.id);
          if (!proofMatches(expected, frame.body)) {
            this.#fail(socket, new HandshakeError(`Peer at ${address.host}:${address.port} could not prove it is "${this.peer}" of this cluster`));
            return;
          }
          welcomed = true;
          this.#ready();
        } else {
          this.#fail(socket, new HandshakeError(`Unexpected frame type ${frame.type} during the handshake with "${this.peer}"`));
          return;
        }
      }
    });
    socket.on('error', (cause) => {
      if (this.#socket === socket && this.#state !== 'closed') {
        this.#fail(socket, new ConnectionError(this.peer, `Connection to "${this.peer}" at ${address.host}:${address.port} failed: ${cause.message}`, { cause }));
      }
    });
    socket.on('close', () => {
      if (this.#socket !== socket || this.#state === 'closed') return;
      if (welcomed) {
        this.#fail(socket, new ConnectionError(this.peer, `Connection to "${this.peer}" at ${address.host}:${address.port} closed`));
      } else {
        // A server that hangs up mid-handshake refused us: a wrong secret or node id, or a TLS rejection.
        this.#fail(socket, new HandshakeError(`"${this.peer}" at ${address.host}:${address.port} closed the connection during the handshake (wrong cluster secret, node id or certificate?)`));
      }
    });
  }

  #ready(): void {
    if (this.#handshakeTimer !== undefined) this.#host.timers.clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    this.#state = 'ready';
    this.#attempt = 0;
    this.#flush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // Coalesce every frame queued in this turn into one write: small messages share a syscall.
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    const socket = this.#socket;
    if (this.#state !== 'ready' || socket === undefined || this.#queue.length === 0) return;
    const buffers = this.#queue;
    this.#queue = [];
    // Corked writes leave as one writev: small messages share a syscall, large ones are not copied.
    socket.cork();
    for (const buffer of buffers) socket.write(buffer);
    socket.uncork();
  }

  #fail(socket: Socket, error: ConnectionError | HandshakeError | FrameError): void {
    if (this.#socket !== socket || this.#state === 'closed') return;
    // Report the first failure of a streak; the retries that follow would only repeat it.
    if (this.#attempt === 0) this.#host.report(error);
    this.#lost(socket);
  }

  #lost(socket: Socket): void {
    socket.destroy();
    this.#clearTimers();
    this.#socket = undefined;
    if (this.#queue.length === 0) {
      this.#state = 'idle';
      return;
    }
    this.#state = 'backoff';
    const { initialDelayMs, maxDelayMs, jitter } = this.#host.options.reconnect;
    const base = Math.min(maxDelayMs, initialDelayMs * 2 ** this.#attempt);
    this.#attempt++;
    const delay = base * (1 - jitter * this.#host.random.next());
    this.#retry = this.#host.timers.setTimeout(() => {
      this.#retry = undefined;
      if (this.#state === 'backoff') this.#connect();
    }, delay);
  }

  #reset(): void {
    const socket = this.#socket;
    this.#clearTimers();
    this.#socket = undefined;
    socket?.destroy();
    this.#state = 'idle';
    this.#attempt = 0;
    this.#connect();
  }

  #clearTimers(): void {
    if (this.#retry !== undefined) this.#host.timers.clearTimeout(this.#retry);
    if (this.#handshakeTimer !== undefined) this.#host.timers.clearTimeout(this.#handshakeTimer);
    this.#retry = undefined;
    this.#handshakeTimer = undefined;
  }
}

/**
 * SNI carries host names only (RFC 6066): for an IP address none is sent, and Node checks the
 * certificate against the IP itself.
 */
function serverName(configured: string | undefined, host: string): { servername?: string } {
  const name = configured ?? (isIP(host) === 0 ? host : undefined);
  return name === undefined ? {} : { servername: name };
}

function sameAddress(a: TcpAddress, b: TcpAddress | undefined): boolean {
  return b !== undefined && a.host === b.host && a.port === b.port;
}
