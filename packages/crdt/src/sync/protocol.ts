import { assertNodeId, InvalidArgumentError, type NodeId, type Outbound, type ProtocolCore, type Ready } from '@lattice/core';
import { assertCrdt, assertSameType, type Crdt } from '../crdt.js';
import { DotContext } from '../dot-context.js';

/** One logged delta: the `seq`-th delta committed at `origin`. */
export interface DeltaEntry<C extends Crdt> {
  readonly origin: NodeId;
  readonly seq: number;
  readonly delta: C;
}

/**
 * The messages of the anti-entropy protocol.
 * - `digest`: the sender's version vector of deltas (`have`); the receiver answers with what the
 *   sender lacks, and (unless `reply` is set) with its own digest if it lacks something itself.
 * - `deltas`: logged deltas, each identified by `(origin, seq)` so duplicates are ignored.
 * - `state`: the full state and the vector it covers, sent when the deltas a peer lacks are no
 *   longer all in the log (a long-offline peer, or a log pruned to its bound).
 */
export type SyncMessage<C extends Crdt> =
  | { readonly type: 'digest'; readonly have: DotContext; readonly reply: boolean }
  | { readonly type: 'deltas'; readonly entries: readonly DeltaEntry<C>[] }
  | { readonly type: 'state'; readonly have: DotContext; readonly state: C };

/** A message the core wants sent. */
export type Outgoing<C extends Crdt> = Outbound<SyncMessage<C>>;

/** What the core reports to the application: the replica learnt something from `from`. */
export interface SyncChange {
  readonly type: 'changed';
  readonly from: NodeId;
}

/** The effects of {@link SyncProtocol}: only {@link SyncChange} so far. */
export type SyncEffect = SyncChange;

/** A batch of {@link SyncProtocol}'s outputs: messages and effects (anti-entropy persists nothing). */
export type SyncReady<C extends Crdt> = Ready<SyncMessage<C>, never, SyncEffect>;

/** Options of {@link SyncProtocol}. */
export interface SyncProtocolOptions<C extends Crdt> {
  /** The id deltas committed here are logged under. Default: the replica's `node`. */
  origin?: NodeId;
  /** The replica to keep in sync; mutated in place by joins. */
  replica: C;
  /** Peers to push deltas to and send digests to. More are learnt from incoming messages. */
  peers?: Iterable<NodeId>;
  /** Milliseconds between anti-entropy rounds (a digest to every peer). Default 1,000. */
  intervalMs?: number;
  /** Most deltas kept for forwarding; older ones are pruned and lagging peers get the full state. Default 4,096. */
  maxLogEntries?: number;
  /** Most deltas in one `deltas` message. Default 256. */
  maxDeltasPerMessage?: number;
}

/**
 * The deterministic core of delta-state anti-entropy, a `ProtocolCore` of `@lattice/core`: no
 * I/O, no clock. Every delta committed anywhere is named `(origin, seq)`; replicas keep a version
 * vector of the deltas they have joined (a {@link DotContext}, so deltas that arrive with gaps are
 * remembered exactly) and a bounded log of deltas. A digest carries the vector; the receiver sends
 * back exactly the logged deltas the sender lacks, or its full state when the log no longer holds
 * them all.
 *
 * Inputs are {@link SyncProtocol.commit} (a local delta), {@link SyncProtocol.step} (a peer's
 * message) and {@link SyncProtocol.tick} (time, which starts an anti-entropy round every
 * `intervalMs`; {@link SyncProtocol.wakeAt} says when the next one is due). Outputs — messages
 * to send and a `changed` effect whenever a peer's message taught the replica something — queue
 * up until {@link SyncProtocol.ready} hands them out; `ProtocolDriver` (what `CrdtSync` uses)
 * carries them out, or a simulator or test can deliver them itself.
 *
 * Duplicated, reordered or dropped messages are harmless: joins are idempotent and commutative,
 * duplicates are recognised by `(origin, seq)`, and the next digest round resends what was lost.
 *
 * Each origin must be unique for the lifetime of the deltas it produced: a replica restarted
 * without its state must use a new origin.
 *
 * @example
 * ```ts
 * const a = new SyncProtocol({ replica: new GCounter('a'), peers: ['b'] });
 * const b = new SyncProtocol({ replica: new GCounter('b'), peers: ['a'] });
 * a.commit(a.replica.increment(2));
 * for (const { message } of a.ready().messages) b.step('a', message); // the push to b
 * b.replica.value();                                                 // 2
 * b.ready().effects;                                                 // [{ type: 'changed', from: 'a' }]
 * ```
 */
