import { InvalidArgumentError, type NodeId } from '@lattice/core';
import { EmptyRingError } from './errors.js';
import { unknownMember } from './member-errors.js';
import { type Key, type KeyHasher, xxh32 } from './hash-function.js';
import type { Member, MemberInput } from './member.js';
import { type MovedRange, type Movement, MovementBuilder } from './movement.js';
import type { Algorithm, LookupNOptions, Partitioner, Snapshot } from './partitioner.js';
import { checkReplicaCount, distinctZonesOf, fingerprintOf, serializeSnapshot, snapshotMembers, TWO_32, zoneIndex } from './shared.js';

/** Most members a continuum holds: member ranks are packed into 21 bits while sorting. */
export const MAX_RING_MEMBERS = 0x20_0000;
const RANK_SCALE = 0x20_0000;

/**
 * The sorted points of a hash ring and the member owning each. Ties between equal points go
 * to the member of lower rank (the order of `members`), so the placement is a pure function
 * of the member list.
 */
export class Continuum {
  /** Point positions, ascending. */
  readonly points: Uint32Array;
  /** Index into `members` of the owner of each point. */
  readonly owners: Int32Array;
  /** Members in rank order. */
  readonly members: readonly Member[];
  /** Member ids in rank order. */
  readonly ids: readonly NodeId[];
  /**
   * Radix index over the top bits of a hash: `buckets[b]` is the index of the first point whose
   * top bits are ≥ b, so a search only bisects the few points of one bucket.
   */
  readonly buckets: Uint32Array;
  /** 32 minus the number of index bits. */
  readonly shift: number;

  constructor(members: readonly Member[], pointsOf: readonly Uint32Array[]) {
    if (!Array.isArray(members) || !Array.isArray(pointsOf)) throw new InvalidArgumentError('a Continuum takes an array of members and an array of their points');
    if (pointsOf.length !== members.length) throw new InvalidArgumentError(`a Continuum needs one points array per member: ${members.length} members, ${pointsOf.length} arrays`);
    if (!pointsOf.every((p) => p instanceof Uint32Array)) throw new InvalidArgumentError("a Continuum's points must be Uint32Arrays");
    if (members.length > MAX_RING_MEMBERS) throw new InvalidArgumentError(`a ring holds at most ${MAX_RING_MEMBERS} members`);
    this.members = members;
    this.ids = members.map((m) => m.id);
    let total = 0;
    for (const p of pointsOf) total += p.length;
    const packed = new Float64Array(total);
    let k = 0;
    for (let rank = 0; rank < pointsOf.length; rank++) {
      const pts = pointsOf[rank]!;
      for (let i = 0; i < pts.length; i++) packed[k++] = pts[i]! * RANK_SCALE + rank;
    }
    packed.sort();
    this.points = new Uint32Array(total);
    this.owners = new Int32Array(total);
    for (let i = 0; i < total; i++) {
      const v = packed[i]!;
      const point = Math.floor(v / RANK_SCALE);
      this.points[i] = point;
      this.owners[i] = v - point * RANK_SCALE;
    }
    // About one point per bucket, between 2^4 and 2^16 buckets.
    const bits = Math.min(16, Math.max(4, Math.ceil(Math.log2(total + 1))));
    this.shift = 32 - bits;
    const count = 1 << bits;
    this.buckets = new Uint32Array(count + 1);
    let p = 0;
    for (let b = 0; b <= count; b++) {
      while (p < total && this.points[p]! >>> this.shift < b) p++;
      this.buckets[b] = p;
    }
  }

