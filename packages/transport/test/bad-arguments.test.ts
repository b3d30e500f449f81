import { runInNewContext } from 'node:vm';
import { type Endpoint, InvalidArgumentError } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryNetwork, type MemoryNetworkOptions } from '../src/index.js';
import { NatsEndpoint, subjectToken } from '../src/nats/index.js';
import { TcpEndpoint, TcpTransport, type TcpTransportOptions } from '../src/tcp/index.js';
import { testTls } from './tls-fixture.js';

const secret = 'bad-arguments-secret-0123456789';
const bytes = new TextEncoder().encode('ok');

/** What a caller may pass from untyped code: the tests call the API the way plain JavaScript can. */
// biome-ignore lint/suspicious/noExplicitAny: the point is to pass what the types forbid
type Untyped = any;

/** Calls `call` and expects it to throw or reject with `InvalidArgumentError` (not a TypeError or RangeError from deep inside). */
async function expectInvalid(call: () => unknown): Promise<InvalidArgumentError> {
  let error: unknown;
  try {
    await call();
  } catch (caught) {
    error = caught;
  }
  expect(error, 'expected an InvalidArgumentError').toMatchObject({ code: InvalidArgumentError.code, name: 'InvalidArgumentError' });
  return error as InvalidArgumentError;
}

/** Every value that is not a payload: what a caller passes by mistake. */
const notPayloads: [string, unknown][] = [
  ['a string', 'hello'],
  ['an object', { hello: 'world' }],
  ['an object with a slice method', { byteLength: 1, slice: () => new Uint8Array(1) }],
  ['null', null],
  ['undefined', undefined],
  ['a number', 42],
  ['an array of numbers', [1, 2, 3]],
  ['an ArrayBuffer', new ArrayBuffer(4)],
  ['a Uint16Array', new Uint16Array(2)],
  ['a DataView', new DataView(new ArrayBuffer(4))],
];

/** Values that are not node ids. */
const notNodeIds: [string, unknown][] = [
  ['a number', 5],
  ['an empty string', ''],
  ['null', null],
  ['undefined', undefined],
  ['an object', { id: 'a' }],
  ['a string with a control character', 'a\u0000b'],
];

