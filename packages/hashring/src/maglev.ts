import { InvalidArgumentError, type NodeId } from '@lattice/core';
import { EmptyRingError } from './errors.js';
import { duplicateMember, unknownMember } from './member-errors.js';
import { type HashFunction, type HashName, type Key, KeyHasher, resolveHash, xxh32 } from './hash-function.js';
import { checkWeight, compareIds, type Member, type MemberInput, toMember } from './member.js';
import { type Movement, MovementBuilder } from './movement.js';
import type { LookupNOptions, Partitioner, Snapshot } from './partitioner.js';
import { nodeSeeds } from './rendezvous.js';
import { checkReplicaCount, distinctZonesOf, fingerprintOf, memberArray, optionsObject, positiveInteger, serializeSnapshot, snapshotMembers, sortedIndex, zoneIndex } from './shared.js';
import { Utf8Scratch } from './utf8.js';

/** Options of {@link MaglevHash}. */
export interface MaglevOptions {
  /** Initial members. */
  readonly members?: readonly MemberInput[];
  /** Lookup table size: a prime, ideally at least 100 × the number of members. Default 65537. */
  readonly tableSize?: number;
  /** Hash function for keys and node permutations. Default `'xxh32'`. */
  readonly hash?: HashName | HashFunction;
}

/**
 * True when `n` is prime (trial division; table sizes are small).
 *
 * @example
 * ```ts
 * isPrime(65537); // true: a valid Maglev tableSize
 * ```
 */
