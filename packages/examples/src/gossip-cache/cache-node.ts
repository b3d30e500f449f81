import { InvalidArgumentError, type NodeId } from '@lattice/core';
import type { MemberEvent } from '@lattice/gossip';
import { HashRing } from '@lattice/hashring';
import { LruCache } from './lru.js';

/** First byte of a cache message: tells them from SWIM's (0x53) on the shared endpoint. */
export const CACHE_MAGIC = 0x43;

/** What a {@link CacheNode} sends to a peer: a copy of an entry the peer now owns. */
export interface CacheTransfer {
  readonly key: string;
  readonly value: string;
}

/** Options of {@link CacheNode}. */
export interface CacheNodeOptions {
  id: NodeId;
  /** Entries the node's LRU holds at most. */
  capacity: number;
  /** Copies of each key: the owner and replicas − 1 successors on the ring. Default 2. */
  replicas?: number;
  /**
   * Sweeps in a row that must find an entry placed elsewhere before it is handed on. Longer than
   * it takes a membership change to reach every member, so a copy sent by a member whose view is
   * ahead is not bounced back before this member's view catches up: a member that misses the
   * gossip of a death learns it from its own suspicion timeout, up to 6 × 3 s later on the local
   * profile. Default 30 (at one sweep a second).
   */
  graceSweeps?: number;
  /** Hands a payload to the transport (fire and forget: a lost transfer is a later miss, not an error). */
  send: (to: NodeId, payload: Uint8Array) => void;
}

/** Counters of a {@link CacheNode}. */
export interface CacheNodeStats {
  entries: number;
  evictions: number;
  /** Entries handed to a new owner after a membership change. */
  movedOut: number;
  /** Entries received from peers (writes and hand-overs). */
  received: number;
  /** Times the ring changed here. */
  ringChanges: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * One member of a cache cluster: an LRU of its share of the keys, placed by a consistent-hash
 * ring (`@lattice/hashring`) built from this member's SWIM view of who is alive. When the view
 * changes (a join, a failure, a leave) the ring changes with it, and the node hands every entry
 * whose owners changed to its new owners, and drops those it no longer owns. A failed member's
 * keys live on at its successors (each key has `replicas` copies) and are re-copied to make up
 * the replica count.
 */
export class CacheNode {
  readonly id: NodeId;
  readonly replicas: number;
  readonly #lru: LruCache<string>;
  readonly #send: (to: NodeId, payload: Uint8Array) => void;
  readonly #ring: HashRing;
  readonly #stats = { movedOut: 0, received: 0, ringChanges: 0 };
  /** Keys placed elsewhere, by how many sweeps in a row found them so. */
  #unowned = new Map<string, number>();
  readonly #graceSweeps: number;

