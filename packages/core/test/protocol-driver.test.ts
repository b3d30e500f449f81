import { describe, expect, it } from 'vitest';
import {
  ClosedError,
  type Codec,
  DecodeError,
  type Endpoint,
  type Envelope,
  HandlerError,
  InvalidArgumentError,
  jsonCodec,
  type LatticeError,
  type MessageHandler,
  type NodeId,
  NodeStoppedError,
  type Outbound,
  type ProtocolCore,
  ProtocolDriver,
  ProtocolViolationError,
  type Ready,
  type RecordSink,
} from '../src/index.js';
import { ManualClock } from '../src/testing/manual-clock.js';

// A small protocol for the driver's tests: `write(v)` persists v (synced), then tells the peer
// "stored v" and reports the effect "wrote v"; every 100 ms it pings the peer (a message that
// depends on nothing durable, sent early).
type Msg = { kind: 'stored'; value: number } | { kind: 'ping' };

class EchoCore implements ProtocolCore<Msg, number, string> {
  readonly peer: NodeId;
  now = 0;
  nextPing = 100;
  received: string[] = [];
  #persist: number[] = [];
  #messages: Outbound<Msg>[] = [];
  #early: Outbound<Msg>[] = [];
  #effects: string[] = [];
  failOnStep = false;

  constructor(peer: NodeId) {
    this.peer = peer;
  }

  write(value: number): void {
    if (!Number.isInteger(value)) throw new InvalidArgumentError('value must be an integer');
    this.#persist.push(value);
    this.#messages.push({ to: this.peer, message: { kind: 'stored', value } });
    this.#effects.push(`wrote ${value}`);
  }

  step(from: NodeId, message: Msg): void {
    if (this.failOnStep) throw new Error('bug');
    if (message.kind === 'stored') {
      if (typeof message.value !== 'number') throw new ProtocolViolationError('stored needs a number', { peer: from });
      this.received.push(`${from} stored ${message.value}`);
    } else if (message.kind === 'ping') {
      this.received.push(`${from} ping`);
    } else {
      throw new ProtocolViolationError('unknown message kind', { peer: from });
    }
  }

  tick(now: number): void {
    this.now = now;
    while (this.nextPing <= now) {
      this.#early.push({ to: this.peer, message: { kind: 'ping' } });
      this.nextPing += 100;
    }
  }

  wakeAt(): number | undefined {
    return this.nextPing;
  }

  hasReady(): boolean {
    return this.#persist.length + this.#messages.length + this.#early.length + this.#effects.length > 0;
  }

  ready(): Ready<Msg, number, string> {
    const persist = this.#persist.splice(0);
    return {
      sendEarly: this.#early.splice(0),
      persist,
      mustSync: persist.length > 0,
      messages: this.#messages.splice(0),
      effects: this.#effects.splice(0),
    };
  }

  advance(): void {}
}

/** EchoCore as a pipelined core: hands out a Ready per write while earlier ones are in flight, and records what it was advanced with. */
class PipelinedEchoCore extends EchoCore {
  readonly pipelined = true;
  advanced: number[][] = [];

  override advance(ready?: Ready<Msg, number, string>): void {
    this.advanced.push([...(ready?.persist ?? [])]);
  }
}

/** Two endpoints whose messages wait in a queue until `flush()`, so a test sees every step. */
function linkedEndpoints(): { a: Endpoint; b: Endpoint; sent: Envelope[]; flush(): void } {
  const handlers = new Map<NodeId, Set<MessageHandler>>();
  const sent: Envelope[] = [];
  let queue: Envelope[] = [];
  const make = (id: NodeId): Endpoint => {
    handlers.set(id, new Set());
    return {
      id,
      maxMessageSize: 1 << 20,
      closed: false,
      send: async (to, payload) => {
        const envelope = { from: id, to, payload };
        sent.push(envelope);
        queue.push(envelope);
      },
      onMessage: (handler) => {
        handlers.get(id)?.add(handler);
        return () => handlers.get(id)?.delete(handler);
      },
      onError: () => () => undefined,
      close: async () => undefined,
      [Symbol.asyncDispose]: async () => undefined,
      [Symbol.asyncIterator]: () => {
        throw new Error('not used by these tests');
      },
    };
  };
  const a = make('a');
  const b = make('b');
  return {
    a,
    b,
    sent,
    flush() {
      const due = queue;
      queue = [];
      for (const envelope of due) for (const handler of handlers.get(envelope.to) ?? []) handler(envelope);
    },
  };
}

