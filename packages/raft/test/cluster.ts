/**
 * A deterministic in-memory cluster of Raft cores for tests: messages wait in one queue and
 * are delivered in an order the test controls (or a seeded random one), every core's `Ready` is
 * carried out synchronously (persist, then send and apply) — or, with `asyncWrites`, its write
 * waits until the test syncs it, as `ProtocolDriver` carries out a pipelined core's `Ready`s —
 * nodes crash and restart from the records they synced, and the Raft safety invariants are
 * checked after every step.
 */
import { type NodeId, type Random, seededRandom } from '@lattice/core';
import {
  type Entry,
  type RaftCoreOptions,
  type RaftEffect,
  type RaftMessage,
  type RaftReady,
  type RaftRecord,
  RaftCore,
  replayRaftRecords,
  type Snapshot,
} from '../src/index.js';

export interface InFlight {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: RaftMessage;
}

export interface ClusterOptions {
  ids: readonly NodeId[];
  /** Voters of the initial configuration. Default: all ids. */
  voters?: readonly NodeId[];
  learners?: readonly NodeId[];
  seed?: number;
  core?: Partial<RaftCoreOptions>;
  /** Check the invariants after every step. Default true. */
  checkInvariants?: boolean;
  /**
   * Writes stay in flight until {@link Cluster.sync} (or a delivery helper) completes them, in
   * order per node, and a crash loses those still in flight: the early messages of a `Ready`
   * leave when it is handed out, its other messages once it is synced. Default false (each
   * `Ready` is synced at once).
   */
  asyncWrites?: boolean;
}

/** A `Ready` whose write is in flight. */
interface PendingWrite {
  readonly ready: RaftReady;
  readonly sync: boolean;
}

export class Cluster {
  readonly cores = new Map<NodeId, RaftCore>();
  readonly disks = new Map<NodeId, RaftRecord[]>();
  /** Records written without a sync: a crash loses them (as the page cache would). */
  readonly #unsynced = new Map<NodeId, RaftRecord[]>();
  /** Each node's `Ready`s whose write is in flight, oldest first (asyncWrites only). */
  readonly #pending = new Map<NodeId, PendingWrite[]>();
  /** Every entry each node applied, in order (survives crashes: the state machine is rebuilt by replay). */
  readonly applied = new Map<NodeId, Entry[]>();
  readonly snapshots = new Map<NodeId, Snapshot>();
  readonly readStates = new Map<NodeId, { index: number; context: string }[]>();
  queue: InFlight[] = [];
  now = 0;
  readonly random: Random;
  readonly #options: ClusterOptions;
  /** Links that drop messages: "from→to". */
  readonly #cut = new Set<string>();
  readonly #leaders = new Map<number, NodeId>();
  /** Every entry ever known committed, by index (for leader completeness and state machine safety). */
  readonly committed = new Map<number, Entry>();
  /** The term in which each committed index was first seen committed. */
  readonly #committedInTerm = new Map<number, number>();
  dropRate = 0;

  constructor(options: ClusterOptions) {
    this.#options = options;
    this.random = seededRandom(options.seed ?? 1);
    for (const id of options.ids) {
      this.disks.set(id, []);
      this.#unsynced.set(id, []);
      this.#pending.set(id, []);
      this.applied.set(id, []);
      this.readStates.set(id, []);
      this.#start(id);
    }
  }

  core(id: NodeId): RaftCore {
    const core = this.cores.get(id);
    if (core === undefined) throw new Error(`${id} is down`);
    return core;
  }

  leader(): RaftCore | undefined {
    let best: RaftCore | undefined;
    for (const core of this.cores.values()) if (core.role === 'leader' && (best === undefined || core.term > best.term)) best = core;
    return best;
  }

