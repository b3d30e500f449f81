/**
 * The test configuration of MIT 6.5840's Raft labs (`config.go`), rebuilt on `@lattice/sim`:
 * servers are `RaftCore`s on `DiskRecordLog` (synchronous, so each test is deterministic and
 * runs in virtual time), a test is a script run as the simulation's one client, and the same
 * checks are offered — one leader, agreed terms, how many servers committed an index (and that
 * they committed the same command there), `one()` to get a command committed.
 */
import type { Codec, NodeId, ProtocolDriver } from '@lattice/core';
import { type ClientContext, DiskRecordLog, type NodeContext, Simulation } from '@lattice/sim';
import { type RaftEffect, type RaftMessage, RaftCore, type RaftRecord, raftMessageCodec, raftRecordCodec, replayRaftRecords } from '../../src/index.js';

export const ELECTION_TIMEOUT = 200;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

type Driver = ProtocolDriver<RaftMessage, RaftRecord, RaftEffect>;

export interface LabOptions {
  servers: number;
  seed?: number;
  /** Drop 10% of messages and delay or reorder others (the labs' unreliable network). */
  unreliable?: boolean;
  /** Take a snapshot every this many applied entries (2D). */
  snapshotEvery?: number;
}

export class Lab {
  readonly ids: NodeId[];
  readonly cores = new Map<NodeId, RaftCore>();
  /** What each server applied: index → command (rebuilt from its snapshot after a restart). */
  readonly logs = new Map<NodeId, Map<number, string>>();
  readonly bytesSent = new Map<NodeId, number>();
  readonly messagesSent = new Map<NodeId, number>();
  readonly #disconnected = new Set<NodeId>();
  readonly sim: Simulation<Driver, string, unknown>;
  #client: ClientContext<Driver, string, unknown> | undefined;
  #script: ((lab: Lab) => Promise<void>) | undefined;
  #failure: unknown;
  #done = false;
  #error: unknown;
  /** Highest index any server applied a snapshot or entry for. */
  maxIndex = 0;

  constructor(options: LabOptions) {
    this.ids = Array.from({ length: options.servers }, (_, i) => `s${i}`);
    const node = (ctx: NodeContext): Driver => {
      const storage = new DiskRecordLog(ctx.disk, { file: 'raft', codec: raftRecordCodec() });
      const stored = replayRaftRecords(storage.load());
      const core = new RaftCore({ id: ctx.id, voters: this.ids, stored, now: ctx.clock.monotonic(), random: ctx.random, electionTimeoutMs: ELECTION_TIMEOUT, heartbeatIntervalMs: 50 });
      this.cores.set(ctx.id, core);
      const log = new Map<number, string>();
      if (stored.snapshot !== undefined) this.#restore(log, stored.snapshot.data);
      this.logs.set(ctx.id, log);
      let sinceSnapshot = 0;
      const driver = ctx.runCore({
        core,
        codec: this.#counting(ctx.id, raftMessageCodec()),
        storage,
        apply: (effect) => {
          if (effect.type === 'restore') {
            log.clear();
            this.#restore(log, effect.snapshot.data);
          } else if (effect.type === 'apply') {
            for (const entry of effect.entries) {
              if (entry.type !== 'normal' || entry.data.byteLength === 0) continue;
              this.#applied(ctx.id, log, entry.index, decoder.decode(entry.data));
            }
            sinceSnapshot += effect.entries.length;
            if (options.snapshotEvery !== undefined && sinceSnapshot >= options.snapshotEvery) {
              sinceSnapshot = 0;
              const last = effect.entries[effect.entries.length - 1]!.index;
              core.compact(encoder.encode(JSON.stringify([...log].filter(([index]) => index <= last))), last);
            }
          }
        },
      });
      return driver;
    };
    this.sim = new Simulation<Driver, string, unknown>({
      seed: options.seed ?? 1,
      nodes: this.ids,
      node,
      faults: false,
      network: options.unreliable === true ? { dropRate: 0.1, reorderRate: 0.2, latency: { min: 0, max: 27 } } : { latency: { min: 1, max: 3 } },
      clients: {
        count: 1,
        timeoutMs: 60_000,
        run: async (client) => {
          this.#client = client;
          try {
            await this.#script?.(this);
          } catch (error) {
            this.#failure = error;
          } finally {
            this.#done = true;
          }
        },
      },
    });
  }