  /** Index of the first point at or after `h`, wrapping to 0 (the continuum must not be empty). */
  find(h: number): number {
    const points = this.points;
    const b = h >>> this.shift;
    let lo = this.buckets[b]!;
    let hi = this.buckets[b + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return lo === points.length ? 0 : lo;
  }

  /** Fingerprint of the placement: every point with its owner's id. */
  fingerprint(): string {
    const bytes = new Uint8Array(this.points.length * 8);
    const view = new DataView(bytes.buffer);
    const idHashes = this.ids.map((id) => xxh32(id));
    for (let i = 0; i < this.points.length; i++) {
      view.setUint32(i * 8, this.points[i]!, true);
      view.setUint32(i * 8 + 4, idHashes[this.owners[i]!]!, true);
    }
    return fingerprintOf(bytes);
  }
}

/** The exact hash ranges whose owner differs between two continua. */
export function diffContinua(before: Continuum, after: Continuum): Movement {
  const builder = new MovementBuilder();
  const ranges: MovedRange[] = [];
  const a = before.points;
  const b = after.points;
  if (a.length === 0 && b.length === 0) return builder.build(true, ranges);
  if (a.length === 0 || b.length === 0) {
    // Everything moves to (or from) nobody; describe per owner of the non-empty side.
    const side = a.length === 0 ? after : before;
    const n = side.points.length;
    for (let i = 0; i < n; i++) {
      const end = side.points[i]!;
      const start = side.points[(i - 1 + n) % n]!;
      const owner = side.ids[side.owners[i]!]!;
      const from = a.length === 0 ? null : owner;
      const to = a.length === 0 ? owner : null;
      pushRange(ranges, builder, start, end, from, to, n === 1 ? TWO_32 : (end - start + TWO_32) % TWO_32 || TWO_32);
    }
    return builder.build(true, ranges);
  }
  // Walk the union of both point sets; between consecutive boundaries the owner is constant
  // on each side: the owner of the first point at or after the boundary.
  let i = 0;
  let j = 0;
  let prev = Math.max(a[a.length - 1]!, b[b.length - 1]!);
  let first = true;
  while (i < a.length || j < b.length) {
    const boundary = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    while (i < a.length && a[i]! < boundary) i++;
    while (j < b.length && b[j]! < boundary) j++;
    const oa = before.ids[before.owners[i < a.length ? i : 0]!]!;
    const ob = after.ids[after.owners[j < b.length ? j : 0]!]!;
    const length = first ? boundary + TWO_32 - prev : boundary - prev;
    if (oa !== ob && length > 0) pushRange(ranges, builder, prev, boundary, oa, ob, length);
    first = false;
    prev = boundary;
    // Step past every point equal to this boundary.
    while (i < a.length && a[i]! === boundary) i++;
    while (j < b.length && b[j]! === boundary) j++;
  }
  // A range that wraps past zero may have been split into a tail and a head: rejoin them.
  if (ranges.length > 1) {
    const head = ranges[0]!;
    const tail = ranges[ranges.length - 1]!;
    if (tail.end === head.start && tail.from === head.from && tail.to === head.to && head.start !== head.end) {
      ranges[0] = { start: tail.start, end: head.end, from: head.from, to: head.to };
      ranges.pop();
    }
  }
  ranges.sort((x, y) => x.end - y.end);
  return builder.build(true, ranges);
}

function pushRange(
  ranges: MovedRange[],
  builder: MovementBuilder,
  start: number,
  end: number,
  from: NodeId | null,
  to: NodeId | null,
  length: number,
): void {
  builder.add(from, to, length / TWO_32);
  const last = ranges[ranges.length - 1];
  if (last !== undefined && last.end === start && last.from === from && last.to === to) {
    ranges[ranges.length - 1] = { start: last.start, end, from, to };
  } else {
    ranges.push({ start, end, from, to });
  }
}

/**
 * Shared machinery of the point-based rings (virtual-node ring, ketama, bounded loads):
 * lookup by binary search, replicas by walking clockwise, exact movement by diffing.
 */
export abstract class ContinuumPartitioner implements Partitioner {
  abstract readonly algorithm: Algorithm;
  protected readonly hasher: KeyHasher;
  protected continuum: Continuum;
  private seen: Int32Array;
  private seenZones: Int32Array;
  private zones: Int32Array;
  private epoch = 0;
  private cache: Map<string, NodeId> | undefined;
  private cacheSize = 0;

  protected constructor(hasher: KeyHasher) {
    this.hasher = hasher;
    this.continuum = new Continuum([], []);
    this.seen = new Int32Array(0);
    this.seenZones = new Int32Array(0);
    this.zones = new Int32Array(0);
  }

  /** Builds the continuum of the current membership. */
  protected abstract build(): Continuum;
  /** Member list in snapshot order. */
  abstract members(): Member[];
  abstract has(id: NodeId): boolean;
  abstract add(member: MemberInput): Movement;
  abstract remove(id: NodeId): Movement;
  abstract reweight(id: NodeId, weight: number): Movement;
  protected abstract params(): Record<string, number | string | boolean>;

  get size(): number {
    return this.continuum.members.length;
  }

  /** Number of points on the ring. */
  get pointCount(): number {
    return this.continuum.points.length;
  }

  /** Rebuilds after a membership change and reports exactly what moved. */
  protected rebuild(): Movement {
    const before = this.continuum;
    this.install(this.build());
    return diffContinua(before, this.continuum);
  }

  /** Turns on a lookup cache of up to `size` string keys (0 turns it off). */
  protected useCache(size: number | undefined): void {
    if (size === undefined || size === 0) return;
    if (!Number.isSafeInteger(size) || size < 0) throw new InvalidArgumentError(`cacheSize must be a non-negative integer, got ${size}`);
    this.cacheSize = size;
    this.cache = new Map();
  }

