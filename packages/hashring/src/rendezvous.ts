import type { NodeId } from '@lattice/core';
import { EmptyRingError } from './errors.js';
import { duplicateMember, unknownMember } from './member-errors.js';
import { type HashFunction, type HashName, type Key, KeyHasher, resolveHash } from './hash-function.js';
import { checkWeight, compareIds, type Member, type MemberInput, toMember } from './member.js';
import { type Movement, MovementBuilder } from './movement.js';
import { fmix32 } from './murmur3.js';
import type { LookupNOptions, Partitioner, Snapshot } from './partitioner.js';
import { checkReplicaCount, distinctZonesOf, fingerprintOf, memberArray, optionsObject, serializeSnapshot, snapshotMembers, sortedIndex, TWO_32, zoneIndex } from './shared.js';
import { Utf8Scratch } from './utf8.js';

/** Options of {@link RendezvousHash}. */
export interface RendezvousOptions {
  /** Initial members. */
  readonly members?: readonly MemberInput[];
  /** Hash function for keys and node seeds. Default `'xxh32'`. */
  readonly hash?: HashName | HashFunction;
}

/** Per-node seeds derived from its id. */
export function nodeSeeds(fn: HashFunction, scratch: Utf8Scratch, id: NodeId): [number, number] {
  let length = scratch.encode(id);
  const a = fn.hash(scratch.bytes, length);
  length = scratch.encode(`${id}\u0000`);
  const b = fn.hash(scratch.bytes, length);
  return [a, b];
}

/** The 32-bit score of a key hash against a node's seeds. */
function score32(h: number, a: number, b: number): number {
  return fmix32((fmix32(h ^ a) + b) | 0);
}

/**
 * Rendezvous (highest random weight) hashing: every node scores the key and the highest score
 * wins. Weighted by the logarithmic method (score = weight / −ln(u)), so a node of weight w
 * owns w / W of the keys exactly in expectation; any node can leave, and only its keys move.
 * Lookups cost O(members), so it suits up to a few hundred nodes.
 *
 * @example
 * ```ts
 * import { RendezvousHash } from '@lattice/hashring';
 * const hrw = new RendezvousHash({ members: ['a', 'b', { id: 'c', weight: 3 }] });
 * hrw.lookup('object-17');
 * hrw.lookupN('object-17', 2); // the two highest scores
 * ```
 */
export class RendezvousHash implements Partitioner {
  readonly algorithm = 'rendezvous' as const;
  private readonly hasher: KeyHasher;
  private readonly scratch = new Utf8Scratch();
  private list: Member[] = [];
  private ids: NodeId[] = [];
  private seedA = new Int32Array(0);
  private seedB = new Int32Array(0);
  private weights = new Float64Array(0);
  private zones: Int32Array = new Int32Array(0);
  private uniform = true;

  constructor(input: RendezvousOptions = {}) {
    const options: RendezvousOptions = optionsObject('options', input);
    this.hasher = new KeyHasher(resolveHash(options.hash, 'xxh32'));
    const members = memberArray(options.members).map(toMember);
    const seen = new Set<string>();
    for (const m of members) {
      if (seen.has(m.id)) throw duplicateMember(m.id);
      seen.add(m.id);
    }
    this.list = members.sort((x, y) => compareIds(x.id, y.id));
    this.reindex();
  }

  private reindex(): void {
    const n = this.list.length;
    this.ids = this.list.map((m) => m.id);
    this.seedA = new Int32Array(n);
    this.seedB = new Int32Array(n);
    this.weights = new Float64Array(n);
    this.list.forEach((m, i) => {
      const [a, b] = nodeSeeds(this.hasher.fn, this.scratch, m.id);
      this.seedA[i] = a;
      this.seedB[i] = b;
      this.weights[i] = m.weight;
    });
    this.uniform = this.list.every((m) => m.weight === this.list[0]!.weight);
    this.zones = zoneIndex(this.list);
  }

  get size(): number {
    return this.list.length;
  }

  members(): Member[] {
    return [...this.list];
  }

  has(id: NodeId): boolean {
    const i = sortedIndex(this.ids, id);
    return this.ids[i] === id;
  }

  hashKey(key: Key): number {
    return this.hasher.hash(key);
  }

  lookup(key: Key): NodeId {
    const n = this.list.length;
    if (n === 0) throw new EmptyRingError();
    const h = this.hasher.hash(key);
    const a = this.seedA;
    const b = this.seedB;
    let best = 0;
    if (this.uniform) {
      let top = -1;
      for (let i = 0; i < n; i++) {
        const s = score32(h, a[i]!, b[i]!);
        if (s > top) {
          top = s;
          best = i;
        }
      }
    } else {
      let top = -1;
      const w = this.weights;
      for (let i = 0; i < n; i++) {
        const s = w[i]! / -Math.log((score32(h, a[i]!, b[i]!) + 0.5) / TWO_32);
        if (s > top) {
          top = s;
          best = i;
        }
      }
    }
    return this.ids[best]!;
  }

