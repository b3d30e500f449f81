import { assertNodeId, assertObject, InvalidArgumentError, type NodeId } from '@lattice/core';
import { CostExceedsLimitError, InvalidCostError } from '../errors.js';

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
}

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
 * The deterministic core of the distributed limiter: per key and window, a grow-only counter
 * per node (a G-counter CRDT, merged by max), admission rules, and what to send to whom. No I/O
 * and no timers: the driver feeds it decisions, messages and ticks.
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
 * const now = clock.now(); // the injected Clock
 * a.decide('k', 1, now, 0, true);
 * for (const { message } of a.outgoing(now, false)) b.receive('a', message, now, 1);
 * ```
 */
export class GossipCounterState {
  readonly id: NodeId;
  readonly peers: readonly NodeId[];
  readonly limit: number;
  readonly windowMs: number;
  readonly maxUnsynced: number;
  readonly peerTimeoutMs: number;
  readonly #maxKeys: number;
  readonly #keys = new Map<string, KeyState>();
  readonly #lastHeard = new Map<NodeId, number>();
  readonly #size: number;

  constructor(options: GossipStateOptions, startMonotonic: number) {
    assertObject(options, 'GossipCounterState options');
    assertNodeId(options.id, 'options.id');
    if (!Array.isArray(options.nodes)) throw new InvalidArgumentError('options.nodes must be an array of node ids');
    for (const node of options.nodes) assertNodeId(node, 'a node of options.nodes');
    if (!Number.isFinite(startMonotonic)) throw new InvalidArgumentError(`startMonotonic must be a finite number, got ${String(startMonotonic)}`);
    const nodes = new Set(options.nodes);
    nodes.add(options.id);
    this.id = options.id;
    this.peers = [...nodes].filter((node) => node !== options.id).sort();
    this.#size = nodes.size;
    this.limit = positive(options.limit, 'limit');
    this.windowMs = positive(options.windowMs, 'windowMs');
    this.maxUnsynced = positive(options.maxUnsynced, 'maxUnsynced');
    this.peerTimeoutMs = positive(options.peerTimeoutMs, 'peerTimeoutMs');
    this.#maxKeys = positive(options.maxKeys ?? 100_000, 'maxKeys');
    for (const peer of this.peers) this.#lastHeard.set(peer, startMonotonic);
  }

  /** Number of nodes in the cluster (N). */
  get clusterSize(): number {
    return this.#size;
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