  #start(id: NodeId): void {
    const stored = replayRaftRecords(this.disks.get(id)!);
    const core = new RaftCore({
      id,
      voters: this.#options.voters ?? this.#options.ids,
      learners: this.#options.learners ?? [],
      stored,
      now: this.now,
      random: seededRandom((this.#options.seed ?? 1) * 7919 + hashOf(id) + this.disks.get(id)!.length),
      ...this.#options.core,
    });
    this.cores.set(id, core);
    // The state machine restarts from the snapshot and re-applies the log after it.
    const snapshot = stored.snapshot;
    const applied = this.applied.get(id)!;
    applied.length = snapshot === undefined ? 0 : Math.min(applied.length, snapshot.meta.index);
    this.process(id);
  }

  /** Carries out every Ready of `id`. */
  process(id: NodeId): void {
    const core = this.cores.get(id);
    if (core === undefined) return;
    while (core.hasReady()) {
      const ready = core.ready();
      for (const { to, message } of ready.sendEarly) this.queue.push({ from: id, to, message });
      if (this.#options.asyncWrites) {
        // As ProtocolDriver does: a pipelined core's effects depend only on what is durable already.
        if (core.pipelined) this.#applyEffects(id, ready.effects);
        const pending = this.#pending.get(id)!;
        if (ready.mustSync || pending.length > 0) {
          pending.push({ ready, sync: ready.mustSync });
          continue;
        }
      }
      this.#complete(id, core, ready);
    }
    // A step whose Ready only went in flight can still have moved the commit index.
    if (this.#options.asyncWrites && this.#options.checkInvariants !== false) this.checkInvariants();
  }

  /** The rest of a `Ready` once its write is durable: its records and messages, its effects (unless already applied), advance. */
  #complete(id: NodeId, core: RaftCore, ready: RaftReady): void {
    const unsynced = this.#unsynced.get(id)!;
    unsynced.push(...ready.persist);
    if (ready.mustSync) this.disks.get(id)!.push(...unsynced.splice(0));
    for (const { to, message } of ready.messages) this.queue.push({ from: id, to, message });
    if (!(this.#options.asyncWrites && core.pipelined)) this.#applyEffects(id, ready.effects);
    core.advance(ready);
    if (this.#options.checkInvariants !== false) this.checkInvariants();
  }

  /** Writes in flight at `id` (asyncWrites). */
  pendingWrites(id: NodeId): number {
    return this.#pending.get(id)?.length ?? 0;
  }

  /**
   * Completes the oldest write in flight at `id` (and the `Ready`s behind it that wait for no
   * write of their own), then carries out what that produced. False when none is in flight.
   */
  sync(id: NodeId): boolean {
    const core = this.cores.get(id);
    const pending = this.#pending.get(id)!;
    if (core === undefined || pending.length === 0) return false;
    do this.#complete(id, core, pending.shift()!.ready);
    while (pending.length > 0 && !pending[0]!.sync);
    this.process(id);
    return true;
  }

  /** Completes the oldest write in flight at the first node that has one. */
  #syncAny(): boolean {
    for (const id of this.cores.keys()) if (this.sync(id)) return true;
    return false;
  }

  #applyEffects(id: NodeId, effects: readonly RaftEffect[]): void {
    for (const effect of effects) {
      if (effect.type === 'apply') {
        const applied = this.applied.get(id)!;
        for (const entry of effect.entries) {
          if (entry.index !== applied.length + 1) throw new Error(`${id} applied ${entry.index} after ${applied.length}`);
          applied.push(entry);
        }
      } else if (effect.type === 'restore') {
        const applied = this.applied.get(id)!;
        // The snapshot stands for the entries up to its index; the test keeps them from the committed record.
        applied.length = 0;
        for (let index = 1; index <= effect.snapshot.meta.index; index++) applied.push(this.committed.get(index)!);
        this.snapshots.set(id, effect.snapshot);
      } else if (effect.type === 'readState') {
        this.readStates.get(id)!.push({ index: effect.readState.index, context: new TextDecoder().decode(effect.readState.context) });
      }
    }
  }

  /** Delivers the message at `position` of the queue (default the oldest). */
  deliverOne(position = 0): boolean {
    const [item] = this.queue.splice(position, 1);
    if (item === undefined) return false;
    if (this.#cut.has(`${item.from}→${item.to}`) || (this.dropRate > 0 && this.random.next() < this.dropRate)) return true;
    const core = this.cores.get(item.to);
    if (core === undefined) return true;
    core.step(item.from, item.message);
    this.process(item.to);
    return true;
  }

  /** Delivers every queued message `select` picks (in queue order, including those the deliveries add), drops those `drop` picks. */
  deliverWhere(select: (m: InFlight) => boolean, drop: (m: InFlight) => boolean = () => false, limit = 10_000): void {
    for (let n = 0; n < limit; n++) {
      const position = this.queue.findIndex((m) => select(m) || drop(m));
      if (position < 0) return;
      if (drop(this.queue[position]!)) this.queue.splice(position, 1);
      else this.deliverOne(position);
    }
  }

  /** Delivers (and, with asyncWrites, syncs) until nothing is left in flight (bounded, to catch livelock). */
  deliverAll(limit = 100_000): void {
    for (let i = 0; i < limit && (this.deliverOne() || this.#syncAny()); i++);
    if (this.queue.length > 0) throw new Error('message storm: queue never drained');
  }

  /** Advances time by `ms` in steps of `step`, ticking every live core and delivering in between. */
  run(ms: number, step = 10): void {
    const target = this.now + ms;
    while (this.now < target) {
      this.now = Math.min(target, this.now + step);
      for (const [id, core] of this.cores) {
        core.tick(this.now);
        this.process(id);
      }
      this.deliverAll();
    }
  }

  /** Advances time by `ms`, ticking every live core, without delivering anything. */
  tickAll(ms: number): void {
    this.now += ms;
    for (const [id, core] of this.cores) {
      core.tick(this.now);
      this.process(id);
    }
  }

  /** Runs until some node is leader (and every live node agrees), or throws after `ms`. */
  elect(ms = 10_000): RaftCore {
    const deadline = this.now + ms;
    while (this.now < deadline) {
      this.run(50);
      const leader = this.leader();
      const members = [...this.cores.values()].filter((c) => !this.#isolated(c.id) && (leader?.conf.voters.includes(c.id) || leader?.conf.learners.includes(c.id)));
      if (leader !== undefined && members.every((c) => c.leader === leader.id)) return leader;
    }
    throw new Error('no leader elected');
  }

  #isolated(id: NodeId): boolean {
    for (const other of this.cores.keys()) if (other !== id && this.#cut.has(`${other}→${id}`)) return true;
    return false;
  }

  propose(text: string, at?: NodeId): void {
    const node = at ?? this.leader()?.id;
    if (node === undefined) throw new Error('no leader');
    this.core(node).propose(new TextEncoder().encode(text));
    this.process(node);
  }

  /** Cuts the links between the two groups, both ways. */
  partition(a: readonly NodeId[], b: readonly NodeId[]): void {
    for (const x of a) for (const y of b) {
      this.#cut.add(`${x}→${y}`);
      this.#cut.add(`${y}→${x}`);
    }
  }

  isolate(id: NodeId): void {
    this.partition([id], this.#options.ids.filter((x) => x !== id));
  }

  heal(): void {
    this.#cut.clear();
  }

  /**
   * Crashes `id`: its core, its unsynced writes and the messages on their way to it are gone;
   * what it synced survives, and what it already sent stays on the wire.
   */
  crash(id: NodeId): void {
    this.cores.delete(id);
    this.#unsynced.get(id)!.length = 0;
    this.#pending.get(id)!.length = 0;
    this.queue = this.queue.filter((m) => m.to !== id);
  }

  restart(id: NodeId): void {
    this.#start(id);
  }

  /** Text of every entry `id` applied (no-ops and config entries left out). */
  texts(id: NodeId): string[] {
    return this.applied
      .get(id)!
      .filter((e) => e.type === 'normal' && e.data.byteLength > 0)
      .map((e) => new TextDecoder().decode(e.data));
  }

  /** Election safety, log matching, leader completeness and state machine safety. */
  checkInvariants(): void {
    for (const core of this.cores.values()) {
      if (core.role !== 'leader') continue;
      const previous = this.#leaders.get(core.term);
      if (previous !== undefined && previous !== core.id) throw new Error(`election safety: ${previous} and ${core.id} both lead term ${core.term}`);
      this.#leaders.set(core.term, core.id);
    }
    for (const core of this.cores.values()) {
      const status = core.status();
      for (let index = status.firstIndex; index <= status.commit; index++) {
        const entry = core.entry(index);
        if (entry === undefined) continue;
        const known = this.committed.get(index);
        if (known === undefined) {
          this.committed.set(index, entry);
          this.#committedInTerm.set(index, core.term);
        } else if (known.term !== entry.term || !sameBytes(known.data, entry.data)) {
          throw new Error(`state machine safety: ${core.id} committed a different entry at ${index}`);
        }
      }
      if (core.role === 'leader') {
        // Leader completeness: a leader of a later term holds every committed entry.
        for (const [index, entry] of this.committed) {
          if (index < status.firstIndex || core.term <= this.#committedInTerm.get(index)!) continue;
          const own = core.entry(index);
          if (own === undefined || own.term !== entry.term) throw new Error(`leader completeness: ${core.id} (term ${core.term}) lacks committed entry ${index}`);
        }
      }
    }
    const cores = [...this.cores.values()];
    for (let i = 0; i < cores.length; i++) {
      for (let j = i + 1; j < cores.length; j++) checkLogMatching(cores[i]!, cores[j]!);
    }
    for (const [id, applied] of this.applied) {
      for (const entry of applied) {
        const known = this.committed.get(entry.index);
        if (known !== undefined && known.term !== entry.term) throw new Error(`state machine safety: ${id} applied a different entry at ${entry.index}`);
      }
    }
  }
}

function checkLogMatching(a: RaftCore, b: RaftCore): void {
  const sa = a.status();
  const sb = b.status();
  const from = Math.max(sa.firstIndex, sb.firstIndex);
  const to = Math.min(sa.lastIndex, sb.lastIndex);
  let matched = false;
  for (let index = to; index >= from; index--) {
    const ea = a.entry(index)!;
    const eb = b.entry(index)!;
    if (matched) {
      if (ea.term !== eb.term || !sameBytes(ea.data, eb.data)) throw new Error(`log matching: ${a.id} and ${b.id} differ at ${index} below a matching entry`);
    } else if (ea.term === eb.term) {
      matched = true;
      if (!sameBytes(ea.data, eb.data)) throw new Error(`log matching: ${a.id} and ${b.id} hold different entries of term ${ea.term} at ${index}`);
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hashOf(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return h;
}