  lookupN(key: Key, n: number, options?: LookupNOptions): NodeId[] {
    if (this.list.length === 0) throw new EmptyRingError();
    const distinctZones = distinctZonesOf(options);
    checkReplicaCount(n, this.list, distinctZones);
    const h = this.hasher.hash(key);
    const count = this.list.length;
    const scores = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const s = score32(h, this.seedA[i]!, this.seedB[i]!);
      scores[i] = this.uniform ? s : this.weights[i]! / -Math.log((s + 0.5) / TWO_32);
    }
    const order = Array.from({ length: count }, (_, i) => i).sort((x, y) => scores[y]! - scores[x]! || x - y);
    const out: NodeId[] = [];
    const usedZones = new Set<number>();
    for (const i of order) {
      if (distinctZones) {
        const z = this.zones[i]!;
        if (usedZones.has(z)) continue;
        usedZones.add(z);
      }
      out.push(this.ids[i]!);
      if (out.length === n) break;
    }
    return out;
  }

  /** Expected movement when the weights change from `before` to `after` (maps of id → weight). */
  private movement(before: ReadonlyMap<NodeId, number>, after: ReadonlyMap<NodeId, number>): Movement {
    let wb = 0;
    let wa = 0;
    for (const w of before.values()) wb += w;
    for (const w of after.values()) wa += w;
    const builder = new MovementBuilder();
    // With exponential races the share of each node is w / W, and a change to one node moves
    // keys only between it and the others, in proportion to their weights.
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter((id) => before.get(id) !== after.get(id));
    for (const id of changed) {
      const shareBefore = wb === 0 ? 0 : (before.get(id) ?? 0) / wb;
      const shareAfter = wa === 0 ? 0 : (after.get(id) ?? 0) / wa;
      const delta = shareAfter - shareBefore;
      const others = [...after.keys()].filter((o) => o !== id && before.has(o));
      let otherWeight = 0;
      for (const o of others) otherWeight += after.get(o)!;
      if (others.length === 0) {
        builder.add(delta > 0 ? null : id, delta > 0 ? id : null, Math.abs(delta));
        continue;
      }
      for (const o of others) {
        const part = (Math.abs(delta) * after.get(o)!) / otherWeight;
        if (delta > 0) builder.add(o, id, part);
        else builder.add(id, o, part);
      }
    }
    return builder.build(false);
  }

  private weightMap(): Map<NodeId, number> {
    return new Map(this.list.map((m) => [m.id, m.weight]));
  }

  add(input: MemberInput): Movement {
    const m = toMember(input);
    if (this.has(m.id)) throw duplicateMember(m.id);
    const before = this.weightMap();
    this.list.splice(sortedIndex(this.ids, m.id), 0, m);
    this.reindex();
    return this.movement(before, this.weightMap());
  }

  remove(id: NodeId): Movement {
    if (!this.has(id)) throw unknownMember(id);
    const before = this.weightMap();
    this.list.splice(sortedIndex(this.ids, id), 1);
    this.reindex();
    return this.movement(before, this.weightMap());
  }

  reweight(id: NodeId, weight: number): Movement {
    if (!this.has(id)) throw unknownMember(id);
    checkWeight(id, weight);
    const before = this.weightMap();
    const i = sortedIndex(this.ids, id);
    const old = this.list[i]!;
    this.list[i] = old.zone === undefined ? { id, weight } : { id, weight, zone: old.zone };
    this.reindex();
    return this.movement(before, this.weightMap());
  }

  snapshot(): Snapshot {
    // Rendezvous placement is a function of the members and their seeds.
    const bytes = new Uint8Array(this.list.length * 16);
    const view = new DataView(bytes.buffer);
    this.list.forEach((m, i) => {
      view.setInt32(i * 16, this.seedA[i]!, true);
      view.setInt32(i * 16 + 4, this.seedB[i]!, true);
      view.setFloat64(i * 16 + 8, m.weight, true);
    });
    return {
      format: 'lattice-hashring',
      version: 1,
      algorithm: this.algorithm,
      hash: this.hasher.fn.name,
      params: {},
      members: snapshotMembers(this.list),
      fingerprint: fingerprintOf(bytes),
    };
  }

  serialize(): string {
    return serializeSnapshot(this.snapshot());
  }
}