export class SyncProtocol<C extends Crdt> implements ProtocolCore<SyncMessage<C>, never, SyncEffect> {
  /** The replica, mutated in place. */
  readonly replica: C;
  /** The id local deltas are logged under. */
  readonly origin: NodeId;
  /** The deltas joined into the replica, as `(origin, seq)` dots. */
  readonly have = new DotContext();
  readonly #peers = new Set<NodeId>();
  readonly #log = new Map<NodeId, Map<number, C>>();
  readonly #order: [NodeId, number][] = [];
  #orderHead = 0;
  readonly #intervalMs: number;
  readonly #maxLogEntries: number;
  readonly #maxDeltasPerMessage: number;
  // Outputs gathered until the next ready().
  #messages: Outgoing<C>[] = [];
  #effects: SyncEffect[] = [];
  /** The first round is due at once, whatever the time the first tick brings. */
  #nextRoundAt = Number.NEGATIVE_INFINITY;

  constructor(options: SyncProtocolOptions<C>) {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('SyncProtocol needs options with a replica');
    assertCrdt(options.replica, 'SyncProtocol options.replica');
    if (options.peers !== undefined && (typeof options.peers !== 'object' || options.peers === null || typeof options.peers[Symbol.iterator] !== 'function')) {
      throw new InvalidArgumentError('SyncProtocol options.peers must be an iterable of node ids');
    }
    const origin = options.origin ?? (options.replica as { node?: NodeId }).node;
    if (origin === undefined) throw new InvalidArgumentError('SyncProtocol needs an origin (or a replica created with a node id)');
    assertNodeId(origin, 'origin');
    this.origin = origin;
    this.replica = options.replica;
    const intervalMs = options.intervalMs ?? 1000;
    if (typeof intervalMs !== 'number' || !(intervalMs > 0) || !Number.isFinite(intervalMs)) {
      throw new InvalidArgumentError(`intervalMs must be a finite number > 0, got ${String(intervalMs)}`);
    }
    this.#intervalMs = intervalMs;
    this.#maxLogEntries = positive(options.maxLogEntries ?? 4096, 'maxLogEntries');
    this.#maxDeltasPerMessage = positive(options.maxDeltasPerMessage ?? 256, 'maxDeltasPerMessage');
    for (const peer of options.peers ?? []) this.addPeer(peer);
  }

