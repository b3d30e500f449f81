import { DecodeError, isLatticeError, type LatticeError, ProtocolViolationError } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import { MemoryNetwork } from '@lattice/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { CostExceedsLimitError, DistributedLimiter, GossipCounterState, type GossipMessage, InvalidCostError } from '../src/index.js';

const NODES = ['n0', 'n1', 'n2', 'n3', 'n4'];
const LIMIT = 100;
const WINDOW = 1000;
const MAX_UNSYNCED = 4;

interface Cluster {
  clock: ManualClock;
  network: MemoryNetwork;
  limiters: DistributedLimiter[];
  close(): Promise<void>;
}

async function cluster(faults: ConstructorParameters<typeof MemoryNetwork>[0] extends infer O ? (O extends { faults?: infer F } ? F : never) : never = {}): Promise<Cluster> {
  const clock = new ManualClock();
  const network = new MemoryNetwork({ timers: clock, seed: 7, faults });
  const limiters: DistributedLimiter[] = [];
  for (const id of NODES) {
    const endpoint = await network.open(id);
    limiters.push(new DistributedLimiter({ endpoint, nodes: NODES, limit: LIMIT, windowMs: WINDOW, syncIntervalMs: 10, maxUnsynced: MAX_UNSYNCED, peerTimeoutMs: 40, clock, timers: clock }));
  }
  return {
    clock,
    network,
    limiters,
    close: async () => {
      for (const limiter of limiters) await limiter.close();
      await network.close();
    },
  };
}

/** Every node gets one request per ms for `windows` windows; returns admissions per window and node. */
function drive(c: Cluster, windows: number, between?: (window: number, ms: number) => void): number[][] {
  const perWindow: number[][] = [];
  for (let w = 0; w < windows; w++) {
    const admitted = NODES.map(() => 0);
    for (let ms = 0; ms < WINDOW; ms++) {
      between?.(w, ms);
      c.limiters.forEach((limiter, i) => {
        if (limiter.decide('api').allowed) admitted[i]!++;
      });
      c.clock.advance(1);
    }
    perWindow.push(admitted);
  }
  return perWindow;
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

describe('DistributedLimiter over MemoryNetwork (5 nodes, even load)', () => {
  let current: Cluster | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });

  it('admits at most limit + (N-1) × maxUnsynced per window, and close to the limit', async () => {
    current = await cluster({ latency: { min: 1, max: 3 } });
    const bound = current.limiters[0]!.accuracyBound;
    expect(bound).toBe((NODES.length - 1) * MAX_UNSYNCED);
    const windows = drive(current, 8);
    for (const admitted of windows) {
      expect(sum(admitted)).toBeLessThanOrEqual(LIMIT + bound);
      expect(sum(admitted)).toBeGreaterThanOrEqual(LIMIT * 0.9);
      // Even load is shared roughly evenly.
      for (const count of admitted) expect(count).toBeGreaterThan(LIMIT / NODES.length / 2);
    }
  });

  it('keeps the bound when messages are dropped, duplicated, reordered and delayed', async () => {
    current = await cluster({ dropRate: 0.2, duplicateRate: 0.1, reorderRate: 0.3, latency: { min: 0, max: 15 } });
    const bound = current.limiters[0]!.accuracyBound;
    const windows = drive(current, 8);
    for (const admitted of windows) expect(sum(admitted)).toBeLessThanOrEqual(LIMIT + bound);
    expect(sum(windows.map(sum))).toBeGreaterThan(8 * LIMIT * 0.5);
  });

  it('a partitioned node keeps working on its share; the cluster stays within the bound; healing restores it', async () => {
    current = await cluster({ latency: { min: 1, max: 3 } });
    const c = current;
    const bound = c.limiters[0]!.accuracyBound;
    const share = Math.floor(LIMIT / NODES.length);
    // Isolate n4 from the middle of window 2 to the middle of window 6.
    const windows = drive(c, 9, (w, ms) => {
      if (w === 2 && ms === 500) c.network.isolate('n4');
      if (w === 6 && ms === 500) c.network.heal();
    });
    for (const w of [3, 4, 5]) {
      const admitted = windows[w]!;
      expect(admitted[4]).toBeGreaterThan(0); // the isolated node still serves...
      expect(admitted[4]).toBeLessThanOrEqual(share); // ...its share of the limit
      expect(sum(admitted.slice(0, 4))).toBeLessThanOrEqual(Math.floor((LIMIT * 4) / NODES.length) + 3 * MAX_UNSYNCED);
      expect(sum(admitted)).toBeLessThanOrEqual(LIMIT + bound);
    }
    for (const w of [7, 8]) {
      expect(sum(windows[w]!)).toBeLessThanOrEqual(LIMIT + bound);
      expect(sum(windows[w]!)).toBeGreaterThanOrEqual(LIMIT * 0.9);
    }
    // The transition windows are documented as at most 2 × limit + bound; here they stay far below.
    for (const w of [2, 6]) expect(sum(windows[w]!)).toBeLessThanOrEqual(2 * LIMIT + bound);
  });

  it('reports malformed messages, keeps working, and refuses bad costs', async () => {
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock });
    const a = await network.open('a');
    const b = await network.open('b');
    const errors: string[] = [];
    const limiter = new DistributedLimiter({ endpoint: a, nodes: ['a', 'b'], limit: 10, windowMs: 1000, clock, timers: clock, onError: (e) => errors.push((e as { code?: string }).code ?? e.name) });
    await b.send('a', new TextEncoder().encode('{"v":2}'));
    await b.send('a', new Uint8Array([0xff, 0xfe]));
    await b.send('a', new TextEncoder().encode('{"v":1,"e":[["k",1,[["b",-1]],0]]}'));
    clock.advance(1);
    expect(errors).toEqual([DecodeError.code, DecodeError.code, DecodeError.code]);
    expect((await limiter.consume('k')).allowed).toBe(true);
    const zero = await limiter.consume('k', 0).catch((e: unknown) => e);
    expect(isLatticeError(zero, InvalidCostError.code)).toBe(true);
    const huge = await limiter.consume('k', 11).catch((e: unknown) => e);
    expect(isLatticeError(huge, CostExceedsLimitError.code)).toBe(true);
    await limiter.close();
    await network.close();
  });
});

