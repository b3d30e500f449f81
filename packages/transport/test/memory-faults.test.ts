import { ClosedError, type Endpoint, type Envelope, InvalidArgumentError, isLatticeError, UnknownPeerError } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryNetwork, type MemoryNetworkOptions } from '../src/index.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (message: Envelope) => new TextDecoder().decode(message.payload);

async function cluster(ids: string[], options: MemoryNetworkOptions = {}) {
  const clock = new ManualClock();
  const network = new MemoryNetwork({ timers: clock, ...options });
  const endpoints = new Map<string, Endpoint>();
  const inbox = new Map<string, string[]>();
  for (const id of ids) {
    const endpoint = await network.open(id);
    endpoints.set(id, endpoint);
    inbox.set(id, []);
    endpoint.onMessage((m) => inbox.get(id)!.push(`${m.from}:${text(m)}`));
  }
  const send = (from: string, to: string, body: string) => endpoints.get(from)!.send(to, bytes(body));
  return { clock, network, endpoints, inbox, send };
}

describe('MemoryNetwork delivery', () => {
  it('delivers only when virtual time advances, in order per link without faults', async () => {
    const { clock, inbox, send } = await cluster(['a', 'b']);
    for (let i = 0; i < 5; i++) await send('a', 'b', `m${i}`);
    expect(inbox.get('b')).toEqual([]);
    clock.advance(0);
    expect(inbox.get('b')).toEqual(['a:m0', 'a:m1', 'a:m2', 'a:m3', 'a:m4']);
  });

  it('applies latency drawn from the configured range', async () => {
    const { clock, network, inbox, send } = await cluster(['a', 'b'], { faults: { latency: { min: 10, max: 30 } } });
    await send('a', 'b', 'x');
    clock.advance(9);
    expect(inbox.get('b')).toEqual([]);
    clock.advance(21);
    expect(inbox.get('b')).toEqual(['a:x']);
    network.configure({ latency: { min: 0, max: 0 } });
    await send('a', 'b', 'y');
    clock.advance(0);
    expect(inbox.get('b')).toEqual(['a:x', 'a:y']);
  });

  it('is deterministic for a seed: same faults, same deliveries', async () => {
    const run = async (seed: number) => {
      const { clock, network, inbox, send } = await cluster(['a', 'b', 'c'], {
        seed,
        faults: { dropRate: 0.2, duplicateRate: 0.2, reorderRate: 0.3, latency: { min: 1, max: 50 } },
      });
      for (let i = 0; i < 200; i++) await send(i % 2 ? 'a' : 'c', 'b', `m${i}`);
      clock.advance(1000);
      return { received: inbox.get('b'), stats: network.stats() };
    };
    const first = await run(42);
    expect(await run(42)).toEqual(first);
    expect((await run(43)).received).not.toEqual(first.received);
  });

  it('drops and duplicates at about the configured rates, and counts them', async () => {
    const { clock, network, inbox, send } = await cluster(['a', 'b'], { seed: 9, faults: { dropRate: 0.3, duplicateRate: 0.1 } });
    for (let i = 0; i < 5000; i++) await send('a', 'b', `${i}`);
    clock.advance(1);
    const stats = network.stats();
    expect(stats.sent).toBe(5000);
    expect(stats.dropped / 5000).toBeGreaterThan(0.27);
    expect(stats.dropped / 5000).toBeLessThan(0.33);
    expect(stats.duplicated / (5000 - stats.dropped)).toBeGreaterThan(0.08);
    expect(stats.duplicated / (5000 - stats.dropped)).toBeLessThan(0.12);
    expect(stats.delivered).toBe(5000 - stats.dropped + stats.duplicated);
    expect(inbox.get('b')!.length).toBe(stats.delivered);
  });

  it('reorders messages when asked', async () => {
    const { clock, inbox, send } = await cluster(['a', 'b'], { seed: 3, faults: { reorderRate: 0.5 } });
    for (let i = 0; i < 100; i++) await send('a', 'b', `${i}`);
    clock.advance(100);
    const order = inbox.get('b')!.map((m) => Number(m.split(':')[1]));
    expect(order).toHaveLength(100);
    expect(order).not.toEqual([...order].sort((x, y) => x - y));
  });

  it('rejects invalid fault settings with a typed error and keeps the old ones', async () => {
    const { network } = await cluster(['a']);
    for (const bad of [{ dropRate: 1.5 }, { duplicateRate: -0.1 }, { latency: { min: 5, max: 1 } }, { reorderRate: Number.NaN }]) {
      const error = (() => {
        try {
          network.configure(bad);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(isLatticeError(error, InvalidArgumentError.code)).toBe(true);
    }
    expect(network.faults.dropRate).toBe(0);
  });
});

describe('MemoryNetwork partitions', () => {
  it('drops traffic across named groups, both ways, until healed', async () => {
    const { clock, network, inbox, send } = await cluster(['a', 'b', 'c']);
    network.partition({ left: ['a'], right: ['b', 'c'] });
    await send('a', 'b', 'x');
    await send('b', 'a', 'y');
    await send('b', 'c', 'z');
    clock.advance(1);
    expect(inbox.get('a')).toEqual([]);
    expect(inbox.get('b')).toEqual([]);
    expect(inbox.get('c')).toEqual(['b:z']);
    network.heal();
    await send('a', 'b', 'after');
    clock.advance(1);
    expect(inbox.get('b')).toEqual(['a:after']);
  });

  it('cuts one way only', async () => {
    const { clock, network, inbox, send } = await cluster(['a', 'b']);
    network.cut('a', 'b');
    await send('a', 'b', 'lost');
    await send('b', 'a', 'kept');
    clock.advance(1);
    expect(inbox.get('b')).toEqual([]);
    expect(inbox.get('a')).toEqual(['b:kept']);
    network.restore('a', 'b');
    await send('a', 'b', 'back');
    clock.advance(1);
    expect(inbox.get('b')).toEqual(['a:back']);
  });

  it('isolates a node from everyone, and loses messages in flight when a link goes down', async () => {
    const { clock, network, inbox, send } = await cluster(['a', 'b', 'c'], { faults: { latency: { min: 10, max: 10 } } });
    await send('a', 'b', 'in-flight');
    clock.advance(5);
    network.isolate('b');
    clock.advance(10);
    await send('c', 'b', 'x');
    await send('b', 'a', 'y');
    await send('b', 'b', 'self');
    clock.advance(20);
    expect(inbox.get('b')).toEqual(['b:self']);
    expect(inbox.get('a')).toEqual([]);
    expect(network.reachable('a', 'c')).toBe(true);
    expect(network.reachable('a', 'b')).toBe(false);
  });

  it('rejects a node placed in two groups', async () => {
    const { network } = await cluster(['a']);
    expect(() => network.partition({ x: ['a'], y: ['a'] })).toThrow(/two partition groups/);
  });

  it('never delivers across a partition, whatever the random faults (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1_000_000 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), { maxLength: 60 }), async (seed, sends) => {
        const ids = ['n0', 'n1', 'n2', 'n3'];
        const { clock, network, inbox, send } = await cluster(ids, { seed, faults: { duplicateRate: 0.3, reorderRate: 0.3, latency: { min: 0, max: 5 } } });
        network.partition({ x: ['n0', 'n1'], y: ['n2', 'n3'] });
        for (const [from, to] of sends) await send(ids[from]!, ids[to]!, 'm');
        clock.advance(100);
        const side = (id: string) => (id === 'n0' || id === 'n1' ? 'x' : 'y');
        for (const id of ids) for (const entry of inbox.get(id)!) expect(side(entry.split(':')[0]!)).toBe(side(id));
      }),
      { numRuns: 60 },
    );
  });
});

