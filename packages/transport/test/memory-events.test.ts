import { type Endpoint, HandlerError, InvalidArgumentError, isLatticeError } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DeliverEvent, type DropEvent, MemoryNetwork, type MemoryNetworkOptions, type MessageEvent } from '../src/index.js';

const bytes = (text: string) => new TextEncoder().encode(text);

interface Recorded {
  send: MessageEvent[];
  duplicate: MessageEvent[];
  drop: DropEvent[];
  deliver: DeliverEvent[];
  order: string[];
}

async function observed(ids: string[], options: MemoryNetworkOptions = {}, listen = true) {
  const clock = new ManualClock();
  const network = new MemoryNetwork({ timers: clock, clock, ...options });
  const seen: Recorded = { send: [], duplicate: [], drop: [], deliver: [], order: [] };
  network.on('send', (event) => {
    seen.send.push(event);
    seen.order.push(`send ${event.id}`);
  });
  network.on('duplicate', (event) => {
    seen.duplicate.push(event);
    seen.order.push(`duplicate ${event.id}`);
  });
  network.on('drop', (event) => {
    seen.drop.push(event);
    seen.order.push(`drop ${event.id} ${event.reason} ${event.stage}`);
  });
  network.on('deliver', (event) => {
    seen.deliver.push(event);
    seen.order.push(`deliver ${event.id}`);
  });
  const endpoints = new Map<string, Endpoint>();
  for (const id of ids) {
    const endpoint = await network.open(id);
    if (listen) endpoint.onMessage(() => seen.order.push(`handler ${id}`));
    endpoints.set(id, endpoint);
  }
  const send = (from: string, to: string, body = 'x') => endpoints.get(from)!.send(to, bytes(body));
  return { clock, network, endpoints, seen, send };
}

