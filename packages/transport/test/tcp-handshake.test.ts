import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { type Envelope, type LatticeError, UnsupportedVersionError } from '@lattice/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, type Frame, FrameDecoder, FrameType } from '../src/tcp/frame.js';
import { decodeHello, encodeHello, helloProof, MAX_HANDSHAKE_BODY, newNonce } from '../src/tcp/handshake.js';
import { FrameError, HandshakeError, type TcpEndpoint, TcpTransport, type TcpTransportOptions } from '../src/tcp/index.js';
import { testTls } from './tls-fixture.js';

const secret = 'handshake-secret-0123456789';
const open: TcpTransport[] = [];
const clients: Socket[] = [];
afterEach(async () => {
  for (const socket of clients.splice(0)) socket.destroy();
  await Promise.all(open.splice(0).map((t) => t.close()));
});

const modes = [
  { mode: 'plain', tls: false },
  { mode: 'TLS', tls: true },
] as const;

function transport(options: Partial<TcpTransportOptions> = {}): TcpTransport {
  const t = new TcpTransport({ secret, ...options });
  open.push(t);
  return t;
}

function collectErrors(endpoint: TcpEndpoint): LatticeError[] {
  const errors: LatticeError[] = [];
  endpoint.onError((e) => errors.push(e));
  return errors;
}

function nextMessage(endpoint: TcpEndpoint): Promise<Envelope> {
  return new Promise((resolve) => {
    const off = endpoint.onMessage((m) => {
      off();
      resolve(m);
    });
  });
}

/** Resolves with the payloads of the next `count` messages; rejects with the first error the endpoint reports. */
function nextPayloads(endpoint: TcpEndpoint, count: number): Promise<Uint8Array[]> {
  return new Promise((resolve, reject) => {
    const got: Uint8Array[] = [];
    endpoint.onError(reject);
    endpoint.onMessage((m) => {
      got.push(new Uint8Array(m.payload));
      if (got.length === count) resolve(got);
    });
  });
}

/** Resolves with `promise`, or rejects once `ms` have passed: a bound on how long the test waits, not a wait for behaviour. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

interface RawClient {
  socket: Socket;
  /** Resolves once the socket is connected: TCP; or, when `secure`, TLS and the server's CHALLENGE. */
  connected: Promise<number>;
  /** Resolves with the time the socket closed; nothing in these tests closes a client but the server (or afterEach). */
  closed: Promise<number>;
}

/**
 * A client socket that speaks nothing until told: plain TCP, or (`secure`) a client that
 * completes TLS with the cluster's certificate if `tls`, receives the CHALLENGE and stops there.
 */
function rawClient(endpoint: TcpEndpoint, { secure = false, tls = false } = {}): RawClient {
  const port = endpoint.address!.port;
  const socket = secure && tls ? tlsConnect({ host: '127.0.0.1', port, ...testTls().node }) : netConnect({ host: '127.0.0.1', port });
  clients.push(socket);
  socket.on('error', () => undefined);
  // Data flows (and is discarded), so 'close' can fire; the first chunk a secure client gets is the CHALLENGE.
  socket.resume();
  const connected = new Promise<number>((resolve) => socket.once(secure ? 'data' : 'connect', () => resolve(performance.now())));
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
  return { socket, connected, closed };
}

/** Reads frames from a socket speaking the protocol; `next()` resolves with the next one, or rejects once the socket closed. */
function frameReader(socket: Socket): () => Promise<Frame> {
  const decoder = new FrameDecoder(MAX_HANDSHAKE_BODY);
  const ready: Frame[] = [];
  const waiting: { resolve: (frame: Frame) => void; reject: (error: Error) => void }[] = [];
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) {
      const waiter = waiting.shift();
      if (waiter) waiter.resolve(frame);
      else ready.push(frame);
    }
  });
  socket.on('close', () => {
    closed = true;
    for (const waiter of waiting.splice(0)) waiter.reject(new Error('The server closed the connection'));
  });
  return () => {
    const frame = ready.shift();
    if (frame) return Promise.resolve(frame);
    if (closed) return Promise.reject(new Error('The server closed the connection'));
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  };
}

/** A client that speaks the protocol by hand: connects, reads the CHALLENGE, and can build its HELLO. */
async function protocolClient(server: TcpEndpoint, tls: boolean, from = 'hand') {
  const port = server.address!.port;
  const socket = tls ? tlsConnect({ host: '127.0.0.1', port, ...testTls().node }) : netConnect({ host: '127.0.0.1', port });
  clients.push(socket);
  socket.on('error', () => undefined);
  const next = frameReader(socket);
  const challenge = await next();
  expect(challenge.type).toBe(FrameType.Challenge);
  const hello = encodeFrame(
    FrameType.Hello,
    encodeHello({ from, to: server.id, clientNonce: newNonce(), proof: helloProof(new TextEncoder().encode(secret), challenge.body, from, server.id) }),
  );
  return { socket, next, hello };
}

