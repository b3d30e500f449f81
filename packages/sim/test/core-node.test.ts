import { type Codec, DecodeError, emptyReady, InvalidArgumentError, type NodeId, type ProtocolCore, ProtocolViolationError, type Ready, type RecordSink, seededRandom } from '@lattice/core';
import { describe, expect, it } from 'vitest';
import { DiskRecordLog, SimDisk, Simulation, SimulationError, simulationSeeds } from '../src/index.js';
import { runRaft } from './support/raft-run.js';

/** A core that answers every `ping` with an `ack` and, every `everyMs`, pings its peers. */
class PingCore implements ProtocolCore<string, never, string> {
  readonly #id: NodeId;
  readonly #peers: readonly NodeId[];
  readonly #everyMs: number;
  #next: number;
  #ready: Ready<string, never, string> = emptyReady();

  constructor(id: NodeId, peers: readonly NodeId[], now: number, everyMs: number) {
    this.#id = id;
    this.#peers = peers;
    this.#everyMs = everyMs;
    this.#next = now + everyMs;
  }

  step(from: NodeId, message: string): void {
    if (message !== 'ping' && message !== 'ack') throw new ProtocolViolationError(`not a ping or ack: ${JSON.stringify(message)}`);
    const out = message === 'ping' ? [{ to: from, message: 'ack' }] : [];
    this.#ready = { ...this.#ready, messages: [...this.#ready.messages, ...out], effects: [...this.#ready.effects, `${message} from ${from}`] };
  }

  tick(now: number): void {
    if (now < this.#next) return;
    this.#next = now + this.#everyMs;
    const pings = this.#peers.filter((peer) => peer !== this.#id).map((to) => ({ to, message: 'ping' }));
    this.#ready = { ...this.#ready, messages: [...this.#ready.messages, ...pings] };
  }

  wakeAt(): number {
    return this.#next;
  }

  hasReady(): boolean {
    return this.#ready.messages.length > 0 || this.#ready.effects.length > 0;
  }

  ready(): Ready<string, never, string> {
    return this.#ready;
  }

  advance(): void {
    this.#ready = emptyReady();
  }
}

/** {@link PingCore} that persists (and syncs) a record of every ping before acknowledging it. */
class LoggingPingCore implements ProtocolCore<string, string, string> {
  readonly #inner: PingCore;
  #pings = 0;

  constructor(id: NodeId, peers: readonly NodeId[], now: number, everyMs: number) {
    this.#inner = new PingCore(id, peers, now, everyMs);
  }

  step(from: NodeId, message: string): void {
    this.#inner.step(from, message);
    if (message === 'ping') this.#pings++;
  }

  tick(now: number): void {
    this.#inner.tick(now);
  }

  wakeAt(): number {
    return this.#inner.wakeAt();
  }

  hasReady(): boolean {
    return this.#inner.hasReady();
  }

