import { InvalidArgumentError, type NodeId } from '@lattice/core';
import { Continuum, ContinuumPartitioner } from './continuum.js';
import { duplicateMember } from './member-errors.js';
import { type HashFunction, type HashName, KeyHasher, resolveHash } from './hash-function.js';
import { checkWeight, compareIds, type Member, type MemberInput, toMember } from './member.js';
import type { Movement } from './movement.js';
import { memberArray, optionsObject, positiveInteger, sortedIndex } from './shared.js';
import { Utf8Scratch } from './utf8.js';

/** Most points one member may own (vnodes × weight). */
export const MAX_POINTS_PER_MEMBER = 1 << 22;

/** Options of {@link HashRing}. */
export interface HashRingOptions {
  /** Initial members. */
  readonly members?: readonly MemberInput[];
  /** Points (virtual nodes) per unit of weight. Default 160. */
  readonly vnodes?: number;
  /** Hash function for keys and points. Default `'xxh32'`. */
  readonly hash?: HashName | HashFunction;
  /**
   * Remember the owners of up to this many recent string keys (first-in first-out, cleared on
   * every membership change). Pays off when a few keys are looked up over and over; costs a
   * little on keys that are not repeated. Default 0 (off).
   */
  readonly cacheSize?: number;
}

/** Points of one member: `hash("<id>-<i>")` for i in [0, count). */
export function memberPoints(fn: HashFunction, scratch: Utf8Scratch, id: NodeId, count: number, reuse?: Uint32Array): Uint32Array {
  const out = new Uint32Array(count);
  const kept = reuse === undefined ? 0 : Math.min(reuse.length, count);
  if (reuse !== undefined) out.set(reuse.subarray(0, kept));
  for (let i = kept; i < count; i++) {
    const length = scratch.encode(`${id}-${i}`);
    out[i] = fn.hash(scratch.bytes, length);
  }
  return out;
}

/**
 * A ring whose members own `round(vnodes × weight)` points each at `hash("<id>-<i>")`,
 * ranked by id: the machinery {@link HashRing}, {@link MultiProbeHash} and
 * {@link BoundedLoadRing} share.
 */
export abstract class VirtualNodeRing extends ContinuumPartitioner {
  /** Points per unit of weight. */
  readonly vnodes: number;
  private readonly scratch = new Utf8Scratch();
  private ids: NodeId[] = [];
  private readonly entries = new Map<NodeId, { member: Member; points: Uint32Array }>();

  protected constructor(input: HashRingOptions | undefined, defaultVnodes: number) {
    const options: HashRingOptions = optionsObject('options', input);
    super(new KeyHasher(resolveHash(options.hash, 'xxh32')));
    this.vnodes = positiveInteger('vnodes', options.vnodes ?? defaultVnodes, 1 << 20);
    const members = memberArray(options.members).map(toMember);
    const seen = new Set<string>();
    for (const m of members) {
      if (seen.has(m.id)) throw duplicateMember(m.id);
      seen.add(m.id);
    }
    for (const m of members) this.entries.set(m.id, { member: m, points: this.pointsFor(m) });
    this.ids = [...seen].sort(compareIds);
    this.install(this.build());
  }

  private pointsFor(m: Member, reuse?: Uint32Array): Uint32Array {
    const count = Math.max(1, Math.round(this.vnodes * m.weight));
    if (count > MAX_POINTS_PER_MEMBER) {
      throw new InvalidArgumentError(`vnodes × weight of "${m.id}" is ${count} points; at most ${MAX_POINTS_PER_MEMBER} are allowed (use smaller relative weights)`);
    }
    return memberPoints(this.hasher.fn, this.scratch, m.id, count, reuse);
  }

  protected build(): Continuum {
    const members: Member[] = [];
    const points: Uint32Array[] = [];
    for (const id of this.ids) {
      const e = this.entries.get(id)!;
      members.push(e.member);
      points.push(e.points);
    }
    return new Continuum(members, points);
  }

  members(): Member[] {
    return this.ids.map((id) => this.entries.get(id)!.member);
  }

  has(id: NodeId): boolean {
    return this.entries.has(id);
  }

  add(input: MemberInput): Movement {
    const m = toMember(input);
    if (this.entries.has(m.id)) throw duplicateMember(m.id);
    this.entries.set(m.id, { member: m, points: this.pointsFor(m) });
    this.ids.splice(sortedIndex(this.ids, m.id), 0, m.id);
    return this.rebuild();
  }

  remove(id: NodeId): Movement {
    if (!this.entries.delete(id)) this.unknown(id);
    this.ids.splice(sortedIndex(this.ids, id), 1);
    return this.rebuild();
  }

  reweight(id: NodeId, weight: number): Movement {
    const e = this.entries.get(id);
    if (e === undefined) this.unknown(id);
    checkWeight(id, weight);
    const member: Member = e.member.zone === undefined ? { id, weight } : { id, weight, zone: e.member.zone };
    // Points are a prefix of one sequence, so a reweight only adds or drops points.
    this.entries.set(id, { member, points: this.pointsFor(member, e.points) });
    return this.rebuild();
  }

  protected params(): Record<string, number | string | boolean> {
    return { vnodes: this.vnodes };
  }
}


/**
 * Consistent hashing on a ring with virtual nodes and weights. A member of weight `w` owns
 * `round(vnodes × w)` points (at least one) at `hash("<id>-<i>")`; a key belongs to the
 * first point at or after `hash(key)`. The placement depends only on the set of members,
 * never on the order they were added, and a membership change moves only the keys it must
 * (to or from the changed member), reported exactly as hash ranges.
 *
 * @example
 * ```ts
 * import { HashRing } from '@lattice/hashring';
 * const ring = new HashRing({ members: ['cache-a', 'cache-b', { id: 'cache-c', weight: 2 }] });
 * ring.lookup('user:42');          // e.g. 'cache-c'
 * ring.lookupN('user:42', 2);      // two distinct replicas
 * const moved = ring.add('cache-d');
 * moved.fraction;                  // ≈ 0.2 of the keys now belong to cache-d
 * ```
 */
export class HashRing extends VirtualNodeRing {
  readonly algorithm = 'ring' as const;

  constructor(options: HashRingOptions = {}) {
    super(options, 160);
    this.useCache(optionsObject('options', options).cacheSize);
  }
}