  /** The known peers. */
  get peers(): NodeId[] {
    return [...this.#peers];
  }

  addPeer(peer: NodeId): void {
    assertNodeId(peer, 'peer');
    if (peer !== this.origin) this.#peers.add(peer);
  }

  removePeer(peer: NodeId): void {
    assertNodeId(peer, 'peer');
    this.#peers.delete(peer);
  }

  /**
   * Drops one logged delta, e.g. one that cannot be encoded: a peer that lacks it is then sent
   * the full state instead. The replica keeps what the delta joined.
   */
  forget(origin: NodeId, seq: number): void {
    // Origins arrive from peers' encodings, which allow any non-empty string.
    if (typeof origin !== 'string' || origin.length === 0) throw new InvalidArgumentError('origin must be a non-empty string');
    checkSeq(seq);
    const deltas = this.#log.get(origin);
    if (deltas?.delete(seq) && deltas.size === 0) this.#log.delete(origin);
  }

  /** Number of deltas held in the log. */
  get logSize(): number {
    return this.#order.length - this.#orderHead;
  }

  /**
   * Records a delta that a mutator already applied to the replica, and queues a push of it to
   * every peer (sending them is an optimisation: digests repair whatever is lost). Returns the
   * delta's sequence number under {@link SyncProtocol.origin}.
   */
  commit(delta: C): number {
    assertSameType(this.replica, delta);
    const seq = this.have.next(this.origin).counter;
    this.#remember(this.origin, seq, delta);
    // One message object for every peer: the driver encodes a message sent to several peers in a row once.
    const message: SyncMessage<C> = { type: 'deltas', entries: [{ origin: this.origin, seq, delta }] };
    for (const to of this.#peers) this.#messages.push({ to, message });
    return seq;
  }

  /** Starts an anti-entropy round when one is due at `now` (monotonic ms), and schedules the next. */
  tick(now: number): void {
    if (typeof now !== 'number' || Number.isNaN(now)) throw new InvalidArgumentError(`now must be a number, got ${String(now)}`);
    if (now < this.#nextRoundAt) return;
    this.round();
    this.#nextRoundAt = now + this.#intervalMs;
  }

  /** When the next anti-entropy round is due (monotonic ms). */
  wakeAt(): number {
    return this.#nextRoundAt;
  }

  /** Queues a digest to every peer now, outside the schedule of rounds. */
  round(): void {
    if (this.#peers.size === 0) return;
    // One digest (one copy of the context) for every peer, encoded once by the driver.
    const message: SyncMessage<C> = { type: 'digest', have: this.have.clone(), reply: false };
    for (const to of this.#peers) this.#messages.push({ to, message });
  }

  /** A digest for one peer (returned, not queued). */
  digestFor(to: NodeId, reply = false): Outgoing<C> {
    assertNodeId(to, 'peer');
    if (typeof reply !== 'boolean') throw new InvalidArgumentError(`reply must be a boolean, got ${typeof reply}`);
    return { to, message: { type: 'digest', have: this.have.clone(), reply } };
  }

  /**
   * Handles one message from `from`: queues the answers, and a `changed` effect if the replica
   * learnt something. A malformed message throws a typed error and changes nothing.
   */
  step(from: NodeId, message: SyncMessage<C>): void {
    assertNodeId(from, 'from');
    this.#check(message);
    if (from !== this.origin && !this.#peers.has(from)) this.addPeer(from);
    switch (message.type) {
      case 'digest': {
        this.#answer(from, message.have);
        if (!message.reply && !this.have.includes(message.have)) this.#messages.push(this.digestFor(from, true));
        return;
      }
      case 'deltas': {
        let changed = false;
        for (const { origin, seq, delta } of message.entries) {
          if (this.have.has(origin, seq)) continue;
          this.replica.join(delta);
          this.have.add(origin, seq);
          this.#remember(origin, seq, delta);
          changed = true;
        }
        if (changed) this.#effects.push({ type: 'changed', from });
        return;
      }
      case 'state': {
        if (this.have.includes(message.have)) return;
        this.replica.join(message.state);
        this.have.join(message.have);
        this.#effects.push({ type: 'changed', from });
        return;
      }
    }
  }

  hasReady(): boolean {
    return this.#messages.length > 0 || this.#effects.length > 0;
  }

  /** Hands out the queued messages and effects (and forgets them: nothing here needs acknowledging). */
  ready(): SyncReady<C> {
    const ready: SyncReady<C> = { sendEarly: [], persist: [], mustSync: false, messages: this.#messages, effects: this.#effects };
    this.#messages = [];
    this.#effects = [];
    return ready;
  }

  /** Nothing to do: the core keeps no durable state, so a batch is done once handed out. */
  advance(_ready: SyncReady<C>): void {}

  /** Checks a whole message before any of it is applied, so a bad entry cannot half-apply. */
  #check(message: SyncMessage<C>): void {
    if (typeof message !== 'object' || message === null) throw new InvalidArgumentError('a sync message must be an object');
    switch (message.type) {
      case 'digest':
        if (!(message.have instanceof DotContext)) throw new InvalidArgumentError('a digest needs a DotContext `have`');
        return;
      case 'deltas':
        if (!Array.isArray(message.entries)) throw new InvalidArgumentError('a deltas message needs an array of entries');
        for (const entry of message.entries as unknown[]) {
          if (typeof entry !== 'object' || entry === null) throw new InvalidArgumentError('a delta entry must be an object');
          const { origin, seq, delta } = entry as DeltaEntry<C>;
          if (typeof origin !== 'string' || origin.length === 0) throw new InvalidArgumentError('a delta origin must be a non-empty string');
          checkSeq(seq);
          assertSameType(this.replica, delta);
        }
        return;
      case 'state':
        if (!(message.have instanceof DotContext)) throw new InvalidArgumentError('a state message needs a DotContext `have`');
        assertSameType(this.replica, message.state);
        return;
      default:
        throw new InvalidArgumentError(`unknown sync message type ${String((message as { type?: unknown }).type)}`);
    }
  }

  /** Queues what `to` lacks according to its vector `theirs`. */
  #answer(to: NodeId, theirs: DotContext): void {
    const missing = this.have.missingFrom(theirs, this.#maxLogEntries);
    if (missing === undefined) {
      this.#messages.push(this.#state(to));
      return;
    }
    if (missing.length === 0) return;
    const entries: DeltaEntry<C>[] = [];
    for (const { node, counter } of missing) {
      const delta = this.#log.get(node)?.get(counter);
      if (delta === undefined) {
        this.#messages.push(this.#state(to));
        return;
      }
      entries.push({ origin: node, seq: counter, delta });
    }
    for (let i = 0; i < entries.length; i += this.#maxDeltasPerMessage) {
      this.#messages.push({ to, message: { type: 'deltas', entries: entries.slice(i, i + this.#maxDeltasPerMessage) } });
    }
  }

  #state(to: NodeId): Outgoing<C> {
    return { to, message: { type: 'state', have: this.have.clone(), state: this.replica.clone() } };
  }

  #remember(origin: NodeId, seq: number, delta: C): void {
    let deltas = this.#log.get(origin);
    if (deltas === undefined) this.#log.set(origin, (deltas = new Map()));
    deltas.set(seq, delta);
    this.#order.push([origin, seq]);
    while (this.#order.length - this.#orderHead > this.#maxLogEntries) {
      const [oldOrigin, oldSeq] = this.#order[this.#orderHead++]!;
      const old = this.#log.get(oldOrigin);
      old?.delete(oldSeq);
      if (old?.size === 0) this.#log.delete(oldOrigin);
    }
    if (this.#orderHead > 1024 && this.#orderHead * 2 > this.#order.length) {
      this.#order.splice(0, this.#orderHead);
      this.#orderHead = 0;
    }
  }
}

function checkSeq(seq: unknown): void {
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) throw new InvalidArgumentError(`seq must be a positive safe integer, got ${String(seq)}`);
}

function positive(value: number, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError(`${what} must be a positive integer, got ${String(value)}`);
  return value;
}