describe('MemoryNetwork events', () => {
  it('gives each accepted message an increasing id and reports send, then deliver before the handler runs', async () => {
    const { clock, seen, send } = await observed(['a', 'b'], { faults: { latency: { min: 5, max: 5 } } });
    await send('a', 'b', 'one');
    await send('b', 'a', 'three');
    expect(seen.send).toEqual([
      { id: 1, from: 'a', to: 'b', size: 3, at: 0 },
      { id: 2, from: 'b', to: 'a', size: 5, at: 0 },
    ]);
    clock.advance(5);
    expect(seen.deliver).toEqual([
      { id: 1, from: 'a', to: 'b', size: 3, at: 5, copy: 0 },
      { id: 2, from: 'b', to: 'a', size: 5, at: 5, copy: 0 },
    ]);
    expect(seen.order).toEqual(['send 1', 'send 2', 'deliver 1', 'handler b', 'deliver 2', 'handler a']);
  });

  it('names the reason of every drop: partition, cut, isolated, random, closed, no-listener', async () => {
    const { clock, network, endpoints, seen, send } = await observed(['a', 'b', 'c']);
    network.partition({ left: ['a'], right: ['b'] });
    await send('a', 'b');
    network.heal();
    network.cut('a', 'c');
    await send('a', 'c');
    network.heal();
    network.isolate('b');
    await send('c', 'b');
    network.heal();
    network.configure({ dropRate: 1 });
    await send('b', 'c');
    network.configure({ dropRate: 0 });
    await endpoints.get('c')!.close();
    await send('a', 'c');
    clock.advance(0);
    expect(seen.drop.map((event) => [event.id, event.reason, event.stage])).toEqual([
      [1, 'partition', 'send'],
      [2, 'cut', 'send'],
      [3, 'isolated', 'send'],
      [4, 'random', 'send'],
      [5, 'closed', 'send'],
    ]);
    expect(network.stats()).toEqual({ sent: 5, delivered: 0, dropped: 5, duplicated: 0 });

    const quiet = await observed(['a', 'b'], {}, false);
    await quiet.send('a', 'b');
    quiet.clock.advance(0);
    expect(quiet.seen.drop).toEqual([{ id: 1, from: 'a', to: 'b', size: 1, at: 0, reason: 'no-listener', stage: 'deliver' }]);
    expect(quiet.seen.deliver).toEqual([]);
    expect(quiet.network.stats()).toMatchObject({ delivered: 0, dropped: 1 });
  });

  it('reports messages lost in flight at the time they were due', async () => {
    const { clock, network, endpoints, seen, send } = await observed(['a', 'b', 'c'], { faults: { latency: { min: 10, max: 10 } } });
    await send('a', 'b');
    await send('a', 'c');
    clock.advance(3);
    network.partition({ left: ['a'], right: ['b'] });
    await endpoints.get('c')!.close();
    clock.advance(7);
    expect(seen.drop).toEqual([
      { id: 1, from: 'a', to: 'b', size: 1, at: 10, reason: 'partition', stage: 'deliver' },
      { id: 2, from: 'a', to: 'c', size: 1, at: 10, reason: 'closed', stage: 'deliver' },
    ]);
  });

  it('reports a duplicate once and each copy with its copy number, keeping the id', async () => {
    const { clock, seen, send } = await observed(['a', 'b'], { faults: { duplicateRate: 1 } });
    await send('a', 'b');
    clock.advance(0);
    expect(seen.duplicate).toEqual([{ id: 1, from: 'a', to: 'b', size: 1, at: 0 }]);
    expect(seen.deliver.map((event) => [event.id, event.copy])).toEqual([
      [1, 0],
      [1, 1],
    ]);
  });

  it('leaves `at` undefined without a clock, and stops reporting to a removed listener', async () => {
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock });
    const a = await network.open('a');
    const sends: MessageEvent[] = [];
    const off = network.on('send', (event) => sends.push(event));
    await a.send('a', bytes('x'));
    off();
    await a.send('a', bytes('y'));
    expect(sends).toEqual([{ id: 1, from: 'a', to: 'a', size: 1, at: undefined }]);
  });

  it('isolates a throwing listener: delivery goes on and the error is reported', async () => {
    const { clock, network, seen, send } = await observed(['a', 'b']);
    const errors: string[] = [];
    network.on('error', (error) => errors.push(error.code));
    network.on('deliver', () => {
      throw new Error('observer bug');
    });
    await send('a', 'b');
    clock.advance(0);
    expect(seen.order).toContain('handler b');
    expect(errors).toEqual([HandlerError.code]);
  });

  it('refuses a listener that is not a function and a clock that is not a Clock', () => {
    const network = new MemoryNetwork();
    const thrown = (action: () => unknown): unknown => {
      try {
        action();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    expect(isLatticeError(thrown(() => network.on('send', undefined as never)), InvalidArgumentError.code)).toBe(true);
    expect(isLatticeError(thrown(() => new MemoryNetwork({ clock: {} as never })), InvalidArgumentError.code)).toBe(true);
  });

  it('accounts for every copy: sent + duplicated = delivered + dropped, events agree with stats (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.boolean()), { maxLength: 60 }),
        async (seed, dropRate, duplicateRate, sends) => {
          const ids = ['a', 'b', 'c'];
          const { clock, network, seen, send } = await observed(ids, { seed, faults: { dropRate, duplicateRate, latency: { min: 0, max: 20 } } });
          for (const [from, to, flip] of sends) {
            if (flip) network.partition({ x: ['a'], y: ['b', 'c'] });
            else network.heal();
            await send(ids[from]!, ids[to]!);
          }
          clock.advance(100);
          const stats = network.stats();
          expect(stats.sent + stats.duplicated).toBe(stats.delivered + stats.dropped);
          expect(seen.send.map((event) => event.id)).toEqual(sends.map((_, i) => i + 1));
          expect(seen.deliver.length).toBe(stats.delivered);
          expect(seen.drop.length).toBe(stats.dropped);
          expect(seen.duplicate.length).toBe(stats.duplicated);
        },
      ),
      { numRuns: 100 },
    );
  });
});