describe('MemoryNetwork refuses bad arguments with InvalidArgumentError', () => {
  async function network(options: MemoryNetworkOptions = {}) {
    const clock = new ManualClock();
    const net = new MemoryNetwork({ timers: clock, ...options });
    const a = await net.open('a');
    const b = await net.open('b');
    return { clock, net, a, b };
  }

  it.each(notPayloads)('send with %s as payload rejects at once and nothing is scheduled', async (_, payload) => {
    const { clock, net, a } = await network();
    await expectInvalid(() => a.send('b', payload as Untyped));
    expect(net.stats().sent).toBe(0);
    // The object payload used to crash the process from the delivery timer (payload.slice is not a function).
    expect(() => clock.advance(10)).not.toThrow();
  });

  it('send accepts a Buffer and a Uint8Array from another realm', async () => {
    const { clock, a, b } = await network();
    const got: number[][] = [];
    b.onMessage((m) => got.push([...m.payload]));
    await a.send('b', Buffer.from([1, 2]));
    await a.send('b', runInNewContext('new Uint8Array([3, 4])') as Uint8Array);
    clock.advance(0);
    expect(got).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it.each(notNodeIds)('send to %s rejects', async (_, to) => {
    const { a } = await network();
    await expectInvalid(() => a.send(to as Untyped, bytes));
  });

  it('send with options that are not AbortOptions rejects', async () => {
    const { a } = await network();
    await expectInvalid(() => a.send('b', bytes, 5 as Untyped));
    await expectInvalid(() => a.send('b', bytes, { signal: 'stop' } as Untyped));
  });

  it.each<[string, unknown]>([
    ['a number as options', 5],
    ['null as options', null],
    ['timers without functions', { timers: {} }],
    ['random without next()', { random: { next: 1 } }],
    ['a fractional seed', { seed: 1.5 }],
    ['a NaN seed', { seed: Number.NaN }],
    ['a string seed', { seed: '7' }],
    ['maxMessageSize 0', { maxMessageSize: 0 }],
    ['a negative maxMessageSize', { maxMessageSize: -1 }],
    ['a string maxMessageSize', { maxMessageSize: '1024' }],
    ['null faults', { faults: null }],
    ['faults that are a number', { faults: 0.5 }],
    ['a NaN dropRate', { faults: { dropRate: Number.NaN } }],
    ['a negative dropRate', { faults: { dropRate: -0.1 } }],
    ['a dropRate above 1', { faults: { dropRate: 1.5 } }],
    ['a string dropRate', { faults: { dropRate: '0.5' } }],
    ['a null dropRate', { faults: { dropRate: null } }],
    ['a NaN duplicateRate', { faults: { duplicateRate: Number.NaN } }],
    ['a duplicateRate above 1', { faults: { duplicateRate: 2 } }],
    ['a negative reorderRate', { faults: { reorderRate: -1 } }],
    ['a reorderRate above 1', { faults: { reorderRate: 1.01 } }],
    ['latency with min > max', { faults: { latency: { min: 5, max: 1 } } }],
    ['latency with a negative min', { faults: { latency: { min: -1, max: 1 } } }],
    ['latency with an infinite max', { faults: { latency: { min: 0, max: Number.POSITIVE_INFINITY } } }],
    ['latency without max', { faults: { latency: { min: 1 } } }],
    ['null latency', { faults: { latency: null } }],
  ])('the constructor refuses %s', async (_, options) => {
    await expectInvalid(() => new MemoryNetwork(options as Untyped));
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a number', 0.1],
    ['a NaN dropRate', { dropRate: Number.NaN }],
    ['a negative duplicateRate', { duplicateRate: -0.5 }],
    ['a reorderRate above 1', { reorderRate: 3 }],
    ['an inverted latency', { latency: { min: 10, max: 0 } }],
  ])('configure refuses %s and keeps the faults in force', async (_, faults) => {
    const { net } = await network({ faults: { dropRate: 0.25 } });
    await expectInvalid(() => net.configure(faults as Untyped));
    expect(net.faults.dropRate).toBe(0.25);
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a number', 5],
    ['an array', [['a'], ['b']]],
    ['a group that is a string', { left: 'a' }],
    ['a group with a number', { left: [5] }],
    ['a group with an empty id', { left: [''] }],
    ['a node in two groups', { left: ['a'], right: ['a'] }],
  ])('partition refuses %s', async (_, groups) => {
    const { net } = await network();
    await expectInvalid(() => net.partition(groups as Untyped));
    expect(net.reachable('a', 'b')).toBe(true);
  });

  it.each(notNodeIds)('cut, restore, isolate and reachable refuse %s as a node id', async (_, id) => {
    const { net } = await network();
    await expectInvalid(() => net.cut(id as Untyped, 'b'));
    await expectInvalid(() => net.cut('a', id as Untyped));
    await expectInvalid(() => net.restore(id as Untyped, 'b'));
    await expectInvalid(() => net.isolate(id as Untyped));
    await expectInvalid(() => net.reachable('a', id as Untyped));
  });

  it.each(notNodeIds)('open refuses %s as a node id', async (_, id) => {
    const { net } = await network();
    await expectInvalid(() => net.open(id as Untyped));
  });

  it('open refuses options that are not AbortOptions', async () => {
    const { net } = await network();
    await expectInvalid(() => net.open('c', 5 as Untyped));
    await expectInvalid(() => net.open('c', { signal: true } as Untyped));
  });
});

describe('TcpTransport refuses bad arguments with InvalidArgumentError', () => {
  const open: TcpTransport[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });

  function transport(options: Partial<TcpTransportOptions> = {}): TcpTransport {
    const t = new TcpTransport({ secret, ...options });
    open.push(t);
    return t;
  }

  it.each<[string, unknown]>([
    ['no options', undefined],
    ['a number as options', 5],
    ['a missing secret', {}],
    ['a number secret', { secret: 1234567890123456 }],
    ['a short secret', { secret: 'short' }],
    ['a secret of 15 bytes', { secret: new Uint8Array(15) }],
    ['a Uint16Array secret', { secret: new Uint16Array(16) }],
  ])('the constructor refuses %s', async (_, options) => {
    await expectInvalid(() => new TcpTransport(options as Untyped));
  });

  it.each<[string, unknown]>([
    ['maxMessageSize 0', { maxMessageSize: 0 }],
    ['a fractional maxMessageSize', { maxMessageSize: 1.5 }],
    ['a maxMessageSize beyond the frame format', { maxMessageSize: 2 ** 33 }],
    ['sendQueueLimit 0', { sendQueueLimit: 0 }],
    ['a NaN sendQueueLimit', { sendQueueLimit: Number.NaN }],
    ['a string sendQueueLimit', { sendQueueLimit: '10' }],
    ['an unknown overflow policy', { overflow: 'block' }],
    ['reconnect that is a number', { reconnect: 5 }],
    ['reconnect.initialDelayMs 0', { reconnect: { initialDelayMs: 0 } }],
    ['a NaN reconnect.initialDelayMs', { reconnect: { initialDelayMs: Number.NaN } }],
    ['an infinite reconnect.initialDelayMs', { reconnect: { initialDelayMs: Number.POSITIVE_INFINITY } }],
    ['reconnect.maxDelayMs below initialDelayMs', { reconnect: { initialDelayMs: 100, maxDelayMs: 10 } }],
    ['reconnect.maxDelayMs beyond what timers honour', { reconnect: { maxDelayMs: 2 ** 31 } }],
    ['a negative reconnect.jitter', { reconnect: { jitter: -0.1 } }],
    ['a reconnect.jitter above 1', { reconnect: { jitter: 2 } }],
    ['a NaN reconnect.jitter', { reconnect: { jitter: Number.NaN } }],
    ['handshakeTimeoutMs 0', { handshakeTimeoutMs: 0 }],
    ['a negative handshakeTimeoutMs', { handshakeTimeoutMs: -1 }],
    ['a NaN handshakeTimeoutMs', { handshakeTimeoutMs: Number.NaN }],
    ['an infinite handshakeTimeoutMs', { handshakeTimeoutMs: Number.POSITIVE_INFINITY }],
    ['a handshakeTimeoutMs beyond what timers honour', { handshakeTimeoutMs: 2 ** 31 }],
    ['a string handshakeTimeoutMs', { handshakeTimeoutMs: '100' }],
    ['a negative closeGraceMs', { closeGraceMs: -1 }],
    ['a NaN closeGraceMs', { closeGraceMs: Number.NaN }],
    ['timers without functions', { timers: { setTimeout: 1 } }],
    ['random without next()', { random: {} }],
    ['listen that is a string', { listen: '127.0.0.1:0' }],
    ['a listen port above 65535', { listen: { port: 70_000 } }],
    ['a negative listen port', { listen: { port: -1 } }],
    ['a fractional listen port', { listen: { port: 1.5 } }],
    ['a string listen port', { listen: { port: '7000' } }],
    ['an empty listen host', { listen: { host: '' } }],
    ['a number listen host', { listen: { host: 127 } }],
    ['peers that is an array', { peers: ['127.0.0.1:7000'] }],
    ['a peer address without a port', { peers: { b: 'no-port' } }],
    ['a peer address with port 0', { peers: { b: '127.0.0.1:0' } }],
    ['a peer address with port 99999', { peers: { b: '127.0.0.1:99999' } }],
    ['a peer address object with port 0', { peers: { b: { host: '127.0.0.1', port: 0 } } }],
    ['a peer address object without a port', { peers: { b: { host: '127.0.0.1' } } }],
    ['a peer address object with an empty host', { peers: { b: { host: '', port: 7000 } } }],
    ['a null peer address', { peers: { b: null } }],
    ['an empty peer id', { peers: { '': '127.0.0.1:7000' } }],
    ['tls that is a string', { tls: 'on' }],
    ['tls without a key', { tls: { cert: 'x', ca: 'y' } }],
    ['a number tls.cert', { tls: { key: 'k', cert: 5, ca: 'c' } }],
    ['an empty tls.ca list', { tls: { key: 'k', cert: 'c', ca: [] } }],
    ['tls material that is not PEM', { tls: { key: 'not a key', cert: 'not a cert', ca: 'not a ca' } }],
  ])('the constructor refuses %s (with a valid secret)', async (_, options) => {
    const error = await expectInvalid(() => new TcpTransport({ secret, ...(options as object) } as Untyped));
    // The message names the option at fault, not the secret.
    expect(error.message).not.toMatch(/^secret/);
  });

  it('the constructor refuses a TLS servername that is not a string, and bad PEM with the parser error as cause', async () => {
    const { node } = testTls();
    await expectInvalid(() => new TcpTransport({ secret, tls: { ...node, servername: 5 } as Untyped }));
    const error = await expectInvalid(() => new TcpTransport({ secret, tls: { ...node, key: node.cert } }));
    expect(error.cause).toBeInstanceOf(Error);
  });

  it.each(notNodeIds)('addPeer, removePeer, addressOf and open refuse %s as a node id', async (_, id) => {
    const t = transport();
    await expectInvalid(() => t.addPeer(id as Untyped, '127.0.0.1:7000'));
    await expectInvalid(() => t.removePeer(id as Untyped));
    await expectInvalid(() => t.addressOf(id as Untyped));
    await expectInvalid(() => t.open(id as Untyped));
  });

  it('addPeer refuses a bad address and open refuses bad listen and abort options', async () => {
    const t = transport();
    await expectInvalid(() => t.addPeer('b', 'localhost'));
    await expectInvalid(() => t.addPeer('b', { host: 'localhost', port: 65_536 }));
    await expectInvalid(() => t.addPeer('b', 7000 as Untyped));
    await expectInvalid(() => t.open('x', { listen: { port: 70_000 } }));
    await expectInvalid(() => t.open('x', { listen: { host: '' } }));
    await expectInvalid(() => t.open('x', 5 as Untyped));
    await expectInvalid(() => t.open('x', { signal: 'stop' } as Untyped));
    // None of these left a half-open endpoint behind.
    expect((await t.open('x')).id).toBe('x');
  });

  describe('send', () => {
    let server: TcpEndpoint;
    let client: Endpoint;
    async function pair() {
      const t = transport();
      server = await t.open('server');
      client = await t.open('client');
    }

    it.each(notPayloads)('with %s as payload rejects at once', async (_, payload) => {
      await pair();
      await expectInvalid(() => client.send('server', payload as Untyped));
      // The endpoint is unharmed: a real payload still arrives.
      const received = new Promise<Uint8Array>((resolve) => server.onMessage((m) => resolve(m.payload)));
      await client.send('server', Buffer.from(bytes));
      expect([...(await received)]).toEqual([...bytes]);
    });

    it.each(notNodeIds)('to %s rejects', async (_, to) => {
      await pair();
      await expectInvalid(() => client.send(to as Untyped, bytes));
    });

    it('with options that are not AbortOptions rejects', async () => {
      await pair();
      await expectInvalid(() => client.send('server', bytes, 5 as Untyped));
      await expectInvalid(() => client.send('server', bytes, { signal: {} } as Untyped));
    });
  });
});

describe('TcpEndpoint', () => {
  it('has no public constructor, and says to open endpoints from a TcpTransport', () => {
    for (const args of [[], ['a'], ['a', {}], ['a', null, () => undefined]] as unknown[][]) {
      let error: { code?: unknown; message?: unknown } | undefined;
      try {
        new (TcpEndpoint as unknown as new (...a: unknown[]) => unknown)(...args);
      } catch (caught) {
        error = caught as typeof error;
      }
      expect(error?.code).toBe(InvalidArgumentError.code);
      expect(String(error?.message)).toContain('TcpTransport');
    }
  });
});

describe('NatsEndpoint and subjectToken', () => {
  it('NatsEndpoint has no public constructor, and says to open endpoints from a NatsTransport', () => {
    for (const args of [[], ['a'], ['a', {}], ['a', null, {}, {}, {}]] as unknown[][]) {
      let error: { code?: unknown; message?: unknown } | undefined;
      try {
        new (NatsEndpoint as unknown as new (...a: unknown[]) => unknown)(...args);
      } catch (caught) {
        error = caught as typeof error;
      }
      expect(error?.code).toBe(InvalidArgumentError.code);
      expect(String(error?.message)).toContain('NatsTransport');
    }
  });

  it('subjectToken refuses what is not a string', () => {
    for (const wrong of [undefined, null, 5, {}]) {
      let code: unknown;
      try {
        subjectToken(wrong as never);
      } catch (caught) {
        code = (caught as { code?: unknown }).code;
      }
      expect(code).toBe(InvalidArgumentError.code);
    }
    expect(subjectToken('db.eu/1')).toBe('db_2Eeu_2F1');
  });
});
