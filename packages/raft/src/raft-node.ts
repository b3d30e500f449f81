import {
  type AbortOptions,
  ByteReader,
  type Clock,
  ClosedError,
  type Endpoint,
  HandlerError,
  InvalidArgumentError,
  isLatticeError,
  type LatticeError,
  type NodeId,
  type BaseEvents,
  Observable,
  ProtocolDriver,
  type ProtocolDriverStats,
  type Random,
  raceAbort,
  seededRandom,
  systemClock,
  systemTimers,
  type TimerHandle,
  type Timers,
  TimeoutError,
  throwIfAborted,
} from '@lattice/core';
import { ExactWriter, raftMessageCodec, uintSize } from './codec.js';
import { NotLeaderError, ReadDroppedError } from './errors.js';
import { RaftCore, type RaftCoreOptions, type RaftStatus } from './raft-core.js';
import type { ConfChange, Entry, RaftEffect, RaftMessage, RaftRecord, Role, Snapshot } from './types.js';
import { type RaftLogStore, WalRaftStorage } from './wal-storage.js';

/**
 * The application's state machine, fed the committed commands in log order on every node
 * (hashicorp/raft's FSM). `apply` must be deterministic: every node applies the same commands
 * in the same order and must reach the same state.
 */
export interface StateMachine<Result> {
  /** Applies one committed command; its result settles the `propose` that made it (on that node). */
  apply(command: Uint8Array, index: number): Result;
  /** The state as bytes, for log compaction and for followers that fall behind. */
  snapshot(): Uint8Array;
  /** Replaces the state with a snapshot's. */
  restore(snapshot: Uint8Array): void;
}

/** Options of {@link RaftNode.start}. */
export interface RaftNodeOptions<Result> extends Omit<RaftCoreOptions, 'id' | 'stored' | 'now' | 'random' | 'stampProposal'> {
  /** This node's endpoint (its id is the node's id). */
  endpoint: Endpoint;
  /** Durable storage: a write-ahead log (`openWal` from `@lattice/wal`). */
  log: RaftLogStore;
  stateMachine: StateMachine<Result>;
  clock?: Clock;
  timers?: Timers;
  /** Randomness of election timeouts and request ids. Default a generator seeded from the id and the clock. */
  random?: Random;
  /** Applied entries between automatic snapshots (log compaction); 0 turns them off. Default 10,000. */
  snapshotEvery?: number;
  /** How long `propose`, `read` and membership calls wait before a `TimeoutError`. Default 5 election timeouts. */
  requestTimeoutMs?: number;
  /**
   * Rewrites a command at the leader as the leader appends it to the log, wherever it was
   * proposed (a follower forwards its proposals): e.g. stamps it with the leader's clock, so that
   * a follower's clock never enters the log. Must not throw; the proposer still gets its result.
   */
  stampCommand?: (command: Uint8Array) => Uint8Array;
}

/** Options of a request. */
export interface RequestOptions extends AbortOptions {
  timeoutMs?: number;
}

/** Events of a {@link RaftNode}. */
export interface RaftNodeEvents extends BaseEvents {
  /** The role, term or known leader changed. */
  leader: { readonly role: Role; readonly term: number; readonly leader: NodeId };
  /** Entries were applied to the state machine, up to `index`. */
  applied: { readonly index: number };
  /** The membership changed. */
  conf: { readonly index: number; readonly voters: readonly NodeId[]; readonly learners: readonly NodeId[] };
  /** The node stopped (by `stop()`, or because its storage failed). */
  stopped: LatticeError | undefined;
}

interface Pending<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
  /** Its own timer, for a request with its own timeout (the others share one, see #expiries). */
  timer: TimerHandle | undefined;
  settled: boolean;
}

/** When a request with the default timeout times out. */
interface Expiry {
  readonly map: Map<unknown, Pending<never>>;
  readonly key: unknown;
  readonly pending: Pending<never>;
  readonly at: number;
}

const COMMAND_VERSION = 1;

/**
 * A Raft node: {@link RaftCore} bound by `ProtocolDriver` to a transport endpoint, durable
 * storage on a write-ahead log and timers, applying committed commands to a {@link StateMachine}.
 * Nothing that depends on durable state (a vote, an acknowledgement) leaves before it is synced.
 *
 * `propose` settles with the state machine's result once the command is applied on this node
 * (from any node: followers forward to the leader); `read` resolves once this node's state
 * machine may serve a linearizable read (ReadIndex, or the lease with `readOnly: 'lease'`).
 *
 * A `TimeoutError` from `propose` means the outcome is unknown: the command may still be
 * committed. `ProposalDroppedError` means it was not taken.
 *
 * @example
 * ```ts
 * const node = await RaftNode.start({ endpoint, log: await openWal(dir), voters: ['a', 'b', 'c'], stateMachine });
 * const result = await node.propose(encode({ set: ['x', 1] }));
 * await node.read(); // now the local state machine is at least as new as any acknowledged write
 * ```
 */