function payloadOf(size: number, seed: number): Uint8Array {
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 31 + seed) & 0xff;
  return payload;
}

describe('FrameDecoder limit switch', () => {
  it('keeps every buffered byte when the body limit is raised after the first frame, however the stream is split (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }),
        (hello, bodies, cuts) => {
          const stream = Buffer.concat([encodeFrame(FrameType.Hello, hello), ...bodies.map((b) => encodeFrame(FrameType.Data, b))]);
          // The handshake limit is below most bodies: a body checked against it would be refused.
          const decoder = new FrameDecoder(64);
          const out: Frame[] = [];
          let offset = 0;
          for (let i = 0; offset < stream.byteLength; i++) {
            const size = cuts[i % cuts.length]!;
            decoder.append(stream.subarray(offset, offset + size));
            offset += size;
            for (let frame = decoder.next(); frame !== undefined; frame = decoder.next()) {
              out.push({ type: frame.type, body: Buffer.from(frame.body) });
              if (frame.type === FrameType.Hello) decoder.maxBody = 1_000;
            }
          }
          decoder.end();
          expect(out.map((f) => [f.type, [...f.body]])).toEqual([
            [FrameType.Hello, [...hello]],
            ...bodies.map((b) => [FrameType.Data, [...b]]),
          ]);
        },
      ),
    );
  });
});

describe.each(modes)('TcpTransport handshake deadline and close ($mode)', ({ tls }) => {
  it('closes silent sockets, garbage in place of a ClientHello/HELLO and a client stalled after TLS within handshakeTimeoutMs', { timeout: 20_000 }, async () => {
    const handshakeTimeoutMs = 200;
    const t = transport({ handshakeTimeoutMs, ...(tls ? { tls: testTls().node } : {}) });
    const server = await t.open('server');
    const errors = collectErrors(server);
    const silent = Array.from({ length: 200 }, () => rawClient(server));
    const garbage = rawClient(server);
    // Not a ClientHello (nor a frame header that ever completes): bytes a port scanner might send.
    void garbage.connected.then(() => garbage.socket.write(Buffer.from('\u0000\u0000\u0010\u0000GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1')));
    const stalled = rawClient(server, { secure: true, tls }); // it gets the CHALLENGE (after TLS, in TLS mode) and never answers
    const all = [...silent, garbage, stalled];

    const lifetimes = await within(
      Promise.all(all.map(async (c) => (await c.closed) - (await c.connected))),
      handshakeTimeoutMs + 5_000,
      'the server closing connections stuck in the handshake',
    );
    // Far below what a missing deadline means (Node's own TLS timeout is 120 s, and it leaves the socket open).
    expect(Math.max(...lifetimes)).toBeLessThan(handshakeTimeoutMs + 3_000);
    expect(server.stats.connectionsAccepted).toBe(all.length);
    expect(server.stats.connectionsRejected).toBe(all.length);
    expect(errors.length).toBe(all.length);
    expect(errors.every((e) => e.code === HandshakeError.code || e.code === FrameError.code)).toBe(true);
    expect(errors.filter((e) => /within 200 ms/.test(e.message)).length).toBeGreaterThanOrEqual(silent.length);

    // Nothing of this disturbed the server: a real peer still gets through.
    const client = await t.open('client');
    const received = nextMessage(server);
    await client.send('server', new TextEncoder().encode('after the storm'));
    expect(new TextDecoder().decode((await received).payload)).toBe('after the storm');
  });

  it('close() destroys sockets still in any handshake stage and resolves promptly while they stay connected', { timeout: 20_000 }, async () => {
    const t = transport({ handshakeTimeoutMs: 60_000, ...(tls ? { tls: testTls().node } : {}) });
    const server = await t.open('server');
    const silent = Array.from({ length: 200 }, () => rawClient(server));
    const partial = rawClient(server);
    // The first bytes of a TLS record (handshake, TLS 1.0 header) or of a frame: the server must wait for more.
    void partial.connected.then(() => partial.socket.write(Buffer.from([0x16, 0x03, 0x01])));
    await Promise.all([...silent, partial].map((c) => c.connected));
    const stalled = rawClient(server, { secure: true, tls });
    await stalled.connected;
    const all = [...silent, partial, stalled];
    // The server takes every connection in its accept queue in one go: the last one served means all are in.
    const acceptedBeforeClose = server.stats.connectionsAccepted;

    const started = performance.now();
    await within(server.close(), 3_000, 'close() with clients still in the handshake');
    expect(performance.now() - started).toBeLessThan(3_000);
    await within(Promise.all(all.map((c) => c.closed)), 3_000, 'the server closing the clients');
    expect(acceptedBeforeClose).toBe(all.length);
  });
});

