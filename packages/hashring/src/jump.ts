import { InvalidArgumentError, type NodeId } from '@lattice/core';
import { EmptyRingError, UnsupportedOperationError } from './errors.js';
import { duplicateMember, unknownMember } from './member-errors.js';
import { type HashFunction, type HashName, type Key, KeyHasher, resolveHash, xxh32 } from './hash-function.js';
import { checkWeight, type Member, type MemberInput, toMember } from './member.js';
import { type Movement, MovementBuilder, noMovement } from './movement.js';
import { fmix32 } from './murmur3.js';
import type { LookupNOptions, Partitioner, Snapshot } from './partitioner.js';
import { checkReplicaCount, distinctZonesOf, fingerprintOf, memberArray, optionsObject, serializeSnapshot, snapshotMembers, zoneIndex } from './shared.js';

/** Options of {@link JumpHash}. */
export interface JumpOptions {
  /** Initial members: bucket 0, 1, 2, ... in this order. */
  readonly members?: readonly MemberInput[];
  /** Hash function for keys. Default `'xxh32'`. */
  readonly hash?: HashName | HashFunction;
}

/** High 32 bits of the 64-bit product of two unsigned 32-bit integers. */
function mulHigh(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const m1 = a1 * b0 + ((a0 * b0) >>> 16);
  const m2 = a0 * b1 + (m1 & 0xffff);
  return (a1 * b1 + (m1 >>> 16) + (m2 >>> 16)) | 0;
}

/**
 * Jump consistent hash (Lamping & Veach, 2014) of the 64-bit key `hi:lo` into `buckets`
 * buckets, bit-exact with the paper's C++ (64-bit arithmetic in 32-bit halves).
 *
 * @example
 * ```ts
 * jumpBucket(0, 0x12345678, 10); // a bucket in [0, 10)
 * ```
 */
export function jumpBucket(hi: number, lo: number, buckets: number): number {
  if (((hi | 0) !== hi && hi >>> 0 !== hi) || ((lo | 0) !== lo && lo >>> 0 !== lo)) throw new InvalidArgumentError(`jumpBucket takes the key as two 32-bit integers (hi, lo), got ${String(hi)}, ${String(lo)}`);
  if (!Number.isSafeInteger(buckets) || buckets < 1 || buckets > 0x8000_0000) throw new InvalidArgumentError(`buckets must be an integer in [1, 2^31], got ${String(buckets)}`);
  let b = -1;
  let j = 0;
  let kh = hi | 0;
  let kl = lo | 0;
  while (j < buckets) {
    b = j;
    // key = key * 2862933555777941757 + 1 (mod 2^64); the multiplier is 0x27BB2EE6_87B0B0FD.
    const newHi = (mulHigh(kl >>> 0, 0x87b0b0fd) + Math.imul(kh, 0x87b0b0fd) + Math.imul(kl, 0x27bb2ee6)) | 0;
    const newLo = Math.imul(kl, 0x87b0b0fd);
    kl = (newLo + 1) | 0;
    kh = (newHi + (newLo === -1 ? 1 : 0)) | 0;
    j = Math.floor((b + 1) * (2147483648 / ((kh >>> 1) + 1)));
  }
  return b;
}

/**
 * Jump consistent hash: no ring, no memory beyond the member list, perfectly even and
 * minimal movement, but nodes are numbered buckets: only the last one can leave, and there
 * are no weights. A key's 64-bit jump input is built from its 32-bit hash.
 *
 * @example
 * ```ts
 * import { JumpHash } from '@lattice/hashring';
 * const shards = new JumpHash({ members: ['shard-0', 'shard-1', 'shard-2'] });
 * shards.lookup('order:981');
 * shards.add('shard-3');      // ≈ 1/4 of the keys move, all to shard-3
 * shards.remove('shard-3');   // only the last bucket can be removed
 * ```
 */
export class JumpHash implements Partitioner {
  readonly algorithm = 'jump' as const;
  private readonly hasher: KeyHasher;
  private list: Member[] = [];
  private ids: NodeId[] = [];
  private zones: Int32Array = new Int32Array(0);