export class RaftNode<Result = unknown> extends Observable<RaftNodeEvents> {
  readonly id: NodeId;
  readonly #core: RaftCore;
  readonly #driver: ProtocolDriver<RaftMessage, RaftRecord, RaftEffect>;
  readonly #stateMachine: StateMachine<Result>;
  readonly #timers: Timers;
  readonly #clock: Clock;
  /** Removes the handler that tells the core the time of each arriving message. */
  readonly #timeoutMs: number;
  readonly #snapshotEvery: number;
  /** A random number of this start, so request ids never repeat across restarts. */
  readonly #incarnation: number;
  #seq = 0;
  /** This node's id as it is written in the commands it proposes. */
  readonly #idBytes: Uint8Array;
  /** This incarnation's proposals, by request id. */
  readonly #proposals = new Map<number, Pending<Result>>();
  readonly #reads = new Map<string, Pending<void>>();
  /** Reads whose index is known, waiting for the state machine to reach it. */
  #readsWaiting: { index: number; resolve: () => void }[] = [];
  readonly #confWaiters = new Map<number, Pending<void>>();
  #applied: number;
  #lastSnapshot: number;
  #stopped = false;
  /**
   * Requests with the default timeout, in the order made, which is the order of their deadlines:
   * one timer, at the oldest one's, serves them all (instead of a timer set and cleared per request).
   */
  #expiries: Expiry[] = [];
  #expiriesHead = 0;
  #expiryTimer: TimerHandle | undefined;