describe('MemoryNetwork nodes', () => {
  it('drops messages to a closed (crashed) node silently, and rejects unknown nodes', async () => {
    const { clock, network, endpoints, send } = await cluster(['a', 'b']);
    await endpoints.get('b')!.close();
    await send('a', 'b', 'to-crashed'); // resolves: known but down
    clock.advance(1);
    expect(network.stats().dropped).toBe(1);
    const error = await send('a', 'zz', 'x').catch((e: unknown) => e);
    expect(isLatticeError(error, UnknownPeerError.code)).toBe(true);
    expect(network.nodes()).toEqual(['a']);
  });

  it('does not deliver a message sent before a crash to the restarted incarnation', async () => {
    const { clock, network, endpoints, send } = await cluster(['a', 'b'], { faults: { latency: { min: 10, max: 10 } } });
    await send('a', 'b', 'old');
    await endpoints.get('b')!.close();
    const reborn = await network.open('b');
    const got: string[] = [];
    reborn.onMessage((m) => got.push(text(m)));
    clock.advance(10);
    expect(got).toEqual([]);
    await send('a', 'b', 'new');
    clock.advance(10);
    expect(got).toEqual(['new']);
  });

  it('refuses to open after the network is closed', async () => {
    const { network } = await cluster(['a']);
    await network.close();
    const error = await network.open('b').catch((e: unknown) => e);
    expect(isLatticeError(error, ClosedError.code)).toBe(true);
  });
});