  constructor(input: JumpOptions = {}) {
    const options: JumpOptions = optionsObject('options', input);
    this.hasher = new KeyHasher(resolveHash(options.hash, 'xxh32'));
    for (const input of memberArray(options.members)) {
      const m = this.check(input);
      if (this.list.some((x) => x.id === m.id)) throw duplicateMember(m.id);
      this.list.push(m);
    }
    this.reindex();
  }

  private check(input: MemberInput): Member {
    const m = toMember(input);
    if (m.weight !== 1) throw new UnsupportedOperationError(`jump consistent hash has no weights; member "${m.id}" has weight ${m.weight}`);
    return m;
  }

  private reindex(): void {
    this.ids = this.list.map((m) => m.id);
    this.zones = zoneIndex(this.list);
  }

  get size(): number {
    return this.list.length;
  }

  members(): Member[] {
    return [...this.list];
  }

  has(id: NodeId): boolean {
    return this.ids.includes(id);
  }

  hashKey(key: Key): number {
    return this.hasher.hash(key);
  }

  /** The bucket (index into {@link JumpHash.members}) of a key. */
  bucket(key: Key): number {
    if (this.list.length === 0) throw new EmptyRingError();
    const h = this.hasher.hash(key);
    return jumpBucket(fmix32((h + 0x9e3779b9) | 0), h, this.list.length);
  }

  lookup(key: Key): NodeId {
    return this.ids[this.bucket(key)]!;
  }

  /** Replicas are the buckets after the key's own, in order (skipping repeated zones). */
  lookupN(key: Key, n: number, options?: LookupNOptions): NodeId[] {
    const first = this.bucket(key);
    const distinctZones = distinctZonesOf(options);
    checkReplicaCount(n, this.list, distinctZones);
    const out: NodeId[] = [];
    const used = new Set<number>();
    const count = this.list.length;
    for (let k = 0; k < count && out.length < n; k++) {
      const b = (first + k) % count;
      if (distinctZones) {
        const z = this.zones[b]!;
        if (used.has(z)) continue;
        used.add(z);
      }
      out.push(this.ids[b]!);
    }
    return out;
  }

  /** Appends a bucket: an expected 1/(n+1) of the keys move to it, evenly from every bucket. */
  add(input: MemberInput): Movement {
    const m = this.check(input);
    if (this.has(m.id)) throw duplicateMember(m.id);
    const n = this.list.length;
    this.list.push(m);
    this.reindex();
    const builder = new MovementBuilder();
    if (n === 0) builder.add(null, m.id, 1);
    for (let i = 0; i < n; i++) builder.add(this.ids[i]!, m.id, 1 / (n * (n + 1)));
    return builder.build(false);
  }

  /** Removes the last bucket (throws `UnsupportedOperationError` for any other). */
  remove(id: NodeId): Movement {
    const index = this.ids.indexOf(id);
    if (index < 0) throw unknownMember(id);
    if (index !== this.list.length - 1) {
      throw new UnsupportedOperationError(`jump consistent hash can only remove its last bucket ("${this.ids[this.ids.length - 1]}"), not "${id}"`);
    }
    this.list.pop();
    this.reindex();
    const n = this.list.length;
    const builder = new MovementBuilder();
    if (n === 0) builder.add(id, null, 1);
    for (let i = 0; i < n; i++) builder.add(id, this.ids[i]!, 1 / ((n + 1) * n));
    return builder.build(false);
  }

  /** Jump has no weights: only a weight of 1 is accepted (and changes nothing). */
  reweight(id: NodeId, weight: number): Movement {
    if (!this.has(id)) throw unknownMember(id);
    checkWeight(id, weight);
    if (weight !== 1) throw new UnsupportedOperationError('jump consistent hash has no weights');
    return noMovement(false);
  }

  snapshot(): Snapshot {
    return {
      format: 'lattice-hashring',
      version: 1,
      algorithm: this.algorithm,
      hash: this.hasher.fn.name,
      params: {},
      members: snapshotMembers(this.list),
      fingerprint: fingerprintOf(new TextEncoder().encode(this.ids.map((id) => xxh32(id).toString(16)).join(','))),
    };
  }

  serialize(): string {
    return serializeSnapshot(this.snapshot());
  }
}