  private constructor(options: RaftNodeOptions<Result>, core: RaftCore, storage: WalRaftStorage, applied: number, random: Random) {
    super();
    // Private in TypeScript, but JavaScript can still call it: say what to call instead.
    if (!(core instanceof RaftCore)) throw new InvalidArgumentError('RaftNode has no public constructor: open a node with await RaftNode.start(options)');
    this.id = options.endpoint.id;
    this.#core = core;
    this.#stateMachine = options.stateMachine;
    this.#timers = options.timers ?? systemTimers;
    this.#clock = options.clock ?? systemClock;
    this.#timeoutMs = options.requestTimeoutMs ?? 5 * (options.electionTimeoutMs ?? 1000);
    this.#snapshotEvery = options.snapshotEvery ?? 10_000;
    this.#incarnation = Math.floor(random.next() * 0xffff_ffff);
    this.#idBytes = new TextEncoder().encode(this.id);
    this.#applied = applied;
    this.#lastSnapshot = applied;
    this.#driver = new ProtocolDriver({
      core,
      endpoint: options.endpoint,
      codec: raftMessageCodec(),
      storage,
      clock: this.#clock,
      timers: this.#timers,
      apply: (effect) => this.#effect(effect),
    });
    this.#driver.on('error', (error) => this.emit('error', error));
    this.#driver.on('stopped', (reason) => this.#halt(reason));
  }

  /** Opens the node's storage, restores the state machine from its snapshot, and starts it. */
  static async start<Result>(options: RaftNodeOptions<Result>): Promise<RaftNode<Result>> {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('RaftNode.start needs an options object');
    const { endpoint, log, stateMachine } = options;
    if (typeof endpoint?.send !== 'function') throw new InvalidArgumentError('options.endpoint must be an Endpoint');
    if (typeof log?.append !== 'function' || typeof log.entries !== 'function') throw new InvalidArgumentError('options.log must be a write-ahead log');
    if (typeof stateMachine?.apply !== 'function' || typeof stateMachine.snapshot !== 'function' || typeof stateMachine.restore !== 'function') {
      throw new InvalidArgumentError('options.stateMachine needs apply, snapshot and restore');
    }
    const clock = options.clock ?? systemClock;
    const { storage, stored } = await WalRaftStorage.open(log);
    if (stored.snapshot !== undefined) stateMachine.restore(stored.snapshot.data);
    const { endpoint: _e, log: _l, stateMachine: _s, clock: _c, timers: _t, snapshotEvery: _se, requestTimeoutMs: _r, random, stampCommand, ...coreOptions } = options;
    const seed = random ?? seededRandom(seedFrom(endpoint.id, clock.now()));
    const stampProposal = stampCommand === undefined ? undefined : (data: Uint8Array) => restampCommand(data, stampCommand);
    const core = new RaftCore({ ...coreOptions, ...(stampProposal === undefined ? {} : { stampProposal }), id: endpoint.id, stored, now: clock.monotonic(), random: seed });
    return new RaftNode(options, core, storage, stored.snapshot?.meta.index ?? 0, seed);
  }

  /** Replicates `command`; settles with the state machine's result once it is applied here. */
  propose(command: Uint8Array, options: RequestOptions = {}): Promise<Result> {
    if (!(command instanceof Uint8Array)) return Promise.reject(new InvalidArgumentError('propose(command) needs a Uint8Array'));
    return this.#request(this.#proposals, options, (id) => id, (id) => {
      this.#driver.run(() => this.#core.propose(wrapCommand(this.#idBytes, this.#incarnation, id, command)));
    });
  }

  /**
   * Resolves once this node's state machine reflects every write acknowledged before the call
   * (a linearizable read point); then read it locally.
   */
  read(options: RequestOptions = {}): Promise<void> {
    return this.#request(this.#reads, options, (id) => requestKey(this.#incarnation, id), (id) => {
      this.#driver.run(() => this.#core.readIndex(requestKeyBytes(this.#incarnation, id)));
    });
  }

  /**
   * Whether this node may serve a linearizable read from its state machine at once, with no
   * round trip: with `readOnly: 'lease'`, when it leads, its lease holds and its state machine
   * has applied the commit index. When false, wait for {@link RaftNode.read}.
   */
  canReadNow(): boolean {
    if (this.#stopped) return false;
    const index = this.#driver.run(() => this.#core.leaseReadIndex());
    return index !== undefined && index <= this.#applied;
  }

  addVoter(node: NodeId, options?: RequestOptions): Promise<void> {
    return this.changeMembership({ steps: [{ type: 'addVoter', node }] }, options);
  }

  addLearner(node: NodeId, options?: RequestOptions): Promise<void> {
    return this.changeMembership({ steps: [{ type: 'addLearner', node }] }, options);
  }

  /** Makes a learner a voter. */
  promote(node: NodeId, options?: RequestOptions): Promise<void> {
    return this.addVoter(node, options);
  }

  remove(node: NodeId, options?: RequestOptions): Promise<void> {
    return this.changeMembership({ steps: [{ type: 'remove', node }] }, options);
  }

  /** Proposes a membership change at the leader; resolves once it is applied here. */
  changeMembership(change: ConfChange, options: RequestOptions = {}): Promise<void> {
    try {
      this.#checkOpen();
      throwIfAborted(options.signal);
      if (this.#core.role !== 'leader') throw new NotLeaderError(this.#core.leader);
      const placed = this.#driver.run(() => this.#core.proposeConfChange(change));
      if (placed === undefined) throw new NotLeaderError(this.#core.leader);
      return this.#wait(this.#confWaiters, placed.index, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Hands leadership to `node` (this node must lead). */
  transferLeadership(node: NodeId): void {
    this.#checkOpen();
    this.#driver.run(() => this.#core.transferLeadership(node));
  }

  /** Role, term, leader, commit and applied index, and per-follower progress at the leader. */
  status(): RaftStatus & { readonly driver: ProtocolDriverStats } {
    return { ...this.#core.status(), driver: this.#driver.stats() };
  }

  get role(): Role {
    return this.#core.role;
  }

  get leader(): NodeId {
    return this.#core.leader;
  }

  /** Stops the node (the endpoint and the log stay open: close them after). Pending requests reject with `ClosedError`. */
  async stop(): Promise<void> {
    await this.#driver.stop();
    this.#halt(undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  // ------------------------------------------------------------------ internals

  #checkOpen(): void {
    if (this.#stopped) throw new ClosedError('The Raft node is stopped');
  }

  #request<K, T>(map: Map<K, Pending<T>>, options: RequestOptions, keyOf: (id: number) => K, start: (id: number) => void): Promise<T> {
    try {
      this.#checkOpen();
      throwIfAborted(options.signal);
      const id = this.#seq++;
      const key = keyOf(id);
      const promise = this.#wait(map, key, options);
      try {
        start(id);
      } catch (error) {
        this.#settle(map, key, undefined, error);
      }
      return promise;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #wait<K, T>(map: Map<K, Pending<T>>, key: K, options: RequestOptions): Promise<T> {
    const promise = new Promise<T>((resolve, reject) => {
      const pending: Pending<T> = { resolve, reject, timer: undefined, settled: false };
      map.set(key, pending);
      if (options.timeoutMs === undefined) {
        this.#expiries.push({ map: map as Map<unknown, Pending<never>>, key, pending: pending as Pending<never>, at: this.#clock.monotonic() + this.#timeoutMs });
        if (this.#expiryTimer === undefined) this.#armExpiry();
        return;
      }
      const timeoutMs = options.timeoutMs;
      pending.timer = this.#timers.setTimeout(() => this.#settle(map, key, undefined, timedOut(timeoutMs)), timeoutMs);
    });
    return options.signal === undefined ? promise : raceAbort(promise, options.signal);
  }

  #settle<K, T>(map: Map<K, Pending<T>>, key: K, value: T | undefined, error?: unknown): void {
    const pending = map.get(key);
    if (pending === undefined) return;
    map.delete(key);
    pending.settled = true;
    if (pending.timer !== undefined) this.#timers.clearTimeout(pending.timer);
    else this.#dropSettledExpiries();
    if (error !== undefined) pending.reject(error);
    else pending.resolve(value as T);
  }

  /** Forgets the oldest expiries whose requests were settled (they mostly settle in the order made). */
  #dropSettledExpiries(): void {
    const expiries = this.#expiries;
    let head = this.#expiriesHead;
    while (head < expiries.length && expiries[head]!.pending.settled) head++;
    if (head === expiries.length) {
      this.#expiries = [];
      head = 0;
    } else if (head > 1024 && head * 2 > expiries.length) {
      this.#expiries = expiries.slice(head);
      head = 0;
    }
    this.#expiriesHead = head;
  }

  /** One timer, at the deadline of the oldest request still waiting. */
  #armExpiry(): void {
    this.#dropSettledExpiries();
    const next = this.#expiries[this.#expiriesHead];
    if (next === undefined || this.#stopped) return;
    this.#expiryTimer = this.#timers.setTimeout(() => {
      this.#expiryTimer = undefined;
      const now = this.#clock.monotonic();
      for (let oldest = this.#expiries[this.#expiriesHead]; oldest !== undefined && oldest.at <= now; oldest = this.#expiries[this.#expiriesHead]) {
        this.#expiriesHead++;
        if (!oldest.pending.settled) this.#settle(oldest.map, oldest.key, undefined, timedOut(this.#timeoutMs));
      }
      this.#armExpiry();
    }, Math.max(0, next.at - this.#clock.monotonic()));
  }

  #effect(effect: RaftEffect): void {
    switch (effect.type) {
      case 'apply':
        for (const entry of effect.entries) this.#applyEntry(entry);
        this.emit('applied', { index: this.#applied });
        this.#releaseReads();
        this.#maybeSnapshot();
        return;
      case 'restore':
        this.#restore(effect.snapshot);
        return;
      case 'readState': {
        const key = keyOfContext(effect.readState.context);
        const pending = this.#reads.get(key);
        if (pending === undefined) return;
        this.#readsWaiting.push({ index: effect.readState.index, resolve: () => this.#settle(this.#reads, key, undefined) });
        this.#releaseReads();
        return;
      }
      case 'readDropped':
        this.#settle(this.#reads, keyOfContext(effect.context), undefined, new ReadDroppedError('No leader could confirm the read; retry'));
        return;
      case 'role':
        this.emit('leader', { role: effect.role, term: effect.term, leader: effect.leader });
        return;
      case 'conf':
        this.emit('conf', { index: effect.index, voters: effect.conf.voters, learners: effect.conf.learners });
        return;
    }
  }

  #applyEntry(entry: Entry): void {
    this.#applied = entry.index;
    if (entry.type === 'config') {
      this.#settle(this.#confWaiters, entry.index, undefined);
      return;
    }
    if (entry.data.byteLength === 0) return; // a new leader's no-op
    const unwrapped = unwrapCommand(entry.data);
    if (unwrapped === undefined) {
      this.emit('error', new HandlerError(`Entry ${entry.index} is not a command of this library; skipped`));
      return;
    }
    let result: Result;
    try {
      result = this.#stateMachine.apply(unwrapped.command, entry.index);
    } catch (cause) {
      const error = new HandlerError(`The state machine threw applying entry ${entry.index}`, { cause });
      this.emit('error', error);
      if (this.#proposedHere(unwrapped)) this.#settle(this.#proposals, unwrapped.id, undefined, error);
      return;
    }
    if (this.#proposedHere(unwrapped)) this.#settle(this.#proposals, unwrapped.id, result);
  }

  #proposedHere(command: { proposer: Uint8Array; incarnation: number }): boolean {
    return command.incarnation === this.#incarnation && sameBytes(command.proposer, this.#idBytes);
  }

  #restore(snapshot: Snapshot): void {
    try {
      this.#stateMachine.restore(snapshot.data);
    } catch (cause) {
      this.emit('error', new HandlerError('The state machine could not restore a snapshot', { cause }));
    }
    this.#applied = snapshot.meta.index;
    this.#lastSnapshot = snapshot.meta.index;
    this.#releaseReads();
  }

  #releaseReads(): void {
    if (this.#readsWaiting.length === 0) return;
    const ready = this.#readsWaiting.filter((r) => r.index <= this.#applied);
    this.#readsWaiting = this.#readsWaiting.filter((r) => r.index > this.#applied);
    for (const read of ready) read.resolve();
  }

  #maybeSnapshot(): void {
    if (this.#snapshotEvery <= 0 || this.#applied - this.#lastSnapshot < this.#snapshotEvery) return;
    // Called while the driver applies effects: the compaction is picked up by its next Ready.
    this.#lastSnapshot = this.#applied;
    try {
      this.#core.compact(this.#stateMachine.snapshot(), this.#applied);
    } catch (cause) {
      this.emit('error', isLatticeError(cause) ? cause : new HandlerError('Taking a snapshot failed', { cause }));
    }
  }

  #halt(reason: LatticeError | undefined): void {
    if (this.#stopped) return;
    this.#stopped = true;
    const closed = new ClosedError('The Raft node stopped', reason === undefined ? undefined : { cause: reason });
    for (const map of [this.#proposals, this.#reads, this.#confWaiters] as Map<unknown, Pending<never>>[]) {
      for (const [key] of map) this.#settle(map, key, undefined, closed);
    }
    this.#readsWaiting = [];
    if (this.#expiryTimer !== undefined) this.#timers.clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
    this.#expiries = [];
    this.#expiriesHead = 0;
    this.emit('stopped', reason);
  }
}

function timedOut(timeoutMs: number): TimeoutError {
  return new TimeoutError(`No outcome within ${timeoutMs} ms (the request may still take effect)`);
}

// Commands carry who proposed them (the id's UTF-8 bytes, as `ByteWriter.string` writes them),
// so the proposer can settle its promise when it applies them.
function wrapCommand(proposer: Uint8Array, incarnation: number, id: number, command: Uint8Array): Uint8Array {
  const w = new ExactWriter(1 + uintSize(proposer.byteLength) + proposer.byteLength + uintSize(incarnation) + uintSize(id) + uintSize(command.byteLength) + command.byteLength);
  w.byte(COMMAND_VERSION);
  w.bytes(proposer);
  w.uint(incarnation);
  w.uint(id);
  w.bytes(command);
  return w.finish();
}

/** The parts of a command; the proposer's id as bytes (compared, never decoded, on the hot path). */
function unwrapCommand(data: Uint8Array): { proposer: Uint8Array; incarnation: number; id: number; command: Uint8Array } | undefined {
  try {
    const r = new ByteReader(data, 'Raft command');
    if (r.byte() !== COMMAND_VERSION) return undefined;
    const proposer = r.bytes();
    const incarnation = r.uint();
    const id = r.uint();
    const command = r.bytes();
    r.end();
    return { proposer, incarnation, id, command };
  } catch {
    return undefined;
  }
}

// The proposer's envelope stays as it is (it settles the proposer's promise); only the command changes.
function restampCommand(data: Uint8Array, stamp: (command: Uint8Array) => Uint8Array): Uint8Array {
  const unwrapped = unwrapCommand(data);
  if (unwrapped === undefined) return data;
  return wrapCommand(unwrapped.proposer, unwrapped.incarnation, unwrapped.id, stamp(unwrapped.command));
}

function requestKey(incarnation: number, id: number): string {
  return `${incarnation}:${id}`;
}

function requestKeyBytes(incarnation: number, id: number): Uint8Array {
  return new TextEncoder().encode(requestKey(incarnation, id));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function keyOfContext(context: Uint8Array): string {
  return new TextDecoder().decode(context);
}

function seedFrom(id: string, now: number): number {
  let state = (Math.floor(now) ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < id.length; i++) state = Math.imul(state ^ id.charCodeAt(i), 16777619) >>> 0;
  return state;
}