  #counting(id: NodeId, codec: Codec<RaftMessage>): Codec<RaftMessage> {
    return {
      encode: (message) => {
        const bytes = codec.encode(message);
        this.bytesSent.set(id, (this.bytesSent.get(id) ?? 0) + bytes.byteLength);
        this.messagesSent.set(id, (this.messagesSent.get(id) ?? 0) + 1);
        return bytes;
      },
      decode: (bytes) => codec.decode(bytes),
    };
  }

  #restore(log: Map<number, string>, data: Uint8Array): void {
    for (const [index, command] of JSON.parse(decoder.decode(data)) as [number, string][]) log.set(index, command);
  }

  /** Like the labs' applier: the same index must hold the same command on every server. */
  #applied(id: NodeId, log: Map<number, string>, index: number, command: string): void {
    for (const [other, otherLog] of this.logs) {
      const theirs = otherLog.get(index);
      if (theirs !== undefined && theirs !== command) this.#error ??= new Error(`commit index=${index} server=${id} ${command} != server=${other} ${theirs}`);
    }
    log.set(index, command);
    this.maxIndex = Math.max(this.maxIndex, index);
  }

  /** Runs a test script in virtual time (as the simulation's client); fails with the first inconsistency found. */
  async run(script: (lab: Lab) => Promise<void>, durationMs = 600_000): Promise<void> {
    this.#script = script;
    await this.sim.run({ duration: durationMs, stopWhenClientsDone: true });
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#error !== undefined) throw this.#error;
    if (!this.#done) throw new Error('the test script did not finish within the simulated time');
  }

  sleep(ms: number): Promise<void> {
    return this.#client!.sleep(ms);
  }

  connected(id: NodeId): boolean {
    return !this.#disconnected.has(id) && this.sim.isUp(id);
  }

  disconnect(id: NodeId): void {
    this.#disconnected.add(id);
    this.sim.isolate(id);
  }

  connect(id: NodeId): void {
    this.#disconnected.delete(id);
    this.sim.heal();
    for (const other of this.#disconnected) this.sim.isolate(other);
  }

  crash(id: NodeId): void {
    this.sim.crash(id);
  }

  restart(id: NodeId): void {
    this.sim.crash(id);
    this.sim.restart(id);
  }

  setUnreliable(unreliable: boolean): void {
    this.sim.setNetworkFaults(unreliable ? { dropRate: 0.1, reorderRate: 0.2, latency: { min: 0, max: 27 } } : { dropRate: 0, reorderRate: 0, latency: { min: 1, max: 3 } });
  }

  /** Submits `command` at server `id`: its index and term if it leads, else undefined. */
  start(id: NodeId, command: string): { index: number; term: number } | undefined {
    const driver = this.sim.handle(id);
    const core = this.cores.get(id);
    if (driver === undefined || core === undefined || core.role !== 'leader') return undefined;
    try {
      return driver.run(() => core.propose(encoder.encode(command)));
    } catch {
      return undefined;
    }
  }

  /** The labs' checkOneLeader: retries for a while, then expects exactly one leader in the newest term among connected servers. */
  async checkOneLeader(): Promise<NodeId> {
    for (let attempt = 0; attempt < 10; attempt++) {
      await this.sleep(450 + this.#client!.random.int(100));
      const byTerm = new Map<number, NodeId[]>();
      for (const id of this.ids) {
        const core = this.cores.get(id);
        if (this.connected(id) && core?.role === 'leader') byTerm.set(core.term, [...(byTerm.get(core.term) ?? []), id]);
      }
      for (const [term, leaders] of byTerm) if (leaders.length > 1) throw new Error(`term ${term} has ${leaders.length} (>1) leaders`);
      if (byTerm.size > 0) return byTerm.get(Math.max(...byTerm.keys()))![0]!;
    }
    throw new Error('expected one leader, got none');
  }

  async checkNoLeader(): Promise<void> {
    for (const id of this.ids) {
      if (this.connected(id) && this.cores.get(id)?.role === 'leader') throw new Error(`expected no leader among connected servers, but ${id} claims to be leader`);
    }
  }

  /** Every connected server agrees on the term; returns it. */
  checkTerms(): number {
    let term = -1;
    for (const id of this.ids) {
      if (!this.connected(id)) continue;
      const t = this.cores.get(id)!.term;
      if (term === -1) term = t;
      else if (t !== term) throw new Error('servers disagree on term');
    }
    return term;
  }

  /** How many servers think `index` is committed (applied), and the command there. */
  nCommitted(index: number): { count: number; command: string | undefined } {
    let count = 0;
    let command: string | undefined;
    for (const id of this.ids) {
      const got = this.logs.get(id)?.get(index);
      if (got === undefined) continue;
      if (command !== undefined && got !== command) throw new Error(`committed values do not match: index ${index}, ${command}, ${got}`);
      count++;
      command = got;
    }
    return { count, command };
  }

  /** Waits until at least `count` servers committed `index`; returns its command. */
  async wait(index: number, count: number, startTerm: number): Promise<string | undefined> {
    let pause = 10;
    for (let i = 0; i < 30; i++) {
      if (this.nCommitted(index).count >= count) break;
      await this.sleep(pause);
      if (pause < 1000) pause *= 2;
      if (startTerm > -1 && [...this.cores.values()].some((core) => core.term > startTerm)) return undefined; // someone moved on
    }
    const { count: got, command } = this.nCommitted(index);
    if (got < count) throw new Error(`only ${got} decided for index ${index}; wanted ${count}`);
    return command;
  }

  /**
   * The labs' one(): submits `command` to whichever server leads until it is committed by at
   * least `expected` servers, for up to 10 s (retrying at another leader if `retry`); returns its index.
   */
  async one(command: string, expected: number, retry: boolean): Promise<number> {
    const deadline = this.sim.now() + 10_000;
    let starts = 0;
    while (this.sim.now() < deadline) {
      let index = -1;
      for (let si = 0; si < this.ids.length; si++) {
        starts = (starts + 1) % this.ids.length;
        const id = this.ids[starts]!;
        if (!this.connected(id)) continue;
        const placed = this.start(id, command);
        if (placed !== undefined) {
          index = placed.index;
          break;
        }
      }
      if (index !== -1) {
        const until = this.sim.now() + 2_000;
        while (this.sim.now() < until) {
          const { count, command: there } = this.nCommitted(index);
          if (count > 0 && count >= expected && there === command) return index;
          await this.sleep(20);
        }
        if (!retry) throw new Error(`one(${command}) failed to reach agreement`);
      } else {
        await this.sleep(50);
      }
    }
    throw new Error(`one(${command}) failed to reach agreement`);
  }

  totalBytes(): number {
    return [...this.bytesSent.values()].reduce((a, b) => a + b, 0);
  }

  totalMessages(): number {
    return [...this.messagesSent.values()].reduce((a, b) => a + b, 0);
  }

  random(n: number): number {
    return this.#client!.random.int(n);
  }
}