const codec: Codec<Msg> = jsonCodec<Msg>();
const decode = (envelope: Envelope): Msg => codec.decode(envelope.payload);

class DeferredStorage implements RecordSink<number> {
  written: number[][] = [];
  pending: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  persist(records: readonly number[]): Promise<void> {
    this.written.push([...records]);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ProtocolDriver', () => {
  it('sends the messages and applies the effects of a batch only after its records are durable', async () => {
    const clock = new ManualClock();
    const net = linkedEndpoints();
    const storage = new DeferredStorage();
    const applied: string[] = [];
    const core = new EchoCore('b');
    const driver = new ProtocolDriver({ core, endpoint: net.a, codec, storage, clock, timers: clock, apply: (e) => applied.push(e) });
    driver.run((c) => (c as EchoCore).write(1));
    expect(storage.written).toEqual([[1]]);
    expect(net.sent).toEqual([]);
    expect(applied).toEqual([]);
    // Writes made while the sync runs wait for the next batch, which then carries them all.
    driver.run((c) => (c as EchoCore).write(2));
    driver.run((c) => (c as EchoCore).write(3));
    expect(storage.written).toEqual([[1]]);
    storage.pending[0]?.resolve();
    await settle();
    expect(net.sent.map(decode)).toEqual([{ kind: 'stored', value: 1 }]);
    expect(applied).toEqual(['wrote 1']);
    expect(storage.written).toEqual([[1], [2, 3]]);
    storage.pending[1]?.resolve();
    await settle();
    expect(net.sent.map(decode).map((m) => (m.kind === 'stored' ? m.value : 0))).toEqual([1, 2, 3]);
    expect(driver.stats()).toMatchObject({ messagesSent: 3, recordsPersisted: 3, syncs: 2, readies: 2 });
    await driver.stop();
  });

  it('runs synchronously with synchronous storage: outputs have left before run() returns', () => {
    const clock = new ManualClock();
    const net = linkedEndpoints();
    const log: number[] = [];
    const driver = new ProtocolDriver({
      core: new EchoCore('b'),
      endpoint: net.a,
      codec,
      storage: { persist: (records) => void log.push(...records) },
      clock,
      timers: clock,
    });
    driver.run((c) => (c as EchoCore).write(7));
    expect(log).toEqual([7]);
    expect(net.sent.map(decode)).toEqual([{ kind: 'stored', value: 7 }]);
  });

  it('sends early messages before the batch is durable and wakes the core at its deadline', async () => {
    const clock = new ManualClock();
    const net = linkedEndpoints();
    const storage = new DeferredStorage();
    const core = new EchoCore('b');
    const driver = new ProtocolDriver({ core, endpoint: net.a, codec, storage, clock, timers: clock });
    driver.run((c) => (c as EchoCore).write(1));
    clock.advance(250);
    // Two pings are due, but a batch is in flight: ticks still reach the core, their pings wait.
    expect(core.now).toBe(200);
    storage.pending[0]?.resolve();
    await settle();
    expect(net.sent.map(decode)).toEqual([{ kind: 'stored', value: 1 }, { kind: 'ping' }, { kind: 'ping' }]);
    expect(clock.pendingTimers).toBe(1);
    await driver.stop();
    expect(clock.pendingTimers).toBe(0);
  });

  it('reports garbage and protocol violations as typed errors and changes nothing', () => {
    const clock = new ManualClock();
    const net = linkedEndpoints();
    const core = new EchoCore('a');
    const errors: LatticeError[] = [];
    const driver = new ProtocolDriver({ core, endpoint: net.b, codec, clock, timers: clock });
    driver.on('error', (error) => errors.push(error));
    void net.a.send('b', new Uint8Array([0xff, 0x00, 0x7b]));
    void net.a.send('b', new TextEncoder().encode('{"kind":"stored","value":"x"}'));
    void net.a.send('b', new TextEncoder().encode('{"kind":"nope"}'));
    void net.a.send('b', codec.encode({ kind: 'stored', value: 5 }));
    net.flush();
    expect(errors.map((e) => e.code)).toEqual([DecodeError.code, ProtocolViolationError.code, ProtocolViolationError.code]);
    expect(core.received).toEqual(['a stored 5']);
    expect(driver.stats()).toMatchObject({ messagesReceived: 4, rejected: 3 });
    expect(driver.stopped).toBe(false);
  });

  it('ignores, without decoding or counting, messages its filter does not accept', () => {
    const clock = new ManualClock();
    const net = linkedEndpoints();
    const errors: LatticeError[] = [];
    const driver = new ProtocolDriver({
      core: new EchoCore('a'),
      endpoint: net.b,
      codec,
      clock,
      timers: clock,
      accepts: (payload) => payload[0] === 0x7b,
    });
    driver.on('error', (error) => errors.push(error));
    void net.a.send('b', new Uint8Array([1, 2, 3]));
    net.flush();
    expect(errors).toEqual([]);
    expect(driver.stats().messagesReceived).toBe(0);
  });

  it('stops the node when storage fails, without sending what depended on it', async () => {
    const clock = new ManualClock();
    const net = linkedEndpoints();
    const storage = new DeferredStorage();
    const driver = new ProtocolDriver({ core: new EchoCore('b'), endpoint: net.a, codec, storage, clock, timers: clock });
    const stops: (LatticeError | undefined)[] = [];
    driver.on('stopped', (reason) => stops.push(reason));
    driver.run((c) => (c as EchoCore).write(1));
    storage.pending[0]?.reject(new Error('EIO'));
    await settle();
    expect(net.sent).toEqual([]);
    expect(driver.stopped).toBe(true);
    expect(stops.map((s) => s?.code)).toEqual([NodeStoppedError.code]);
    expect(() => driver.run((c) => (c as EchoCore).write(2))).toThrow(ClosedError);
    expect(clock.pendingTimers).toBe(0);
  });

  it('stops the node when the core throws something other than a typed error', () => {
    const clock = new ManualClock();
    const net = linkedEndpoints();
    const core = new EchoCore('a');
    const driver = new ProtocolDriver({ core, endpoint: net.b, codec, clock, timers: clock });
    const errors: LatticeError[] = [];
    driver.on('error', (error) => errors.push(error));
    core.failOnStep = true;
    void net.a.send('b', codec.encode({ kind: 'ping' }));
    net.flush();
    expect(driver.stopped).toBe(true);
    expect(errors.map((e) => e.code)).toEqual([NodeStoppedError.code]);
  });

  it('passes a typed error from a local request to its caller and keeps running', () => {
    const clock = new ManualClock();
    const net = linkedEndpoints();
    const driver = new ProtocolDriver({ core: new EchoCore('b'), endpoint: net.a, codec, storage: { persist: () => undefined }, clock, timers: clock });
    expect(() => driver.run((c) => (c as EchoCore).write(1.5))).toThrow(InvalidArgumentError);
    expect(driver.stopped).toBe(false);
    driver.run((c) => (c as EchoCore).write(2));
    expect(net.sent.length).toBe(1);
  });

  it('isolates an effect handler that throws', () => {
    const clock = new ManualClock();
    const net = linkedEndpoints();
    const errors: LatticeError[] = [];
    const seen: string[] = [];
    const driver = new ProtocolDriver({
      core: new EchoCore('b'),
      endpoint: net.a,
      codec,
      storage: { persist: () => undefined },
      clock,
      timers: clock,
      apply: () => {
        throw new Error('app bug');
      },
    });
    driver.on('error', (error) => errors.push(error));
    driver.on('effect', (effect) => seen.push(effect));
    driver.run((c) => (c as EchoCore).write(1));
    expect(errors.map((e) => e.code)).toEqual([HandlerError.code]);
    expect(seen).toEqual(['wrote 1']);
    expect(net.sent.length).toBe(1);
  });

  it('pipelined: takes the next Ready while a write is in flight, sends its messages and advances only in order, once durable', async () => {
    const clock = new ManualClock();
    const net = linkedEndpoints();
    const storage = new DeferredStorage();
    const applied: string[] = [];
    const core = new PipelinedEchoCore('b');
    const driver = new ProtocolDriver({ core, endpoint: net.a, codec, storage, clock, timers: clock, apply: (e) => applied.push(e) });
    driver.run((c) => (c as EchoCore).write(1));
    driver.run((c) => (c as EchoCore).write(2));
    await Promise.resolve(); // the second write was gathered until the end of that synchronous run
    expect(storage.written).toEqual([[1], [2]]);
    // Effects of a pipelined core depend only on what is durable already: applied when handed out.
    expect(applied).toEqual(['wrote 1', 'wrote 2']);
    clock.advance(100);
    await Promise.resolve();
    expect(net.sent.map(decode)).toEqual([{ kind: 'ping' }]);
    // The second write finishing first sends nothing: the first is not durable yet.
    storage.pending[1]?.resolve();
    await settle();
    expect(net.sent.map(decode)).toEqual([{ kind: 'ping' }]);
    expect(core.advanced).toEqual([]);
    storage.pending[0]?.resolve();
    await settle();
    expect(net.sent.map(decode)).toEqual([{ kind: 'ping' }, { kind: 'stored', value: 1 }, { kind: 'stored', value: 2 }]);
    // The ping's Ready (nothing to persist) waited behind the writes handed out before it.
    expect(core.advanced).toEqual([[1], [2], []]);
    expect(driver.stats()).toMatchObject({ readies: 3, syncs: 2 });
    await driver.stop();
  });

  it('pipelined: inputs of one synchronous run share one Ready while a write is in flight', async () => {
    const clock = new ManualClock();
    const net = linkedEndpoints();
    const storage = new DeferredStorage();
    const driver = new ProtocolDriver({ core: new PipelinedEchoCore('b'), endpoint: net.a, codec, storage, clock, timers: clock });
    driver.run((c) => (c as EchoCore).write(1));
    for (const value of [2, 3, 4]) driver.run((c) => (c as EchoCore).write(value));
    expect(storage.written).toEqual([[1]]);
    await Promise.resolve();
    expect(storage.written).toEqual([[1], [2, 3, 4]]);
    for (const write of storage.pending) write.resolve();
    await settle();
    expect(net.sent.map(decode).map((m) => (m.kind === 'stored' ? m.value : 0))).toEqual([1, 2, 3, 4]);
    await driver.stop();
  });

  it('pipelined: a failed write stops the node; nothing of it or of any later Ready is sent, even if a later write succeeded', async () => {
    const clock = new ManualClock();
    const net = linkedEndpoints();
    const storage = new DeferredStorage();
    const core = new PipelinedEchoCore('b');
    const driver = new ProtocolDriver({ core, endpoint: net.a, codec, storage, clock, timers: clock });
    const stops: (LatticeError | undefined)[] = [];
    driver.on('stopped', (reason) => stops.push(reason));
    driver.run((c) => (c as EchoCore).write(1));
    driver.run((c) => (c as EchoCore).write(2));
    await Promise.resolve();
    storage.pending[1]?.resolve();
    storage.pending[0]?.reject(new Error('EIO'));
    await settle();
    expect(net.sent).toEqual([]);
    expect(core.advanced).toEqual([]);
    expect(stops.map((s) => s?.code)).toEqual([NodeStoppedError.code]);
    await driver.stop();
  });

  it('encodes a message sent to several peers in a row once', () => {
    const clock = new ManualClock();
    const net = linkedEndpoints();
    let encodes = 0;
    const counting: Codec<Msg> = {
      encode: (m) => {
        encodes++;
        return codec.encode(m);
      },
      decode: codec.decode,
    };
    const shared: Msg = { kind: 'ping' };
    const core = new EchoCore('b');
    core.ready = () => ({ sendEarly: [{ to: 'b', message: shared }, { to: 'a', message: shared }, { to: 'b', message: { kind: 'ping' } }], persist: [], mustSync: false, messages: [], effects: [] });
    let handedOut = false;
    core.hasReady = () => !handedOut && (handedOut = true);
    new ProtocolDriver({ core, endpoint: net.a, codec: counting, clock, timers: clock });
    expect(net.sent.map((e) => e.to)).toEqual(['b', 'a', 'b']);
    expect(encodes).toBe(2);
  });

  it('refuses a core that persists without storage, and bad options', () => {
    const clock = new ManualClock();
    const net = linkedEndpoints();
    const driver = new ProtocolDriver({ core: new EchoCore('b'), endpoint: net.a, codec, clock, timers: clock });
    const stops: (LatticeError | undefined)[] = [];
    driver.on('stopped', (reason) => stops.push(reason));
    driver.run((c) => (c as EchoCore).write(1));
    expect(driver.stopped).toBe(true);
    expect(stops[0]?.code).toBe(NodeStoppedError.code);
    expect(net.sent).toEqual([]);
    for (const bad of [undefined, {}, { core: new EchoCore('b') }, { core: new EchoCore('b'), endpoint: net.a }]) {
      expect(() => new ProtocolDriver(bad as never)).toThrow(InvalidArgumentError);
    }
  });
});