describe('TcpTransport failed TLS handshakes (TLS)', () => {
  it('closes a connection whose TLS handshake failed at once and reports it as ERR_HANDSHAKE, long before the handshake deadline', { timeout: 20_000 }, async () => {
    const handshakeTimeoutMs = 30_000;
    const t = transport({ handshakeTimeoutMs, tls: testTls().node });
    const server = await t.open('server');
    const errors = collectErrors(server);
    const port = server.address!.port;
    const track = (socket: Socket): Promise<number> => {
      clients.push(socket);
      socket.on('error', () => undefined);
      socket.resume();
      return new Promise((resolve) => socket.once('close', () => resolve(performance.now())));
    };
    const started = performance.now();
    // Not a ClientHello: the TLS layer fails on the first record.
    const garbage = netConnect({ host: '127.0.0.1', port });
    garbage.once('connect', () => garbage.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1')));
    // A client certificate from another CA, and no client certificate at all: the server refuses both.
    const { key, cert } = testTls().stranger;
    const stranger = tlsConnect({ host: '127.0.0.1', port, key, cert, ca: testTls().node.ca });
    const anonymous = tlsConnect({ host: '127.0.0.1', port, ca: testTls().node.ca });
    const closed = [garbage, stranger, anonymous].map(track);

    const times = await within(Promise.all(closed), 5_000, 'the server closing connections whose TLS handshake failed');
    // The deadline is 30 s away: only the failed handshake itself can close these this soon.
    expect(Math.max(...times) - started).toBeLessThan(3_000);
    expect(server.stats.connectionsAccepted).toBe(3);
    expect(server.stats.connectionsRejected).toBe(3);
    expect(errors.map((e) => e.code)).toEqual([HandshakeError.code, HandshakeError.code, HandshakeError.code]);
    expect(errors.some((e) => /within/.test(e.message))).toBe(false);
  });
});

describe('HELLO versions', () => {
  const hello = (v: unknown) => Buffer.from(JSON.stringify({ ...JSON.parse(encodeHello({ from: 'a', to: 'b', clientNonce: newNonce(), proof: Buffer.alloc(32) }).toString()), v }));

  it('a HELLO of a newer protocol version is a HandshakeError caused by an UnsupportedVersionError', () => {
    let error: unknown;
    try {
      decodeHello(hello(2));
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: HandshakeError.code, cause: { code: UnsupportedVersionError.code, version: 2, supported: 1 } });
  });

  it('a HELLO of version 0 or a version that is not a number is a plain HandshakeError', () => {
    for (const v of [0, '1', null]) {
      let error: { code?: string; cause?: unknown } | undefined;
      try {
        decodeHello(hello(v));
      } catch (caught) {
        error = caught as typeof error;
      }
      expect(error?.code).toBe(HandshakeError.code);
      expect(error?.cause).toBeUndefined();
    }
    expect(decodeHello(hello(1)).from).toBe('a');
  });
});

describe.each(modes)('TcpTransport keeps bytes that arrive with the HELLO ($mode)', ({ tls }) => {
  it('delivers a frame whose first bytes came in the same write as the HELLO', async () => {
    const t = transport(tls ? { tls: testTls().node } : {});
    const server = await t.open('server');
    const { socket, next, hello } = await protocolClient(server, tls);
    const payload = payloadOf(100, 1);
    const frame = encodeFrame(FrameType.Data, payload);
    const received = nextPayloads(server, 1);
    socket.write(Buffer.concat([hello, frame.subarray(0, 7)])); // the header and two body bytes
    expect((await next()).type).toBe(FrameType.Welcome);
    socket.write(frame.subarray(7));
    expect((await received).map((p) => [...p])).toEqual([[...payload]]);
  });

  it('delivers complete and partial frames behind the HELLO, also larger than the handshake limit', async () => {
    const t = transport(tls ? { tls: testTls().node } : {});
    const server = await t.open('server');
    const { socket, next, hello } = await protocolClient(server, tls);
    const payloads = [payloadOf(5, 2), payloadOf(3 * MAX_HANDSHAKE_BODY, 3), payloadOf(20_000, 4)];
    const frames = Buffer.concat(payloads.map((p) => encodeFrame(FrameType.Data, p)));
    const received = nextPayloads(server, payloads.length);
    // HELLO, the small frame, the large one whole and the start of the last, in one write.
    const split = 5 + payloads[0]!.byteLength + 5 + payloads[1]!.byteLength + 1_000;
    socket.write(Buffer.concat([hello, frames.subarray(0, split)]));
    expect((await next()).type).toBe(FrameType.Welcome);
    socket.write(frames.subarray(split));
    expect((await received).map((p) => [...p])).toEqual(payloads.map((p) => [...p]));
  });
});
