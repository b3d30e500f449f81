import { ClosedError, type Envelope, InvalidArgumentError, isLatticeError, type LatticeError, MessageTooLargeError, sleep, systemClock, systemTimers, UnknownPeerError } from '@lattice/core';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { describeWithService } from '@lattice/test-kit/vitest';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { NatsConnectionError, type NatsEndpoint, NatsMessageError, NatsTransport, type NatsTransportOptions, subjectToken } from '../src/nats/index.js';
import { MessageDecoder, senderHeader } from '../src/nats/wire-format.js';

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

const open: NatsTransport[] = [];
const clients: NatsConnection[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

function transport(options: NatsTransportOptions): NatsTransport {
  const t = new NatsTransport(options);
  open.push(t);
  return t;
}

async function client(url: string): Promise<NatsConnection> {
  const c = await connect({ servers: url });
  clients.push(c);
  return c;
}

function nextMessage(endpoint: NatsEndpoint): Promise<Envelope> {
  return new Promise((resolve) => {
    const off = endpoint.onMessage((m) => {
      off();
      resolve(m);
    });
  });
}

function nextError(endpoint: NatsEndpoint, code: string): Promise<LatticeError> {
  return new Promise((resolve) => {
    const off = endpoint.onError((e) => {
      if (e.code !== code) return;
      off();
      resolve(e);
    });
  });
}

/** Polls `condition` (real I/O: a server restart, a route to settle) until it holds or `timeoutMs` passes. */
async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = systemClock.monotonic() + timeoutMs;
  while (!(await condition())) {
    if (systemClock.monotonic() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(systemTimers, 20);
  }
}

/** Sends `text` until one copy arrives: across a reconnect, messages sent while disconnected may be lost. */
async function deliverEventually(from: NatsEndpoint, to: NatsEndpoint, text: string, timeoutMs: number): Promise<Envelope> {
  let got: Envelope | undefined;
  const off = to.onMessage((m) => {
    if (decode(m.payload) === text) got = m;
  });
  try {
    await eventually(
      async () => {
        if (got === undefined) await from.send(to.id, encode(text)).catch(() => undefined);
        return got !== undefined;
      },
      timeoutMs,
      `"${text}" from ${from.id} to ${to.id}`,
    );
    return got!;
  } finally {
    off();
  }
}

describe('subject tokens', () => {
  /** The inverse of `subjectToken`, to show no two strings share a token. */
  function untoken(token: string): string {
    const bytes: number[] = [];
    for (let i = 0; i < token.length; i++) {
      if (token[i] === '_') {
        bytes.push(Number.parseInt(token.slice(i + 1, i + 3), 16));
        i += 2;
      } else bytes.push(token.charCodeAt(i));
    }
    return new TextDecoder().decode(new Uint8Array(bytes));
  }

  it('escapes any string into one valid token that maps back to it (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), (value) => {
        const token = subjectToken(value);
        expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(untoken(token)).toBe(value);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps plain ids as they are and escapes dots, wildcards, spaces and underscores', () => {
    expect(subjectToken('node-1')).toBe('node-1');
    expect(subjectToken('db.eu/1')).toBe('db_2Eeu_2F1');
    expect(subjectToken('a*b>c d')).toBe('a_2Ab_3Ec_20d');
    expect(subjectToken('_probe')).toBe('_5Fprobe');
    expect(subjectToken('é')).toBe('_C3_A9');
  });
});

describe('message header', () => {
  it('decodes what it encodes and rejects every truncation of it', () => {
    const decoder = new MessageDecoder();
    const header = senderHeader('sender-ü');
    const message = new Uint8Array([...header, 1, 2, 3]);
    const decoded = decoder.decode(message);
    expect(decoded).toEqual({ from: 'sender-ü', payload: new Uint8Array([1, 2, 3]) });
    for (let length = 0; length < header.byteLength; length++) expect('problem' in decoder.decode(message.subarray(0, length))).toBe(true);
  });
});

