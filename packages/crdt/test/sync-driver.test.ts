import { ClosedError, type Endpoint, HandlerError, type LatticeError, NodeStoppedError } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import { MemoryNetwork } from '@lattice/transport';
import { describe, expect, it } from 'vitest';
import { CrdtSync, GCounter } from '../src/index.js';

/** An endpoint that throws from `send` to one peer instead of rejecting (against the contract). */
function throwingTo(endpoint: Endpoint, bad: string): Endpoint {
  const send = endpoint.send.bind(endpoint);
  return Object.assign(Object.create(null) as Endpoint, {
    id: endpoint.id,
    maxMessageSize: endpoint.maxMessageSize,
    closed: false,
    send: (to: string, payload: Uint8Array) => {
      if (to === bad) throw new Error(`no route to ${to}`);
      return send(to, payload);
    },
    onMessage: endpoint.onMessage.bind(endpoint),
    onError: endpoint.onError.bind(endpoint),
    close: endpoint.close.bind(endpoint),
  });
}

describe('CrdtSync on the protocol driver', () => {
  it('reports an endpoint that throws from send like one that rejects, and the other peers still get the delta', async () => {
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock });
    const a = new CrdtSync({ endpoint: throwingTo(await network.open('a'), 'b'), replica: new GCounter('a'), peers: ['b', 'c'], timers: clock });
    const c = new CrdtSync({ endpoint: await network.open('c'), replica: new GCounter('c'), peers: ['a'], timers: clock });
    const errors: LatticeError[] = [];
    a.on('error', (error) => errors.push(error));
    a.update((counter) => counter.increment(4));
    await clock.advanceAsync(10);
    expect(c.replica.value()).toBe(4);
    // The push and the first round's digest to b, each a typed error with the failure as cause.
    expect(errors.map((error) => error.code)).toEqual([HandlerError.code, HandlerError.code]);
    expect(errors.map((error) => (error.cause as Error).message)).toEqual(['no route to b', 'no route to b']);
    expect(a.closed).toBe(false);
    expect(a.stats().sendErrors).toBe(errors.length);
    // Still running: the next write reaches c too.
    a.update((counter) => counter.increment());
    await clock.advanceAsync(10);
    expect(c.replica.value()).toBe(5);
    expect(errors).toHaveLength(3);
    await a.close();
    await c.close();
    await network.close();
  });

  it('encodes a push and a round once for all peers: every peer is sent the same bytes', async () => {
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock });
    const inner = await network.open('a');
    const sent: { to: string; payload: Uint8Array }[] = [];
    const endpoint = Object.assign(Object.create(null) as Endpoint, {
      id: inner.id,
      maxMessageSize: inner.maxMessageSize,
      closed: false,
      send: (to: string, payload: Uint8Array) => {
        sent.push({ to, payload });
        return inner.send(to, payload);
      },
      onMessage: inner.onMessage.bind(inner),
      onError: inner.onError.bind(inner),
      close: inner.close.bind(inner),
    });
    const a = new CrdtSync({ endpoint, replica: new GCounter('a'), peers: ['b', 'c'], timers: clock, intervalMs: 1000 });
    await clock.advanceAsync(1); // the first round: one digest to each peer
    expect(sent.map((s) => s.to)).toEqual(['b', 'c']);
    expect(sent[0]!.payload).toBe(sent[1]!.payload);
    sent.length = 0;
    a.update((counter) => counter.increment(2));
    expect(sent.map((s) => s.to)).toEqual(['b', 'c']);
    expect(sent[0]!.payload).toBe(sent[1]!.payload);
    await a.close();
    await network.close();
  });

  it('hands remote changes to change listeners; one that throws is a HandlerError and the others still run', async () => {
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock });
    const a = new CrdtSync({ endpoint: await network.open('a'), replica: new GCounter('a'), peers: ['b'], timers: clock });
    const b = new CrdtSync({ endpoint: await network.open('b'), replica: new GCounter('b'), peers: ['a'], timers: clock });
    const seen: number[] = [];
    const errors: LatticeError[] = [];
    b.onChange(() => {
      throw new Error('listener bug');
    });
    const stop = b.on('change', (counter) => seen.push(counter.value()));
    b.onError((error) => errors.push(error));
    a.update((counter) => counter.increment(2));
    b.update((counter) => counter.increment(1)); // local: no change event
    await clock.advanceAsync(10);
    expect(seen).toEqual([3]);
    expect(errors.map((error) => error.code)).toEqual([HandlerError.code]);
    stop();
    a.update((counter) => counter.increment());
    await clock.advanceAsync(10);
    expect(seen).toEqual([3]);
    expect(b.replica.value()).toBe(4);
    await a.close();
    await b.close();
    await network.close();
  });

  it('schedules rounds on the time of the timers it is given (a ManualClock), and counts through stats()', async () => {
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock });
    const a = new CrdtSync({ endpoint: await network.open('a'), replica: new GCounter('a'), peers: ['b'], timers: clock, intervalMs: 100 });
    await clock.advanceAsync(1);
    expect(a.stats().messagesSent).toBe(1); // the round at start
    await clock.advanceAsync(98);
    expect(a.stats().messagesSent).toBe(1);
    await clock.advanceAsync(1);
    expect(a.stats().messagesSent).toBe(2);
    await clock.advanceAsync(1000);
    expect(a.stats().messagesSent).toBe(12);
    // A snapshot: changing it changes nothing.
    const stats = a.stats();
    stats.messagesSent = 0;
    expect(a.stats().messagesSent).toBe(12);
    await a.close();
    expect(a.closed).toBe(true);
    await clock.advanceAsync(1000);
    expect(a.stats().messagesSent).toBe(12);
    await network.close();
  });

  it('stops with NodeStoppedError when the replica’s own join fails on a peer’s message, and says so', async () => {
    class BrokenCounter extends GCounter {
      override join(_other: GCounter): this {
        throw new Error('join bug');
      }
    }
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock });
    const a = new CrdtSync({ endpoint: await network.open('a'), replica: new GCounter('a'), peers: ['b'], timers: clock });
    const b = new CrdtSync({ endpoint: await network.open('b'), replica: new BrokenCounter('b'), peers: ['a'], timers: clock });
    const errors: LatticeError[] = [];
    b.on('error', (error) => errors.push(error));
    a.update((counter) => counter.increment());
    await clock.advanceAsync(10);
    expect(errors.map((error) => error.code)).toEqual([NodeStoppedError.code]);
    expect(b.closed).toBe(true);
    expect(() => b.update((counter) => counter.increment())).toThrow(expect.objectContaining({ code: ClosedError.code }));
    await a.close();
    await network.close();
  });
});
