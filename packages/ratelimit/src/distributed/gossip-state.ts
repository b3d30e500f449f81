import { assertNodeId, assertObject, InvalidArgumentError, type NodeId, type Outbound, type ProtocolCore, ProtocolViolationError, type Ready } from '@lattice/core';
import { CostExceedsLimitError, InvalidCostError } from '../errors.js';
import { GossipCodec, isGossipMessage } from './gossip-codec.js';

/** One key's counters in a gossip message: window index, the sender's vector, and what the sender knows the recipient has seen of the sender's own count. */
export type GossipEntry = [key: string, window: number, counts: [NodeId, number][], ackedByYou: number];

/** A gossip message: version 1, the entries (possibly none: a heartbeat). */
export interface GossipMessage {
  v: 1;
  e: GossipEntry[];
}

/** Options of {@link GossipCounterState}. */
export interface GossipStateOptions {
  /** This node. */
  id: NodeId;
  /** Every node of the cluster (this one included or not). */
  nodes: readonly NodeId[];
  /** Units admitted per window by the whole cluster. */
  limit: number;
  /** Window length in ms (windows aligned on multiples of it since the epoch). */
  windowMs: number;
  /** Most units this node admits that its live peers have not acknowledged seeing. */
  maxUnsynced: number;
  /** A peer not heard from for this long (monotonic ms) is considered down. */
  peerTimeoutMs: number;
  /** Most keys tracked (older windows are dropped first; then refusals for new keys). */
  maxKeys?: number;
  /** Monotonic ms between gossip rounds ({@link GossipCounterState.wakeAt}). Default 50. */
  syncIntervalMs?: number;
  /** Largest encoded message in bytes (the transport's `maxMessageSize`): bigger ones are split by entries. Default: no limit. */
  maxMessageBytes?: number;
}

/** What the gossip core hands its driver: messages only (it persists nothing and has no effects). */
export type GossipReady = Ready<GossipMessage, never, never>;

interface KeyState {
  window: number;
  counts: Map<NodeId, number>;
  /** Per peer: the highest count of ours that the peer has confirmed seeing. */
  acked: Map<NodeId, number>;
  /** Peers that must get our vector for this key (they are missing our acknowledgement). */
  echo: Set<NodeId>;
  /** Our vector changed since we last sent it. */
  dirty: boolean;
}

/** A local decision of the distributed limiter. */
export interface GossipDecision {
  allowed: boolean;
  remaining: number;
  resetAt: number;
  retryAfter: number;
  /** Why a request was refused: the cluster limit, this node's share while peers are down, or unacknowledged consumption. */
  reason: 'ok' | 'limit' | 'share' | 'unsynced';
}

/**
 * The deterministic core of the distributed limiter, a `ProtocolCore` run by `@lattice/core`'s
 * `ProtocolDriver`: per key and window, a grow-only counter per node (a G-counter CRDT, merged
 * by max), admission rules, and what to send to whom. No I/O, no timers, no clock: time comes in
 * as arguments — `tick(monotonic)` for gossip rounds (`wakeAt` is the next one), and the wall and
 * monotonic time of each decision and message, which the wrapper reads from its injected `Clock`
 * and hands over through {@link GossipCounterState.observe} right before each message and each
 * timer (`step` merges at the last time observed; a round at monotonic time t takes the wall time
 * observed at t, or extrapolates from the last observation if none was made at t).
 *
 * A node admits a request when (1) the cluster total it knows plus the cost stays within the
 * limit; (2) its own consumption not yet acknowledged by every live peer stays within
 * `maxUnsynced` — which bounds what any other node can be missing about it; and (3) while some
 * peers are down, the nodes it can still reach stay within their share of the limit,
 * ⌊limit × reachable / N⌋, so partitioned groups do not each spend the whole limit.
 *
 * @example
 * ```ts
 * const a = new GossipCounterState({ id: 'a', nodes: ['a', 'b'], limit: 10, windowMs: 1000, maxUnsynced: 2, peerTimeoutMs: 200 }, 0);
 * const b = new GossipCounterState({ id: 'b', nodes: ['a', 'b'], limit: 10, windowMs: 1000, maxUnsynced: 2, peerTimeoutMs: 200 }, 0);
 * const wall = clock.now(); // the wrapper's injected Clock; the core reads none
 * a.observe(wall, 0);
 * b.observe(wall, 0);
 * a.decide('k', 1, Math.floor(wall), 0, true);
 * a.tick(a.wakeAt()); // a gossip round (the driver ticks at wakeAt)
 * const ready = a.ready();
 * for (const { to, message } of ready.messages) if (to === 'b') b.step('a', message);
 * a.advance(ready);
 * ```
 */