  ready(): Ready<string, string, string> {
    const persist = Array.from({ length: this.#pings }, (_, i) => `ping ${i}`);
    return { ...this.#inner.ready(), persist, mustSync: persist.length > 0 };
  }

  advance(): void {
    this.#pings = 0;
    this.#inner.advance();
  }
}

const text: Codec<string> = {
  encode: (value) => new TextEncoder().encode(value),
  decode: (bytes) => {
    const value = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    if (value.length === 0) throw new DecodeError('empty message');
    return value;
  },
};

describe('a protocol core in the simulator', () => {
  it('sends its replies inside the delivery event that caused them, and the run needs no settling', async () => {
    const effects: string[] = [];
    const result = await new Simulation({
      seed: 3,
      nodes: 3,
      network: { latency: { min: 1, max: 5 } },
      node: (ctx) => ctx.runCore({ core: new PingCore(ctx.id, ctx.nodes, ctx.clock.monotonic(), 40), codec: text, apply: (effect) => effects.push(effect) }),
    }).run({ duration: 500 });
    const events = result.events;
    let acks = 0;
    events.forEach((event, i) => {
      if (event.kind !== 'send' || event.bytes !== 3) return;
      acks++;
      // Each ack is logged right after the delivery of the ping that caused it, at the same virtual time.
      const cause = events[i - 1];
      expect(cause).toMatchObject({ kind: 'deliver', time: event.time, node: event.node, peer: event.peer });
    });
    expect(acks).toBeGreaterThan(50);
    expect(effects.filter((effect) => effect.startsWith('ack')).length).toBeGreaterThan(50);
    expect(result.stats.settles).toBe(0);
  });

  it('still settles async node code: a reply sent after an await leaves at the same virtual time', async () => {
    const result = await new Simulation({
      seed: 3,
      nodes: 2,
      node: (ctx) => {
        ctx.endpoint.onMessage(async (message) => {
          await Promise.resolve();
          if (message.payload[0] === 1) void ctx.endpoint.send(message.from, new Uint8Array([2]));
        });
        if (ctx.id === 'n1') ctx.timers.setTimeout(() => void ctx.endpoint.send('n2', new Uint8Array([1])), 10);
      },
    }).run({ duration: 100 });
    const deliver = result.events.find((event) => event.kind === 'deliver' && event.node === 'n2')!;
    const reply = result.events.find((event) => event.kind === 'send' && event.node === 'n2')!;
    expect(reply.time).toBe(deliver.time);
    expect(result.stats.settles).toBeGreaterThan(0);
  });

  it('runs a core whose storage is asynchronous, settling after each write', async () => {
    const written: string[] = [];
    const storage: RecordSink<string> = {
      persist: async (records) => {
        await Promise.resolve();
        written.push(...records);
      },
    };
    const result = await new Simulation({
      seed: 6,
      nodes: 2,
      node: (ctx) => ctx.runCore({ core: new LoggingPingCore(ctx.id, ctx.nodes, ctx.clock.monotonic(), 40), codec: text, storage }),
    }).run({ duration: 300 });
    const events = result.events;
    const acks = events.filter((event) => event.kind === 'send' && event.bytes === 3);
    expect(acks.length).toBeGreaterThan(10);
    // Each ack leaves after its record was written, still at the virtual time of the ping's delivery.
    for (const ack of acks) expect(events.some((event) => event.kind === 'deliver' && event.time === ack.time && event.node === ack.node)).toBe(true);
    expect(written.length).toBeGreaterThanOrEqual(acks.length);
    expect(result.stats.settles).toBeGreaterThan(0);
  });

  it('stops the core when its node crashes, and builds a new one on restart', async () => {
    const drivers: { incarnation: number; stopped: () => boolean }[] = [];
    const sim = new Simulation({
      seed: 4,
      nodes: 2,
      node: (ctx) => {
        const driver = ctx.runCore({ core: new PingCore(ctx.id, ctx.nodes, ctx.clock.monotonic(), 10), codec: text });
        drivers.push({ incarnation: ctx.incarnation, stopped: () => driver.stopped });
        return driver;
      },
    });
    sim.at(50, () => sim.crash('n1'));
    sim.at(80, () => sim.restart('n1'));
    const result = await sim.run({ duration: 120 });
    expect(drivers.map((d) => [d.incarnation, d.stopped()])).toEqual([
      [1, true],
      [1, true],
      [2, true],
    ]);
    // n1 sent nothing while down.
    expect(result.events.filter((event) => event.kind === 'send' && event.node === 'n1' && event.time > 50 && event.time < 80)).toEqual([]);
    expect(result.events.some((event) => event.kind === 'send' && event.node === 'n1' && event.time > 80)).toBe(true);
  });

  it('counts what the driver rejects as a node error', async () => {
    const make = (allowNodeErrors: boolean) =>
      new Simulation({
        seed: 5,
        nodes: ['core', 'peer'],
        allowNodeErrors,
        node: (ctx) => {
          if (ctx.id === 'core') return ctx.runCore({ core: new PingCore(ctx.id, ['core'], ctx.clock.monotonic(), 1_000), codec: text });
          ctx.timers.setTimeout(() => void ctx.endpoint.send('core', new TextEncoder().encode('garbage')), 5);
          return undefined;
        },
      }).run({ duration: 20 });
    const error = await make(false).catch((e: unknown) => e);
    expect((error as SimulationError).code).toBe(SimulationError.code);
    const result = await make(true);
    expect(result.errors).toEqual([`core core: ${ProtocolViolationError.name}: not a ping or ack: "garbage"`]);
  });

  it('runs Raft on the simulated disk through every fault, byte-identical on replay and without settling', async () => {
    let commands = 0;
    for (const seed of simulationSeeds({ count: 8 })) {
      const first = await runRaft(seed);
      const again = await runRaft(seed);
      expect(first.seen.violations, `seed ${seed}`).toEqual([]);
      expect(first.result.stats.settles, `seed ${seed}`).toBe(0);
      expect(first.result.stats.crashes + first.result.stats.network.dropped, `seed ${seed}: the run was faulty`).toBeGreaterThan(0);
      expect(again.result.log().join('\n')).toBe(first.result.log().join('\n'));
      expect(again.result.shiviz()).toBe(first.result.shiviz());
      expect(again.result.stats).toEqual(first.result.stats);
      expect([...again.seen.applied]).toEqual([...first.seen.applied]);
      // After the faults stop, the cluster recovers and commits again.
      expect(first.seen.commands, `seed ${seed}: nothing committed`).toBeGreaterThan(0);
      commands += first.seen.commands;
    }
    expect(commands).toBeGreaterThan(50);
  });
});

describe('DiskRecordLog', () => {
  const codec = text;

  it('gives back what was persisted, and after a crash at least what was synced, as a prefix', () => {
    const disk = new SimDisk({ tornWrites: true });
    const log = new DiskRecordLog(disk, { file: 'log', codec });
    log.persist(['a', 'bb'], { sync: true });
    log.persist(['ccc'], { sync: false });
    expect(log.load()).toEqual(['a', 'bb', 'ccc']);
    for (let seed = 1; seed <= 40; seed++) {
      const copy = new SimDisk({ tornWrites: true });
      const again = new DiskRecordLog(copy, { file: 'log', codec });
      again.persist(['a', 'bb'], { sync: true });
      again.persist(['ccc', 'dddd'], { sync: false });
      copy.crash(seededRandom(seed));
      const loaded = again.load();
      expect(['a', 'bb', 'ccc', 'dddd'].slice(0, loaded.length)).toEqual(loaded);
      expect(loaded.length).toBeGreaterThanOrEqual(2);
      // A torn tail is cut off, so what is appended next reads back whole.
      again.persist(['e'], { sync: true });
      expect(again.load()).toEqual([...loaded, 'e']);
    }
  });

  it('a torn tail cut off at load stays cut off when the next unsynced append is torn too', () => {
    // The cut used to be an unsynced overwrite: a second crash lost it while a prefix of the next
    // append landed after the old torn bytes, which then read back as a record of garbage (often
    // of length zero). Every load must give a prefix of what was persisted.
    let torn = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const random = seededRandom(seed);
      const disk = new SimDisk({ tornWrites: true });
      const log = new DiskRecordLog(disk, { file: 'log', codec });
      log.persist(['a', 'bb'], { sync: true });
      log.persist(['ccc', 'dddd'], { sync: false });
      if (disk.crash(random).torn !== undefined) torn++;
      const first = log.load();
      expect(['a', 'bb', 'ccc', 'dddd'].slice(0, first.length), `seed ${seed}`).toEqual(first);
      log.persist(['eeeee', 'ffffff'], { sync: false });
      disk.crash(random);
      const second = log.load();
      expect([...first, 'eeeee', 'ffffff'].slice(0, second.length), `seed ${seed}`).toEqual(second);
      expect(second.length, `seed ${seed}`).toBeGreaterThanOrEqual(2);
    }
    expect(torn).toBeGreaterThan(100);
  });

  it('refuses what is not a disk, a file name or a codec', () => {
    const disk = new SimDisk();
    for (const make of [
      () => new DiskRecordLog(undefined as never, { file: 'x', codec }),
      () => new DiskRecordLog(disk, undefined as never),
      () => new DiskRecordLog(disk, { file: '', codec }),
      () => new DiskRecordLog(disk, { file: 'x', codec: {} as never }),
    ]) {
      expect(make).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
    }
  });
});
