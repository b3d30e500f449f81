import { InvalidArgumentError, type NodeId } from '@lattice/core';
import type { Continuum } from './continuum.js';
import { EmptyRingError } from './errors.js';
import { unknownMember } from './member-errors.js';
import type { HashFunction, HashName, Key } from './hash-function.js';
import { VirtualNodeRing } from './hash-ring.js';
import type { MemberInput } from './member.js';
import { optionsObject } from './shared.js';

/** Options of {@link BoundedLoadRing}. */
export interface BoundedLoadOptions {
  /** Initial members. */
  readonly members?: readonly MemberInput[];
  /**
   * Slack over the average load: a node takes at most ⌈(1 + ε) × (load + 1) × w / W⌉.
   * HAProxy's `hash-balance-factor 125` is ε = 0.25, the default. Must be > 0.
   */
  readonly epsilon?: number;
  /** Points per unit of weight. Default 160. */
  readonly vnodes?: number;
  /** Hash function for keys and points. Default `'xxh32'`. */
  readonly hash?: HashName | HashFunction;
}

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup & Zadimoghaddam, 2018), as
 * HAProxy's `hash-balance-factor`: a key goes to its ring owner unless that node already
 * holds its capacity ⌈(1 + ε) × (total + 1) × weight / totalWeight⌉, in which case it walks on
 * clockwise to the next node with room. So no node ever exceeds (1 + ε) × its fair share.
 *
 * The loads are what you tell it: {@link BoundedLoadRing.acquire} places a key and counts it,
 * {@link BoundedLoadRing.release} uncounts it (a request finished, a session closed). Plain
 * `lookup` answers where a new key would go now without counting it. Membership changes
 * report the movement of the underlying ring (keys whose home changed); a removed node's load
 * is dropped. `lookupN` gives the plain ring's replicas (loads apply to placement only).
 *
 * @example
 * ```ts
 * import { BoundedLoadRing } from '@lattice/hashring';
 * const ring = new BoundedLoadRing({ members: ['w1', 'w2', 'w3'], epsilon: 0.25 });
 * const worker = ring.acquire('tenant-9');   // counted against w?'s capacity
 * // ... when the work is done:
 * ring.release(worker);
 * ```
 */
export class BoundedLoadRing extends VirtualNodeRing {
  readonly algorithm = 'bounded-loads' as const;
  /** Allowed slack over the fair share. */
  readonly epsilon: number;
  private readonly loadById = new Map<NodeId, number>();
  private loads: Float64Array = new Float64Array(0);
  private weights: Float64Array = new Float64Array(0);
  private totalWeight = 0;
  private total = 0;

  constructor(options: BoundedLoadOptions = {}) {
    super(options, 160);
    const epsilon = optionsObject('options', options).epsilon ?? 0.25;
    if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon <= 0) {
      throw new InvalidArgumentError(`epsilon must be a finite number > 0, got ${String(epsilon)}`);
    }
    this.epsilon = epsilon;
    this.syncLoads(this.continuum);
  }

  protected override install(continuum: Continuum): void {
    super.install(continuum);
    // Field initialisers have not run yet during the base constructor's first install.
    if (this.loadById !== undefined) this.syncLoads(continuum);
  }

  private syncLoads(c: Continuum): void {
    const n = c.members.length;
    this.loads = new Float64Array(n);
    this.weights = new Float64Array(n);
    this.totalWeight = 0;
    this.total = 0;
    const present = new Set(c.ids);
    for (const id of [...this.loadById.keys()]) if (!present.has(id)) this.loadById.delete(id);
    c.members.forEach((m, i) => {
      const load = this.loadById.get(m.id) ?? 0;
      this.loads[i] = load;
      this.weights[i] = m.weight;
      this.totalWeight += m.weight;
      this.total += load;
    });
  }

  /** Index (member rank) of the node a new key with hash `h` goes to under the bound. */
  private place(h: number): number {
    const c = this.continuum;
    const points = c.points;
    const total = points.length;
    if (total === 0) throw new EmptyRingError();
    const bucket = h >>> c.shift;
    let lo = c.buckets[bucket]!;
    let hi = c.buckets[bucket + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    const factor = ((1 + this.epsilon) * (this.total + 1)) / this.totalWeight;
    const owners = c.owners;
    for (let k = 0, idx = lo === total ? 0 : lo; k < total; k++, idx = idx + 1 === total ? 0 : idx + 1) {
      const owner = owners[idx]!;
      if (this.loads[owner]! < Math.ceil(factor * this.weights[owner]!)) return owner;
    }
    // Unreachable: the capacities add up to more than the total load.
    return owners[lo === total ? 0 : lo]!;
  }

  /** Where a new key would be placed now, without counting it. */
  override lookup(key: Key): NodeId {
    return this.continuum.ids[this.place(this.hasher.hash(key))]!;
  }

  /** The key's plain ring owner, ignoring loads. */
  home(key: Key): NodeId {
    return super.lookup(key);
  }

  /** Places a key under the load bound and counts it against the chosen node. */
  acquire(key: Key): NodeId {
    const owner = this.place(this.hasher.hash(key));
    const id = this.continuum.ids[owner]!;
    this.loads[owner]!++;
    this.total++;
    this.loadById.set(id, this.loads[owner]!);
    return id;
  }

  /** Uncounts one unit of load from `id` (what an earlier {@link BoundedLoadRing.acquire} returned). */
  release(id: NodeId): void {
    const rank = this.continuum.ids.indexOf(id);
    if (rank < 0) throw unknownMember(id);
    if (this.loads[rank]! <= 0) throw new InvalidArgumentError(`node "${id}" has no load to release`);
    this.loads[rank]!--;
    this.total--;
    this.loadById.set(id, this.loads[rank]!);
  }

  /** Current load of a node. */
  load(id: NodeId): number {
    if (!this.has(id)) throw unknownMember(id);
    return this.loadById.get(id) ?? 0;
  }

  /** Sum of all loads. */
  get totalLoad(): number {
    return this.total;
  }

  /** The most a node may hold when the next key arrives. */
  capacity(id: NodeId): number {
    const rank = this.continuum.ids.indexOf(id);
    if (rank < 0) throw unknownMember(id);
    return Math.ceil((((1 + this.epsilon) * (this.total + 1)) / this.totalWeight) * this.weights[rank]!);
  }

  /** Every node's load. */
  loadsByNode(): Map<NodeId, number> {
    return new Map(this.continuum.ids.map((id, i) => [id, this.loads[i]!]));
  }

  /** Sets every load to zero. */
  resetLoads(): void {
    this.loadById.clear();
    this.syncLoads(this.continuum);
  }

  protected override params(): Record<string, number | string | boolean> {
    return { epsilon: this.epsilon, vnodes: this.vnodes };
  }
}
