import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClosedError, DuplicateNodeError, HandlerError, InvalidArgumentError, isLatticeError, MessageTooLargeError, UnknownPeerError } from '../errors.js';
import type { Endpoint, Envelope, Transport } from '../transport.js';
import { flushPromises } from './manual-clock.js';
import type { TestSetup } from './test-setup.js';

/** What {@link runTransportTests} passes to a transport's setup. */
export interface TransportSetupOptions {
  /** The maximum message size the transport must be created with, in bytes. */
  maxMessageSize: number;
}

const MAX = 256 * 1024;

/**
 * The compliance suite every `Transport` implementation runs (under vitest). It checks the
 * delivery semantics stated on the `Transport` interface: delivery with correct sender and
 * bytes, loopback, many peers, handlers and async iterators, messages of exactly the limit,
 * oversize rejection, send after close, closing with sends in flight, unknown peers,
 * duplicate opens, isolation of throwing handlers, and reopening a closed node.
 *
 * @example
 * ```ts
 * import { runTransportTests } from '@lattice/core/compliance';
 * runTransportTests('MemoryNetwork', {
 *   setup: async ({ maxMessageSize }) => new MemoryNetwork({ maxMessageSize }),
 *   teardown: async () => {},
 * });
 * ```
 */
export function runTransportTests(name: string, common: TestSetup<Transport, TransportSetupOptions>): void {
  describe(`Transport compliance: ${name}`, () => {
    let transport: Transport;

    beforeEach(async () => {
      transport = await common.setup({ maxMessageSize: MAX });
    });

    afterEach(async () => {
      try {
        await transport.close();
      } finally {
        await common.teardown();
      }
    });

    it('delivers a message with its sender, receiver and exact bytes', async () => {
      const a = await transport.open('a');
      const b = await transport.open('b');
      const received = collect(b, 1);
      const payload = new Uint8Array([0, 1, 2, 253, 254, 255]);
      await a.send('b', payload);
      const [message] = await received;
      expect(message?.from).toBe('a');
      expect(message?.to).toBe('b');
      expect([...(message?.payload ?? [])]).toEqual([0, 1, 2, 253, 254, 255]);
    });

    it('delivers an empty payload and a message to itself', async () => {
      const a = await transport.open('a');
      const received = collect(a, 1);
      await a.send('a', new Uint8Array(0));
      const [message] = await received;
      expect(message?.from).toBe('a');
      expect(message?.payload.byteLength).toBe(0);
    });

    it('delivers every message between many peers exactly once when fault-free', async () => {
      const ids = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'];
      const endpoints = await Promise.all(ids.map((id) => transport.open(id)));
      const perNode = 3;
      const expected = (ids.length - 1) * perNode;
      const received = endpoints.map((endpoint) => collect(endpoint, expected));
      const sends: Promise<void>[] = [];
      for (const from of endpoints) {
        for (const to of ids) {
          if (to === from.id) continue;
          for (let i = 0; i < perNode; i++) sends.push(from.send(to, encode(`${from.id}->${to}#${i}`)));
        }
      }
      await Promise.all(sends);
      const inboxes = await Promise.all(received);
      inboxes.forEach((inbox, index) => {
        const texts = inbox.map((message) => decode(message.payload)).sort();
        const wanted = ids
          .filter((id) => id !== ids[index])
          .flatMap((from) => Array.from({ length: perNode }, (_, i) => `${from}->${ids[index]}#${i}`))
          .sort();
        expect(texts).toEqual(wanted);
      });
    });

    it('hands each message to every handler and to async iterators', async () => {
      const a = await transport.open('a');
      const b = await transport.open('b');
      const first = collect(b, 2);
      const second = collect(b, 2);
      const iterator = b[Symbol.asyncIterator]();
      await a.send('b', encode('one'));
      await a.send('b', encode('two'));
      expect((await first).map((m) => decode(m.payload)).sort()).toEqual(['one', 'two']);
      expect((await second).map((m) => decode(m.payload)).sort()).toEqual(['one', 'two']);
      const viaIterator = [await iterator.next(), await iterator.next()].map((r) => (r.done ? '' : decode(r.value.payload)));
      expect(viaIterator.sort()).toEqual(['one', 'two']);
      await b.close();
      expect((await iterator.next()).done).toBe(true);
    });

    it('delivers a message of exactly the maximum size intact', async () => {
      const a = await transport.open('a');
      const b = await transport.open('b');
      expect(a.maxMessageSize).toBe(MAX);
      const payload = new Uint8Array(MAX);
      for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
      const received = collect(b, 1);
      await a.send('b', payload);
      const [message] = await received;
      expect(message?.payload.byteLength).toBe(MAX);
      expect(sameBytes(message!.payload, payload)).toBe(true);
    });

    it('rejects an oversize message with ERR_MESSAGE_TOO_LARGE and keeps working', async () => {
      const a = await transport.open('a');
      const b = await transport.open('b');
      const error = await a.send('b', new Uint8Array(MAX + 1)).catch((e: unknown) => e);
      expect(isLatticeError(error, MessageTooLargeError.code)).toBe(true);
      const received = collect(b, 1);
      await a.send('b', encode('still fine'));
      expect(decode((await received)[0]!.payload)).toBe('still fine');
    });

    it('rejects a send after close with ERR_CLOSED', async () => {
      const a = await transport.open('a');
      await transport.open('b');
      await a.close();
      expect(a.closed).toBe(true);
      const error = await a.send('b', encode('late')).catch((e: unknown) => e);
      expect(isLatticeError(error, ClosedError.code)).toBe(true);
      await a.close(); // idempotent
    });

    it('settles every in-flight send when endpoints close, and delivers nothing after close', async () => {
      const a = await transport.open('a');
      const b = await transport.open('b');
      let deliveredAfterClose = 0;
      let closedB = false;
      b.onMessage(() => {
        if (closedB) deliveredAfterClose++;
      });
      const sends = Array.from({ length: 200 }, (_, i) => a.send('b', encode(`m${i}`)));
      closedB = true;
      await b.close();
      await a.close();
      const outcomes = await Promise.allSettled(sends);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(isLatticeError(outcome.reason, ClosedError.code)).toBe(true);
      }
      // A round trip between two fresh endpoints gives in-flight deliveries their chance to (wrongly) happen.
      const c = await transport.open('c');
      const d = await transport.open('d');
      const received = collect(d, 1);
      await c.send('d', encode('barrier'));
      await received;
      expect(deliveredAfterClose).toBe(0);
    });

    it('rejects a send to an unknown peer with ERR_UNKNOWN_PEER', async () => {
      const a = await transport.open('a');
      const error = await a.send('nobody-has-this-id', encode('hello?')).catch((e: unknown) => e);
      expect(isLatticeError(error, UnknownPeerError.code)).toBe(true);
    });

    it('refuses to open the same node twice and refuses invalid ids', async () => {
      await transport.open('a');
      const duplicate = await transport.open('a').catch((e: unknown) => e);
      expect(isLatticeError(duplicate, DuplicateNodeError.code)).toBe(true);
      const invalid = await transport.open('').catch((e: unknown) => e);
      expect(isLatticeError(invalid, InvalidArgumentError.code)).toBe(true);
    });

    it('isolates a throwing handler: others still receive, the error is reported', async () => {
      const a = await transport.open('a');
      const b = await transport.open('b');
      const errors: string[] = [];
      b.onError((error) => errors.push(error.code));
      b.onMessage(() => {
        throw new Error('handler bug');
      });
      const received = collect(b, 1);
      await a.send('b', encode('x'));
      await received;
      expect(errors).toContain(HandlerError.code);
    });

    it('lets a closed node reopen (a restart) and receive again', async () => {
      const a = await transport.open('a');
      const b = await transport.open('b');
      await b.close();
      const b2 = await transport.open('b');
      const received = collect(b2, 1);
      // The sender may need a moment to learn the new incarnation; keep sending until one arrives.
      let done = false;
      void received.then(() => {
        done = true;
      });
      for (let i = 0; i < 200 && !done; i++) {
        await a.send('b', encode('again')).catch(() => undefined);
        await Promise.race([received, new Promise((resolve) => queueMicrotask(() => resolve(undefined)))]);
        if (!done) await nextTurn();
      }
      expect(decode((await received)[0]!.payload)).toBe('again');
    });

    it('closes every endpoint when the transport closes', async () => {
      const a = await transport.open('a');
      const b = await transport.open('b');
      await transport.close();
      expect(a.closed && b.closed).toBe(true);
      await transport.close(); // idempotent
    });
  });
}

function collect(endpoint: Endpoint, count: number): Promise<Envelope[]> {
  return new Promise((resolve) => {
    const messages: Envelope[] = [];
    const off = endpoint.onMessage((message) => {
      messages.push(message);
      if (messages.length === count) {
        off();
        resolve(messages);
      }
    });
  });
}

function nextTurn(): Promise<void> {
  return flushPromises();
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();
function encode(text: string): Uint8Array {
  return textEncoder.encode(text);
}
function decode(bytes: Uint8Array): string {
  return textDecoder.decode(bytes);
}