  constructor(options: CacheNodeOptions) {
    this.id = options.id;
    this.replicas = options.replicas ?? 2;
    if (!Number.isSafeInteger(this.replicas) || this.replicas < 1) throw new InvalidArgumentError(`replicas must be an integer >= 1, got ${String(options.replicas)}`);
    this.#lru = new LruCache(options.capacity);
    this.#send = options.send;
    this.#graceSweeps = options.graceSweeps ?? 30;
    if (!Number.isSafeInteger(this.#graceSweeps) || this.#graceSweeps < 1) throw new InvalidArgumentError(`graceSweeps must be an integer >= 1, got ${String(options.graceSweeps)}`);
    this.#ring = new HashRing({ members: [{ id: options.id }] });
  }

  /** The nodes that should hold `key`, as this node's view of the cluster places it. */
  owners(key: string): NodeId[] {
    return this.#ring.lookupN(key, Math.min(this.replicas, this.#ring.size));
  }

  /** Members of this node's ring. */
  members(): NodeId[] {
    return this.#ring.members().map((m) => m.id).sort();
  }

  /** Stores `key` here if this node owns it, and copies it to the other owners; otherwise forwards it to them. */
  put(key: string, value: string): void {
    const owners = this.owners(key);
    if (owners.includes(this.id)) this.#lru.set(key, value);
    for (const owner of owners) if (owner !== this.id) this.#transfer(owner, key, value);
  }

  /** The value held here (a hit marks it recently used). */
  get(key: string): string | undefined {
    return this.#lru.get(key);
  }

  /** Keys held here. */
  keys(): string[] {
    return this.#lru.keys();
  }

  stats(): CacheNodeStats {
    return { entries: this.#lru.size, evictions: this.#lru.evictions, ...this.#stats };
  }

  /** A SWIM member event: alive members are on the ring, dead and departed ones are not. */
  onMemberEvent(event: MemberEvent): void {
    const id = event.member.id;
    if (id === this.id) return;
    const joins = event.kind === 'join' || event.kind === 'alive' || event.kind === 'update';
    const leaves = event.kind === 'dead' || event.kind === 'leave';
    if (joins && !this.#ring.has(id)) this.#change(() => this.#ring.add({ id }));
    else if (leaves && this.#ring.has(id)) this.#change(() => this.#ring.remove(id));
    // A suspect stays on the ring: SWIM may yet hear it refute, and moving keys twice costs more than a few misses.
  }

  /** A cache message from a peer; anything malformed is ignored (a peer's garbage changes nothing). */
  receive(_from: NodeId, payload: Uint8Array): void {
    if (payload[0] !== CACHE_MAGIC) return;
    let transfer: CacheTransfer;
    try {
      transfer = JSON.parse(decoder.decode(payload.subarray(1))) as CacheTransfer;
    } catch {
      return;
    }
    if (typeof transfer?.key !== 'string' || typeof transfer.value !== 'string') return;
    this.#stats.received++;
    // Kept even when this node's view disagrees with the sender's for a moment: the next ring
    // change or sweep here moves it on if this view, once current, does not place it here.
    this.#lru.set(transfer.key, transfer.value);
  }

  /**
   * Hands every entry this node's ring does not place here to the members it does place it on,
   * and drops it here. Run it now and then: it settles what arrived while views disagreed.
   */
  sweep(): number {
    let handed = 0;
    const unowned = new Map<string, number>();
    for (const key of this.#lru.keys()) {
      const owners = this.owners(key);
      if (owners.includes(this.id)) continue;
      // Only what stayed misplaced for a while: a copy that came from a member whose view is
      // ahead of this one is this node's to keep once this view catches up.
      const seen = (this.#unowned.get(key) ?? 0) + 1;
      if (seen < this.#graceSweeps) {
        unowned.set(key, seen);
        continue;
      }
      const value = this.#lru.peek(key)!;
      for (const owner of owners) this.#transfer(owner, key, value);
      this.#lru.delete(key);
      handed++;
    }
    this.#unowned = unowned;
    this.#stats.movedOut += handed;
    return handed;
  }

  /** Applies a ring change and moves what it moved: each key to its owners that did not hold it, dropped here if no longer owned. */
  #change(apply: () => void): void {
    const before = new Map<string, NodeId[]>();
    for (const key of this.#lru.keys()) before.set(key, this.owners(key));
    apply();
    this.#stats.ringChanges++;
    for (const [key, previous] of before) {
      const owners = this.owners(key);
      const value = this.#lru.peek(key)!;
      // One sender per key: the first of its previous owners still on the ring, so each new owner gets one copy.
      const sender = previous.find((owner) => this.#ring.has(owner));
      for (const owner of owners) {
        if (sender !== this.id) break;
        if (owner === this.id || previous.includes(owner)) continue;
        this.#transfer(owner, key, value);
        this.#stats.movedOut++;
      }
      if (!owners.includes(this.id)) this.#lru.delete(key);
    }
  }

  #transfer(to: NodeId, key: string, value: string): void {
    const body = encoder.encode(JSON.stringify({ key, value } satisfies CacheTransfer));
    const payload = new Uint8Array(body.length + 1);
    payload[0] = CACHE_MAGIC;
    payload.set(body, 1);
    this.#send(to, payload);
  }
}