describe('NatsTransport arguments', () => {
  it('refuses bad options with InvalidArgumentError where they are passed', () => {
    const bad: unknown[] = [
      { subjectPrefix: 'a.*' },
      { subjectPrefix: '' },
      { subjectPrefix: 'a..b' },
      { cluster: '' },
      { maxMessageSize: 0 },
      { probeTimeoutMs: Number.NaN },
      { connection: {} },
      { peers: 'a' },
      { peers: [''] },
      { connect: 'nats://x' },
    ];
    for (const options of bad) {
      let error: unknown;
      try {
        new NatsTransport(options as NatsTransportOptions);
      } catch (e) {
        error = e;
      }
      expect(isLatticeError(error, InvalidArgumentError.code), JSON.stringify(options)).toBe(true);
    }
  });

  it('open rejects with NatsConnectionError when no server answers', async () => {
    const t = transport({ connect: { servers: 'nats://127.0.0.1:1', maxReconnectAttempts: 0 } });
    const error = await t.open('a').catch((e: unknown) => e);
    expect(isLatticeError(error, NatsConnectionError.code)).toBe(true);
  });
});

describeWithService('nats', 'NatsTransport on one server', (nats) => {
  it('isolates two clusters sharing a server by their subjects', async () => {
    const x = transport({ cluster: 'x', connect: { servers: nats().url } });
    const y = transport({ cluster: 'y', connect: { servers: nats().url } });
    const [xa, xb, xc] = [await x.open('a'), await x.open('b'), await x.open('c')];
    const [ya, yb] = [await y.open('a'), await y.open('b')];
    const heardByY: Envelope[] = [];
    yb.onMessage((m) => heardByY.push(m));
    ya.onMessage((m) => heardByY.push(m));
    const received = nextMessage(xb);
    await xa.send('b', encode('for x only'));
    expect(decode((await received).payload)).toBe('for x only');
    // y has no "c": a probe in y's subjects finds nobody, although x has one.
    const error = await ya.send('c', encode('?')).catch((e: unknown) => e);
    expect(isLatticeError(error, UnknownPeerError.code)).toBe(true);
    const toYb = nextMessage(yb);
    await ya.send('b', encode('for y'));
    expect(decode((await toYb).payload)).toBe('for y');
    expect(heardByY.map((m) => decode(m.payload))).toEqual(['for y']);
    expect(x.subjectOf('b')).toBe('lattice.x.b');
    expect(xc.closed).toBe(false);
  });

  it('finds a node of another transport (another process) by probing, and refuses one that is not open', async () => {
    const one = transport({ cluster: 'probe', connect: { servers: nats().url } });
    const two = transport({ cluster: 'probe', connect: { servers: nats().url } });
    const a = await one.open('a');
    const error = await a.send('b', encode('too early')).catch((e: unknown) => e);
    expect(isLatticeError(error, UnknownPeerError.code)).toBe(true);
    const b = await two.open('b');
    const received = nextMessage(b);
    await a.send('b', encode('found you'));
    const message = await received;
    expect([message.from, message.to, decode(message.payload)]).toEqual(['a', 'b', 'found you']);
    // Once known, a node that goes away stays known: sends resolve and are lost (at most once).
    await b.close();
    await expect(a.send('b', encode('lost'))).resolves.toBeUndefined();
  });

  it('drops garbage and forged headers on a node subject with a NatsMessageError, and keeps delivering', async () => {
    const t = transport({ cluster: 'garbage', connect: { servers: nats().url } });
    const a = await t.open('a');
    const b = await t.open('b');
    const errors: LatticeError[] = [];
    b.onError((e) => errors.push(e));
    const delivered: Envelope[] = [];
    b.onMessage((m) => delivered.push(m));
    const raw = await client(nats().url);
    const bad = [
      new Uint8Array(0),
      encode('hello, not a lattice message'),
      new Uint8Array([0x4c, 0x02, 0, 1, 0x61]), // unknown version
      new Uint8Array([0x4c, 0x01, 0, 9, 0x61]), // id longer than the message
      new Uint8Array([0x4c, 0x01, 0, 0, 1, 2]), // empty id
      new Uint8Array([0x4c, 0x01, 0, 1, 0x0a, 1]), // a control character as the id
      new Uint8Array([0x4c, 0x01, 0, 2, 0xc3, 0x28]), // invalid UTF-8
    ];
    for (const data of bad) raw.publish(t.subjectOf('b'), data);
    await raw.flush();
    await eventually(() => errors.length >= bad.length, 5_000, 'an error per bad message');
    expect(errors.every((e) => isLatticeError(e, NatsMessageError.code))).toBe(true);
    expect((errors[0] as NatsMessageError).subject).toBe('lattice.garbage.b');
    expect(delivered).toEqual([]);
    const received = nextMessage(b);
    await a.send('b', encode('still fine'));
    expect(decode((await received).payload)).toBe('still fine');
  });

  it('uses a connection the caller owns and leaves it open on close', async () => {
    const own = await client(nats().url);
    const t = transport({ cluster: 'owned', connection: own });
    const a = await t.open('a');
    const received = nextMessage(a);
    await a.send('a', encode('self'));
    expect(decode((await received).payload)).toBe('self');
    await t.close();
    expect(a.closed).toBe(true);
    expect(own.isClosed()).toBe(false);
    const late = await a.send('a', encode('late')).catch((e: unknown) => e);
    expect(isLatticeError(late, ClosedError.code)).toBe(true);
  });
  it('closes its endpoints, with a NatsConnectionError, when the connection closes for good', async () => {
    const own = await client(nats().url);
    const t = transport({ cluster: 'gone', connection: own });
    const a = await t.open('a');
    const closedEvent = nextError(a, NatsConnectionError.code);
    await own.close();
    expect((await closedEvent as NatsConnectionError).event).toBe('closed');
    await eventually(() => a.closed, 5_000, 'the endpoint to close');
    const late = await a.send('a', encode('late')).catch((e: unknown) => e);
    expect(isLatticeError(late, ClosedError.code)).toBe(true);
    const reopen = await t.open('b').catch((e: unknown) => e);
    expect(isLatticeError(reopen, NatsConnectionError.code)).toBe(true);
  });
});