describe('DistributedLimiter on the protocol driver', () => {
  it('reports errors on on("error") and counts through stats(), a snapshot', async () => {
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock });
    const a = await network.open('a');
    const b = await network.open('b');
    const limiter = new DistributedLimiter({ endpoint: a, nodes: ['a', 'b'], limit: 10, windowMs: 1000, syncIntervalMs: 10, clock, timers: clock });
    const errors: LatticeError[] = [];
    const stop = limiter.on('error', (error) => errors.push(error));
    await b.send('a', new TextEncoder().encode('not json'));
    clock.advance(1);
    expect(errors.map((e) => e.code)).toEqual([DecodeError.code]);
    expect(limiter.stats()).toMatchObject({ decodeErrors: 1, messagesReceived: 0 });
    await b.send('a', new TextEncoder().encode('{"v":1,"e":[]}'));
    expect((await limiter.consume('k')).allowed).toBe(true);
    clock.advance(10); // one gossip round: our counter goes to b
    const snapshot = limiter.stats();
    expect(snapshot).toMatchObject({ decodeErrors: 1, messagesReceived: 1, messagesSent: 1, sendErrors: 0, keys: 1, livePeers: 1 });
    snapshot.messagesSent = 99;
    expect(limiter.stats().messagesSent).toBe(1);
    stop();
    await b.send('a', new Uint8Array([0xff]));
    clock.advance(1);
    expect(errors).toHaveLength(1);
    await limiter.close();
    await network.close();
  });

  it('its core is a ProtocolCore: time only from its inputs, wakeAt is the next gossip round', () => {
    const options = { nodes: ['a', 'b'], limit: 10, windowMs: 1000, maxUnsynced: 5, peerTimeoutMs: 40, syncIntervalMs: 10 };
    const a = new GossipCounterState({ id: 'a', ...options }, 0);
    const b = new GossipCounterState({ id: 'b', ...options }, 0);
    const wall = 1_700_000_000_000;
    expect(a.wakeAt()).toBe(10);
    a.observe(wall + 3, 3);
    expect(a.decide('k', 2, wall + 3, 3, true).allowed).toBe(true);
    a.tick(5);
    expect(a.hasReady()).toBe(false);
    a.observe(wall + 10, 10);
    a.tick(10);
    expect(a.wakeAt()).toBe(20);
    expect(a.hasReady()).toBe(true);
    const ready = a.ready();
    expect(a.hasReady()).toBe(false); // nothing more until advanced
    expect(ready.persist).toEqual([]);
    expect(ready.mustSync).toBe(false);
    expect(ready.messages.map((m) => m.to)).toEqual(['b']);
    a.advance(ready);
    b.observe(wall + 11, 11);
    for (const { message } of ready.messages) b.step('a', message);
    expect(b.decide('k', 9, wall + 11, 11, false)).toMatchObject({ allowed: false, reason: 'limit', remaining: 8 });
  });

  it('step refuses a malformed message with ProtocolViolationError and changes nothing', () => {
    const core = new GossipCounterState({ id: 'a', nodes: ['a', 'b'], limit: 10, windowMs: 1000, maxUnsynced: 5, peerTimeoutMs: 40 }, 0);
    core.observe(1_700_000_000_000, 0);
    const malformed = { v: 1, e: [['k', 1_700_000_000, [['b', 3]], 0], ['k2', 'not a window', [], 0]] } as unknown as GossipMessage;
    let error: unknown;
    try {
      core.step('b', malformed);
    } catch (caught) {
      error = caught;
    }
    expect(isLatticeError(error, ProtocolViolationError.code)).toBe(true);
    expect(core.keyCount).toBe(0);
  });

  it('splits a round into messages that fit the transport', async () => {
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock, maxMessageSize: 200 });
    const a = await network.open('a');
    const b = await network.open('b');
    const received: number[] = [];
    b.onMessage((envelope) => received.push(envelope.payload.byteLength));
    const limiter = new DistributedLimiter({ endpoint: a, nodes: ['a', 'b'], limit: 10, windowMs: 1000, syncIntervalMs: 10, clock, timers: clock });
    const errors: LatticeError[] = [];
    limiter.on('error', (error) => errors.push(error));
    for (let i = 0; i < 20; i++) limiter.decide(`key-${i}`);
    clock.advance(10);
    clock.advance(1);
    expect(errors).toEqual([]);
    expect(received.length).toBeGreaterThan(1);
    for (const size of received) expect(size).toBeLessThanOrEqual(200);
    expect(limiter.stats().messagesSent).toBe(received.length);
    await limiter.close();
    await network.close();
  });
});