  protected install(continuum: Continuum): void {
    this.cache?.clear();
    this.continuum = continuum;
    const n = continuum.members.length;
    this.seen = new Int32Array(n);
    this.seenZones = new Int32Array(n);
    this.zones = zoneIndex(continuum.members);
    this.epoch = 0;
  }

  hashKey(key: Key): number {
    return this.hasher.hash(key);
  }

  lookup(key: Key): NodeId {
    const cache = this.cache;
    if (cache !== undefined && typeof key === 'string') {
      const hit = cache.get(key);
      if (hit !== undefined) return hit;
      const owner = this.search(this.hasher.hash(key));
      // Evict the oldest entry (Map keeps insertion order): cheap, and enough for hot keys.
      if (cache.size >= this.cacheSize) cache.delete(cache.keys().next().value!);
      cache.set(key, owner);
      return owner;
    }
    return this.search(this.hasher.hash(key));
  }

  /** The owner of key hash `h`. */
  private search(h: number): NodeId {
    const c = this.continuum;
    if (c.points.length === 0) throw new EmptyRingError();
    // Inline lower-bound search within the hash's radix bucket: this is the hot path.
    const points = c.points;
    const b = h >>> c.shift;
    let lo = c.buckets[b]!;
    let hi = c.buckets[b + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return c.ids[c.owners[lo === points.length ? 0 : lo]!]!;
  }

  /** The ring owner of a 32-bit key hash (what {@link ContinuumPartitioner.hashKey} returns). */
  ownerOfHash(h: number): NodeId {
    const c = this.continuum;
    if (c.points.length === 0) throw new EmptyRingError();
    if (!Number.isInteger(h) || h < 0 || h >= TWO_32) throw new InvalidArgumentError(`hash must be an integer in [0, 2^32), got ${h}`);
    return c.ids[c.owners[c.find(h)]!]!;
  }

  lookupN(key: Key, n: number, options?: LookupNOptions): NodeId[] {
    const c = this.continuum;
    if (c.points.length === 0) throw new EmptyRingError();
    const distinctZones = distinctZonesOf(options);
    checkReplicaCount(n, c.members, distinctZones);
    const start = c.find(this.hasher.hash(key));
    return this.walk(start, n, distinctZones);
  }

  /** Distinct owners clockwise from point index `start`. */
  protected walk(start: number, n: number, distinctZones: boolean): NodeId[] {
    const c = this.continuum;
    const total = c.points.length;
    const out: NodeId[] = [];
    if (++this.epoch > 0x7fff_fffe) {
      this.seen.fill(0);
      this.seenZones.fill(0);
      this.epoch = 1;
    }
    const epoch = this.epoch;
    for (let k = 0, idx = start; k < total && out.length < n; k++, idx = idx + 1 === total ? 0 : idx + 1) {
      const owner = c.owners[idx]!;
      if (this.seen[owner] === epoch) continue;
      if (distinctZones) {
        const zone = this.zones[owner]!;
        if (this.seenZones[zone] === epoch) continue;
        this.seenZones[zone] = epoch;
      }
      this.seen[owner] = epoch;
      out.push(c.ids[owner]!);
    }
    return out;
  }

  /** The ids of all points' owners: how many points each member has. */
  pointsPerMember(): Map<NodeId, number> {
    const counts = new Map<NodeId, number>();
    for (const id of this.continuum.ids) counts.set(id, 0);
    for (const o of this.continuum.owners) {
      const id = this.continuum.ids[o]!;
      counts.set(id, counts.get(id)! + 1);
    }
    return counts;
  }

  /** Fraction of the 32-bit key space each member owns (exact ring arithmetic). */
  ownership(): Map<NodeId, number> {
    const c = this.continuum;
    const shares = new Map<NodeId, number>();
    for (const id of c.ids) shares.set(id, 0);
    const total = c.points.length;
    for (let i = 0; i < total; i++) {
      const start = c.points[(i - 1 + total) % total]!;
      const end = c.points[i]!;
      const length = total === 1 ? TWO_32 : (end - start + TWO_32) % TWO_32;
      const id = c.ids[c.owners[i]!]!;
      shares.set(id, shares.get(id)! + length / TWO_32);
    }
    return shares;
  }

  snapshot(): Snapshot {
    return {
      format: 'lattice-hashring',
      version: 1,
      algorithm: this.algorithm,
      hash: this.hasher.fn.name,
      params: this.params(),
      members: snapshotMembers(this.members()),
      fingerprint: this.continuum.fingerprint(),
    };
  }

  serialize(): string {
    return serializeSnapshot(this.snapshot());
  }

  protected unknown(id: NodeId): never {
    throw unknownMember(id);
  }
}