describeWithService(
  'nats',
  'NatsTransport on a server with a small max_payload',
  (nats) => {
    it('limits messages to max_payload minus the sender header; an oversize one is refused and nothing is sent', async () => {
      const t = transport({ cluster: 'small', connect: { servers: nats().url } });
      const sender = await t.open('sender');
      const b = await t.open('b');
      expect(sender.maxMessageSize).toBe(4096 - (4 + 'sender'.length));
      expect(b.maxMessageSize).toBe(4096 - (4 + 'b'.length));
      const delivered: number[] = [];
      b.onMessage((m) => delivered.push(m.payload.byteLength));
      const tooLarge = await sender.send('b', new Uint8Array(sender.maxMessageSize + 1)).catch((e: unknown) => e);
      expect(isLatticeError(tooLarge, MessageTooLargeError.code)).toBe(true);
      const received = nextMessage(b);
      await sender.send('b', new Uint8Array(sender.maxMessageSize));
      expect((await received).payload.byteLength).toBe(sender.maxMessageSize);
      expect(delivered).toEqual([sender.maxMessageSize]);
    });

    it('takes a smaller maxMessageSize option, and drops (reporting) a received payload above it', async () => {
      const strict = transport({ cluster: 'small', maxMessageSize: 100, connect: { servers: nats().url } });
      const loose = transport({ cluster: 'small', connect: { servers: nats().url } });
      const b = await strict.open('b');
      const a = await loose.open('a');
      expect(b.maxMessageSize).toBe(100);
      const error = nextError(b, NatsMessageError.code);
      await a.send('b', new Uint8Array(101));
      expect((await error).message).toContain('above maxMessageSize 100');
    });
  },
  { options: { maxPayload: 4096 } },
);

describeWithService('nats', 'NatsTransport across a server restart', (nats) => {
  it('reports the disconnect on onError, reconnects by itself and delivers again', async () => {
    const { startNats } = await import('@lattice/test-kit');
    const t = transport({ cluster: 'restart', connect: { servers: nats().url, reconnectTimeWait: 50 } });
    const a = await t.open('a');
    const b = await t.open('b');
    await deliverEventually(a, b, 'before', 5_000);
    const disconnected = nextError(b, NatsConnectionError.code);
    await nats().kill();
    expect((await disconnected as NatsConnectionError).event).toBe('disconnect');
    // Sending while the server is down is accepted (and may be lost): the peer is known.
    await expect(a.send('b', encode('while down'))).resolves.toBeUndefined();
    const again = await startNats({ port: nats().port });
    try {
      const message = await deliverEventually(a, b, 'after', 15_000);
      expect(message.from).toBe('a');
      expect(a.closed || b.closed).toBe(false);
    } finally {
      await t.close();
      await again.stop();
    }
  });
});