export function isPrime(n: number): boolean {
  if (typeof n !== 'number' || Number.isNaN(n)) throw new InvalidArgumentError(`isPrime takes a number, got ${typeof n === 'number' ? 'NaN' : typeof n}`);
  if (!Number.isSafeInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/**
 * Maglev hashing (Eisenbud et al., NSDI 2016): every node walks its own permutation of a
 * prime-sized table, taking turns (in proportion to weight) to claim its next free slot; a
 * key's owner is `table[hash(key) mod size]`. Lookup is one array read, balance is within
 * one slot per node, and a change moves little more than the minimum — reported exactly
 * by comparing the tables.
 *
 * @example
 * ```ts
 * import { MaglevHash } from '@lattice/hashring';
 * const lb = new MaglevHash({ members: ['backend-1', 'backend-2', 'backend-3'], tableSize: 5003 });
 * lb.lookup('10.1.2.3:51234');
 * lb.remove('backend-2').fraction; // ≈ 1/3
 * ```
 */
export class MaglevHash implements Partitioner {
  readonly algorithm = 'maglev' as const;
  /** The prime table size. */
  readonly tableSize: number;
  private readonly hasher: KeyHasher;
  private readonly scratch = new Utf8Scratch();
  private list: Member[] = [];
  private ids: NodeId[] = [];
  private zones: Int32Array = new Int32Array(0);
  private table: Int32Array;

  constructor(input: MaglevOptions = {}) {
    const options: MaglevOptions = optionsObject('options', input);
    this.hasher = new KeyHasher(resolveHash(options.hash, 'xxh32'));
    const size = positiveInteger('tableSize', options.tableSize ?? 65537, 0x4000_0000);
    if (!isPrime(size)) throw new InvalidArgumentError(`tableSize must be a prime, got ${size}`);
    this.tableSize = size;
    const members = memberArray(options.members).map(toMember);
    const seen = new Set<string>();
    for (const m of members) {
      if (seen.has(m.id)) throw duplicateMember(m.id);
      seen.add(m.id);
    }
    this.checkRoom(members.length);
    this.list = members.sort((x, y) => compareIds(x.id, y.id));
    this.table = this.populate();
  }

  private checkRoom(count: number): void {
    if (count >= this.tableSize) throw new InvalidArgumentError(`a Maglev table of ${this.tableSize} slots holds fewer than ${this.tableSize} members; use a larger prime tableSize`);
  }

  /** Fills the table: members take turns claiming their next preferred free slot. */
  private populate(): Int32Array {
    this.ids = this.list.map((m) => m.id);
    this.zones = zoneIndex(this.list);
    const size = this.tableSize;
    const table = new Int32Array(size).fill(-1);
    const n = this.list.length;
    if (n === 0) return table;
    const position = new Float64Array(n);
    const skip = new Float64Array(n);
    const share = new Float64Array(n);
    const credit = new Float64Array(n);
    let maxWeight = 0;
    for (const m of this.list) maxWeight = Math.max(maxWeight, m.weight);
    this.list.forEach((m, i) => {
      const [a, b] = nodeSeeds(this.hasher.fn, this.scratch, m.id);
      position[i] = (a >>> 0) % size;
      skip[i] = ((b >>> 0) % (size - 1)) + 1;
      share[i] = m.weight / maxWeight;
    });
    let filled = 0;
    for (;;) {
      for (let i = 0; i < n; i++) {
        credit[i]! += share[i]!;
        while (credit[i]! >= 1) {
          credit[i]! -= 1;
          let c = position[i]!;
          const s = skip[i]!;
          while (table[c] !== -1) {
            c += s;
            if (c >= size) c -= size;
          }
          table[c] = i;
          c += s;
          position[i] = c >= size ? c - size : c;
          if (++filled === size) return table;
        }
      }
    }
  }

  get size(): number {
    return this.list.length;
  }

  members(): Member[] {
    return [...this.list];
  }

  has(id: NodeId): boolean {
    return this.ids[sortedIndex(this.ids, id)] === id;
  }

  hashKey(key: Key): number {
    return this.hasher.hash(key);
  }

  lookup(key: Key): NodeId {
    if (this.list.length === 0) throw new EmptyRingError();
    return this.ids[this.table[this.hasher.hash(key) % this.tableSize]!]!;
  }

  /** Replicas: the distinct owners of the following table slots. */
  lookupN(key: Key, n: number, options?: LookupNOptions): NodeId[] {
    if (this.list.length === 0) throw new EmptyRingError();
    const distinctZones = distinctZonesOf(options);
    checkReplicaCount(n, this.list, distinctZones);
    const size = this.tableSize;
    const out: NodeId[] = [];
    const used = new Set<number>();
    const usedZones = new Set<number>();
    let slot = this.hasher.hash(key) % size;
    for (let k = 0; k < size && out.length < n; k++, slot = slot + 1 === size ? 0 : slot + 1) {
      const owner = this.table[slot]!;
      if (used.has(owner)) continue;
      if (distinctZones) {
        const z = this.zones[owner]!;
        if (usedZones.has(z)) continue;
        usedZones.add(z);
      }
      used.add(owner);
      out.push(this.ids[owner]!);
    }
    if (out.length < n) {
      // Fewer distinct owners in the table than asked (a tiny weight may own no slot): fill by id order.
      for (let i = 0; i < this.ids.length && out.length < n; i++) {
        if (used.has(i) || (distinctZones && usedZones.has(this.zones[i]!))) continue;
        used.add(i);
        usedZones.add(this.zones[i]!);
        out.push(this.ids[i]!);
      }
    }
    return out;
  }

  /** Slots each member owns. */
  slotCounts(): Map<NodeId, number> {
    const counts = new Map<NodeId, number>(this.ids.map((id) => [id, 0]));
    if (this.list.length === 0) return counts;
    for (const owner of this.table) counts.set(this.ids[owner]!, counts.get(this.ids[owner]!)! + 1);
    return counts;
  }

  private change(mutate: () => void): Movement {
    const beforeIds = this.ids;
    const beforeTable = this.table;
    const wasEmpty = this.list.length === 0;
    mutate();
    this.table = this.populate();
    const builder = new MovementBuilder();
    const size = this.tableSize;
    const isEmpty = this.list.length === 0;
    for (let s = 0; s < size; s++) {
      const from = wasEmpty ? null : beforeIds[beforeTable[s]!]!;
      const to = isEmpty ? null : this.ids[this.table[s]!]!;
      if (from !== to) builder.add(from, to, 1 / size);
    }
    return builder.build(true);
  }

  add(input: MemberInput): Movement {
    const m = toMember(input);
    if (this.has(m.id)) throw duplicateMember(m.id);
    this.checkRoom(this.list.length + 1);
    return this.change(() => {
      this.list.splice(sortedIndex(this.ids, m.id), 0, m);
    });
  }

  remove(id: NodeId): Movement {
    if (!this.has(id)) throw unknownMember(id);
    return this.change(() => {
      this.list.splice(sortedIndex(this.ids, id), 1);
    });
  }

  reweight(id: NodeId, weight: number): Movement {
    if (!this.has(id)) throw unknownMember(id);
    checkWeight(id, weight);
    return this.change(() => {
      const i = sortedIndex(this.ids, id);
      const old = this.list[i]!;
      this.list[i] = old.zone === undefined ? { id, weight } : { id, weight, zone: old.zone };
    });
  }

  snapshot(): Snapshot {
    const bytes = new Uint8Array(this.tableSize * 4);
    const view = new DataView(bytes.buffer);
    if (this.list.length > 0) {
      const idHashes = this.ids.map((id) => xxh32(id));
      for (let s = 0; s < this.tableSize; s++) view.setUint32(s * 4, idHashes[this.table[s]!]!, true);
    }
    return {
      format: 'lattice-hashring',
      version: 1,
      algorithm: this.algorithm,
      hash: this.hasher.fn.name,
      params: { tableSize: this.tableSize },
      members: snapshotMembers(this.list),
      fingerprint: fingerprintOf(bytes),
    };
  }

  serialize(): string {
    return serializeSnapshot(this.snapshot());
  }
}