export class GossipCounterState implements ProtocolCore<GossipMessage, never, never> {
  readonly id: NodeId;
  readonly limit: number;
  readonly windowMs: number;
  readonly maxUnsynced: number;
  readonly peerTimeoutMs: number;
  readonly #maxKeys: number;
  readonly #keys = new Map<string, KeyState>();
  readonly #lastHeard = new Map<NodeId, number>();
  #peers: readonly NodeId[];
  #size: number;
  readonly syncIntervalMs: number;
  readonly #maxMessageBytes: number;
  /** The wire form of this core's messages; give it to the driver (it measures what it splits, and vouches for what it decoded). */
  readonly codec: GossipCodec = new GossipCodec();
  /** The last observed time: monotonic ms, and the wall time (epoch ms) at that instant. */
  #monotonic: number;
  #wall = 0;
  #nextRound: number;
  #lastHeartbeat: number;
  /** Messages of rounds not yet handed out, and the batch handed out and not yet advanced. */
  #pending: Outbound<GossipMessage>[] = [];
  #handedOut: GossipReady | undefined;

  constructor(options: GossipStateOptions, startMonotonic: number) {
    assertObject(options, 'GossipCounterState options');
    assertNodeId(options.id, 'options.id');
    if (!Array.isArray(options.nodes)) throw new InvalidArgumentError('options.nodes must be an array of node ids');
    for (const node of options.nodes) assertNodeId(node, 'a node of options.nodes');
    if (!Number.isFinite(startMonotonic)) throw new InvalidArgumentError(`startMonotonic must be a finite number, got ${String(startMonotonic)}`);
    const nodes = new Set(options.nodes);
    nodes.add(options.id);
    this.id = options.id;
    this.#peers = [...nodes].filter((node) => node !== options.id).sort();
    this.#size = nodes.size;
    this.limit = positive(options.limit, 'limit');
    this.windowMs = positive(options.windowMs, 'windowMs');
    this.maxUnsynced = positive(options.maxUnsynced, 'maxUnsynced');
    this.peerTimeoutMs = positive(options.peerTimeoutMs, 'peerTimeoutMs');
    this.#maxKeys = positive(options.maxKeys ?? 100_000, 'maxKeys');
    this.syncIntervalMs = positive(options.syncIntervalMs ?? 50, 'syncIntervalMs');
    const maxMessageBytes = options.maxMessageBytes ?? Number.POSITIVE_INFINITY;
    this.#maxMessageBytes = maxMessageBytes === Number.POSITIVE_INFINITY ? maxMessageBytes : positive(maxMessageBytes, 'maxMessageBytes');
    for (const peer of this.peers) this.#lastHeard.set(peer, startMonotonic);
    this.#monotonic = startMonotonic;
    this.#nextRound = startMonotonic + this.syncIntervalMs;
    this.#lastHeartbeat = startMonotonic;
  }

  /** Tells the core the current wall time (epoch ms) and monotonic time (ms), for `step` and `tick`. */
  observe(now: number, monotonic: number): void {
    if (!Number.isFinite(now) || !Number.isFinite(monotonic)) throw new InvalidArgumentError(`now and monotonic must be finite numbers, got ${now} and ${monotonic}`);
    this.#monotonic = monotonic;
    this.#wall = now;
  }

  /** Wall time at monotonic `monotonic`, from the last observation (exact when observed at that instant). */
  #wallAt(monotonic: number): number {
    return Math.floor(monotonic === this.#monotonic ? this.#wall : this.#wall + (monotonic - this.#monotonic));
  }

  /** Merges a peer's message at the last observed time (`ProtocolCore.step`); a malformed one is a `ProtocolViolationError` and changes nothing. */
  step(from: NodeId, message: GossipMessage): void {
    if (typeof from !== 'string') throw new ProtocolViolationError(`from must be a node id, got ${typeof from}`);
    if (!this.codec.decoded(message) && !isGossipMessage(message)) throw new ProtocolViolationError(`A malformed gossip message from "${from}"`, { peer: from });
    this.receive(from, message, Math.floor(this.#wall), this.#monotonic);
  }

  /**
   * Monotonic time `now` was reached: at or after {@link GossipCounterState.wakeAt}, runs a
   * gossip round — what {@link GossipCounterState.outgoing} gives (with a heartbeat every
   * peerTimeoutMs / 4), split to fit `maxMessageBytes` — and schedules the next one.
   */
  tick(now: number): void {
    if (!Number.isFinite(now)) throw new InvalidArgumentError(`now must be a finite number, got ${now}`);
    if (now < this.#nextRound) return;
    this.#nextRound = now + this.syncIntervalMs;
    const heartbeat = now - this.#lastHeartbeat >= this.peerTimeoutMs / 4;
    if (heartbeat) this.#lastHeartbeat = now;
    for (const { to, message } of this.outgoing(this.#wallAt(now), heartbeat)) this.#split(to, message);
  }

  /** The next gossip round (monotonic ms). */
  wakeAt(): number {
    return this.#nextRound;
  }

  hasReady(): boolean {
    return this.#handedOut === undefined && this.#pending.length > 0;
  }

  ready(): GossipReady {
    if (this.#handedOut !== undefined) return this.#handedOut;
    const ready: GossipReady = { sendEarly: [], persist: [], mustSync: false, messages: this.#pending, effects: [] };
    this.#pending = [];
    this.#handedOut = ready;
    return ready;
  }

  advance(ready: GossipReady): void {
    if (ready === this.#handedOut) this.#handedOut = undefined;
  }

  /** Queues `message` for `to`, halved by entries until each part fits (a single entry always goes). */
  #split(to: NodeId, message: GossipMessage): void {
    if (this.#maxMessageBytes !== Number.POSITIVE_INFINITY && message.e.length > 1 && this.codec.size(message) > this.#maxMessageBytes) {
      const half = message.e.length >> 1;
      this.#split(to, { v: 1, e: message.e.slice(0, half) });
      this.#split(to, { v: 1, e: message.e.slice(half) });
      return;
    }
    this.#pending.push({ to, message });
  }

  /** Number of nodes in the cluster (N). */
  get clusterSize(): number {
    return this.#size;
  }

  /** The other nodes of the cluster, sorted. */
  get peers(): readonly NodeId[] {
    return this.#peers;
  }

  /**
   * Replaces the set of nodes (a membership change, e.g. from SWIM): N becomes the new size. A
   * new peer counts as live from `monotonic` on (so this node waits for its acknowledgements
   * before running ahead of it); a removed peer's messages are ignored from now on, and what it
   * admitted in the current window stays counted.
   */
  setNodes(nodes: readonly NodeId[], monotonic: number): void {
    if (!Array.isArray(nodes)) throw new InvalidArgumentError('nodes must be an array of node ids');
    for (const node of nodes) assertNodeId(node, 'a node of nodes');
    if (!Number.isFinite(monotonic)) throw new InvalidArgumentError(`monotonic must be a finite number, got ${String(monotonic)}`);
    const all = new Set(nodes);
    all.add(this.id);
    const peers = [...all].filter((node) => node !== this.id).sort();
    for (const peer of this.#lastHeard.keys()) if (!all.has(peer)) this.#lastHeard.delete(peer);
    for (const peer of peers) if (!this.#lastHeard.has(peer)) this.#lastHeard.set(peer, monotonic);
    this.#peers = peers;
    this.#size = all.size;
  }

  /** Peers heard from within `peerTimeoutMs`. */
  livePeers(monotonic: number): NodeId[] {
    return this.peers.filter((peer) => monotonic - (this.#lastHeard.get(peer) ?? Number.NEGATIVE_INFINITY) < this.peerTimeoutMs);
  }

  /** Decides (and with `commit`, consumes) `cost` units of `key` at wall time `now`. */
  decide(key: string, cost: number, now: number, monotonic: number, commit: boolean): GossipDecision {
    if (typeof key !== 'string') throw new InvalidArgumentError(`key must be a string, got ${typeof key}`);
    if (!Number.isFinite(now) || !Number.isFinite(monotonic)) throw new InvalidArgumentError(`now and monotonic must be finite numbers, got ${now} and ${monotonic}`);
    if (!Number.isSafeInteger(cost) || cost < 1) throw new InvalidCostError(cost);
    if (cost > this.limit) throw new CostExceedsLimitError(cost, this.limit);
    const window = Math.floor(now / this.windowMs);
    let state = this.#keys.get(key);
    if (state !== undefined && state.window < window) {
      this.#keys.delete(key);
      state = undefined;
    }
    const w = state?.window ?? window;
    const resetAt = (w + 1) * this.windowMs;
    const untilReset = Math.max(1, resetAt - now);
    let total = 0;
    if (state !== undefined) for (const count of state.counts.values()) total += count;
    const own = state?.counts.get(this.id) ?? 0;
    const live = this.livePeers(monotonic);
    let remaining = this.limit - total;
    let reason: GossipDecision['reason'] = 'ok';
    if (total + cost > this.limit) reason = 'limit';
    if (live.length < this.peers.length) {
      // Degraded: the group we can reach may use only its share of the limit.
      const share = Math.floor((this.limit * (live.length + 1)) / this.#size);
      let group = own;
      for (const peer of live) group += state?.counts.get(peer) ?? 0;
      remaining = Math.min(remaining, share - group);
      if (reason === 'ok' && group + cost > share) reason = 'share';
    }
    if (reason === 'ok' && live.length > 0) {
      let minAcked = Number.POSITIVE_INFINITY;
      for (const peer of live) minAcked = Math.min(minAcked, state?.acked.get(peer) ?? 0);
      if (own - minAcked + cost > this.maxUnsynced) reason = 'unsynced';
    }
    if (reason !== 'ok') {
      // An unacknowledged backlog clears within a gossip round trip; the others at the window's end.
      const retryAfter = reason === 'unsynced' ? Math.min(untilReset, Math.max(1, Math.ceil(this.peerTimeoutMs / 4))) : untilReset;
      return { allowed: false, remaining: Math.max(0, remaining), resetAt, retryAfter, reason };
    }
    if (commit) {
      if (state === undefined) {
        if (this.#keys.size >= this.#maxKeys) this.#evict(window);
        if (this.#keys.size >= this.#maxKeys) return { allowed: false, remaining: 0, resetAt, retryAfter: untilReset, reason: 'limit' };
        state = { window: w, counts: new Map(), acked: new Map(), echo: new Set(), dirty: false };
        this.#keys.set(key, state);
      }
      state.counts.set(this.id, own + cost);
      state.dirty = true;
      remaining -= cost;
    }
    return { allowed: true, remaining: Math.max(0, remaining), resetAt, retryAfter: 0, reason };
  }

  /** Merges a message from `from` received at wall time `now`. */
  receive(from: NodeId, message: GossipMessage, now: number, monotonic: number): void {
    if (typeof from !== 'string') throw new InvalidArgumentError(`from must be a node id, got ${typeof from}`);
    if (!Array.isArray((message as Partial<GossipMessage> | null)?.e)) throw new InvalidArgumentError('message must be a decoded GossipMessage (with an e array)');
    if (!Number.isFinite(now) || !Number.isFinite(monotonic)) throw new InvalidArgumentError(`now and monotonic must be finite numbers, got ${now} and ${monotonic}`);
    if (from === this.id || !this.#lastHeard.has(from)) return;
    this.#lastHeard.set(from, monotonic);
    const current = Math.floor(now / this.windowMs);
    for (const [key, window, counts, ackedByUs] of message.e) {
      if (window < current) continue;
      let state = this.#keys.get(key);
      if (state !== undefined && state.window < window) {
        this.#keys.delete(key);
        state = undefined;
      }
      if (state !== undefined && state.window > window) continue;
      if (state === undefined) {
        if (this.#keys.size >= this.#maxKeys) this.#evict(current);
        if (this.#keys.size >= this.#maxKeys) continue;
        state = { window, counts: new Map(), acked: new Map(), echo: new Set(), dirty: false };
        this.#keys.set(key, state);
      }
      for (const [node, count] of counts) {
        if (node === this.id) {
          if (count > (state.acked.get(from) ?? 0)) state.acked.set(from, count);
          continue;
        }
        if (count > (state.counts.get(node) ?? 0)) {
          state.counts.set(node, count);
          state.dirty = true;
        }
      }
      // The sender does not yet know that we have seen its latest count: tell it.
      if ((state.counts.get(from) ?? 0) > ackedByUs) state.echo.add(from);
    }
  }

  /**
   * What to send now: for each peer, the keys whose vector changed, that the peer must
   * acknowledge, or whose acknowledgement we still wait for. An empty message is a heartbeat
   * (`heartbeat` true sends one to peers that would get nothing).
   */
  outgoing(now: number, heartbeat: boolean): { to: NodeId; message: GossipMessage }[] {
    if (!Number.isFinite(now)) throw new InvalidArgumentError(`now must be a finite number, got ${now}`);
    const current = Math.floor(now / this.windowMs);
    const perPeer = new Map<NodeId, GossipEntry[]>(this.peers.map((peer) => [peer, []]));
    for (const [key, state] of this.#keys) {
      if (state.window < current) {
        this.#keys.delete(key);
        continue;
      }
      const own = state.counts.get(this.id) ?? 0;
      const vector = [...state.counts];
      for (const peer of this.peers) {
        const acked = state.acked.get(peer) ?? 0;
        if (state.dirty || state.echo.has(peer) || own > acked) perPeer.get(peer)!.push([key, state.window, vector, acked]);
      }
      state.dirty = false;
      state.echo.clear();
    }
    const out: { to: NodeId; message: GossipMessage }[] = [];
    for (const [peer, entries] of perPeer) {
      if (entries.length > 0 || heartbeat) out.push({ to: peer, message: { v: 1, e: entries } });
    }
    return out;
  }

  /** Keys tracked now. */
  get keyCount(): number {
    return this.#keys.size;
  }

  #evict(current: number): void {
    for (const [key, state] of this.#keys) if (state.window < current) this.#keys.delete(key);
  }
}

function positive(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError(`${what} must be a positive integer, got ${String(value)}`);
  return value;
}
