import { InvalidArgumentError, type NodeId } from '@lattice/core';
import { Continuum, ContinuumPartitioner } from './continuum.js';
import { type HashRingOptions, MAX_POINTS_PER_MEMBER } from './hash-ring.js';
import { InvalidWeightError } from './errors.js';
import { duplicateMember } from './member-errors.js';
import { createHashFunction, KeyHasher } from './hash-function.js';
import { KETAMA_POINT_COUNTS, type KetamaPointCounts, ketamaDigestCount } from './ketama-points.js';
import { checkWeight, type Member, type MemberInput, toMember } from './member.js';
import { Md5 } from './md5.js';
import type { Movement } from './movement.js';
import { memberArray, optionsObject, positiveInteger } from './shared.js';
import { Utf8Scratch } from './utf8.js';

/** A ketama member: a {@link MemberInput}, optionally with a fixed number of point hashes. */
export type KetamaMemberInput = MemberInput | { readonly id: NodeId; readonly weight?: number; readonly zone?: string; readonly vnodes?: number };

/** Options of {@link KetamaRing}; the names follow the `hashring` package's options. */
export interface KetamaOptions {
  /** Initial members, in ketama's server-list order. */
  readonly members?: readonly KetamaMemberInput[];
  /** Point hashes per server at average weight (`hashring`'s `'vnode count'`). Default 40. */
  readonly vnodes?: number;
  /**
   * `'ketama'` (libketama, 4 points per MD5 digest, the default) or `'hash_ring'` (Python's
   * hash_ring, 3 points per digest).
   */
  readonly compatibility?: 'ketama' | 'hash_ring';
  /**
   * Which client's arithmetic gives each server its number of digests (see
   * {@link KetamaPointCounts}): `'libketama'` (the default with `compatibility: 'ketama'`),
   * `'libmemcached'` (together with `defaultPort: 11211`, libmemcached's and pylibmc's weighted
   * ketama) or `'hashring'` (the `hashring` npm package; the default with
   * `compatibility: 'hash_ring'`). The C clients take integer weights, so `'libketama'` and
   * `'libmemcached'` refuse a fractional weight ({@link InvalidWeightError}).
   *
   * @example
   * ```ts
   * // The servers libmemcached (MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED) picks:
   * new KetamaRing({ members: ['10.0.0.1:11211', '10.0.0.2:11211'], pointCounts: 'libmemcached', defaultPort: 11211 });
   * // The servers `new HashRing(servers)` of the hashring npm package picks:
   * new KetamaRing({ members: ['10.0.0.1:11211', '10.0.0.2:11211'], pointCounts: 'hashring' });
   * ```
   */
  readonly pointCounts?: KetamaPointCounts;
  /** Points taken from each 16-byte digest, 1 to 4 (`hashring`'s `replicas`); overrides `compatibility`. */
  readonly pointsPerHash?: number;
  /** When a member id is `host:<defaultPort>`, hash only `host`, as libketama does for the default port. */
  readonly defaultPort?: number;
  /** Lookup cache of recent string keys, as in {@link HashRingOptions.cacheSize}. Default 0 (off). */
  readonly cacheSize?: number;
}

interface KetamaEntry {
  member: Member;
  /** Cached MD5 words of "<id>-<i>" for i < digests.length / 4. */
  digests: Int32Array;
}

/**
 * Ketama consistent hashing, placing keys exactly as libketama, libmemcached or the `hashring`
 * npm package do (chosen by {@link KetamaOptions.pointCounts}; they differ only in the
 * floating-point arithmetic of the point counts): each server gets
 * `floor(weight / totalWeight × vnodes × servers)` MD5 digests of
 * `"<server>-<i>"`, each digest gives 4 points (little-endian words), and a key goes to the
 * first point at or after the first word of its MD5. Unlike the other algorithms, ketama's
 * point counts depend on the whole membership, so a change moves more keys than the
 * minimum; and when two points collide, the member earlier in the server list wins, as in
 * `hashring` — the one place the member order matters.
 *
 * @example
 * ```ts
 * import { KetamaRing } from '@lattice/hashring';
 * const ring = new KetamaRing({ members: ['10.0.0.1:11211', '10.0.0.2:11211'] });
 * ring.lookup('foo'); // the server libketama's ketama_get_server() returns for "foo"
 * ```
 */
export class KetamaRing extends ContinuumPartitioner {
  readonly algorithm = 'ketama' as const;
  /** Point hashes per server at average weight. */
  readonly vnodes: number;
  /** Points per MD5 digest. */
  readonly pointsPerHash: number;
  /** Whose arithmetic gives the point counts. */
  readonly pointCounts: KetamaPointCounts;
  /** The default port left out of point hashes, if any. */
  readonly defaultPort: number | undefined;
  private readonly order: KetamaEntry[] = [];
  private readonly byId = new Map<NodeId, KetamaEntry>();
  private readonly md5 = new Md5();
  private readonly scratch = new Utf8Scratch();

  constructor(input: KetamaOptions = {}) {
    const options: KetamaOptions = optionsObject('options', input);
    super(new KeyHasher(createHashFunction('md5')));
    this.vnodes = positiveInteger('vnodes', options.vnodes ?? 40, 1 << 20);
    this.pointsPerHash =
      options.pointsPerHash !== undefined
        ? positiveInteger('pointsPerHash', options.pointsPerHash, 4)
        : options.compatibility === 'hash_ring'
          ? 3
          : 4;
    if (options.compatibility !== undefined && options.compatibility !== 'ketama' && options.compatibility !== 'hash_ring') {
      throw new InvalidArgumentError(`compatibility must be 'ketama' or 'hash_ring', got ${String(options.compatibility)}`);
    }
    const pointCounts = options.pointCounts ?? (options.compatibility === 'hash_ring' ? 'hashring' : 'libketama');
    if (!KETAMA_POINT_COUNTS.includes(pointCounts)) {
      throw new InvalidArgumentError(`pointCounts must be one of ${KETAMA_POINT_COUNTS.join(', ')}, got ${String(pointCounts)}`);
    }
    this.pointCounts = pointCounts;
    this.defaultPort = options.defaultPort === undefined ? undefined : positiveInteger('defaultPort', options.defaultPort, 65535);
    for (const input of memberArray(options.members)) {
      const entry = this.entryOf(input);
      if (this.byId.has(entry.member.id)) throw duplicateMember(entry.member.id);
      this.order.push(entry);
      this.byId.set(entry.member.id, entry);
    }
    this.install(this.build());
    this.useCache(options.cacheSize);
  }

  private entryOf(input: KetamaMemberInput): KetamaEntry {
    const base = toMember(input);
    this.checkClientWeight(base.id, base.weight);
    const vnodes = typeof input === 'object' && 'vnodes' in input && input.vnodes !== undefined ? positiveInteger('vnodes', input.vnodes, 1 << 20) : undefined;
    return { member: vnodes === undefined ? base : { ...base, vnodes }, digests: new Int32Array(0) };
  }

  /** libketama's `unsigned long` and libmemcached's `uint32_t` weights: integers only. */
  private checkClientWeight(id: NodeId, weight: number): void {
    if (this.pointCounts !== 'hashring' && (!Number.isInteger(weight) || weight > 0xffff_ffff)) {
      throw new InvalidWeightError(id, weight, { requirement: `an integer in [1, 4294967295] with pointCounts '${this.pointCounts}'` });
    }
  }

  /** The string ketama hashes for point `i` of a member. */
  private pointName(id: NodeId): string {
    if (this.defaultPort !== undefined) {
      const parts = id.split(':');
      if (Number(parts[1]) === this.defaultPort) return parts[0]!;
    }
    return id;
  }

  protected build(): Continuum {
    const n = this.order.length;
    let total = 0;
    for (const e of this.order) total += e.member.weight;
    const members: Member[] = [];
    const points: Uint32Array[] = [];
    const pph = this.pointsPerHash;
    for (const e of this.order) {
      const custom = e.member.vnodes;
      const count = custom !== undefined && custom !== this.vnodes ? custom : ketamaDigestCount(this.pointCounts, e.member.weight, total, n, this.vnodes);
      if (count > MAX_POINTS_PER_MEMBER) throw new InvalidArgumentError(`member "${e.member.id}" would get ${count} point hashes; at most ${MAX_POINTS_PER_MEMBER}`);
      if (e.digests.length < count * 4) {
        const digests = new Int32Array(count * 4);
        digests.set(e.digests);
        const name = this.pointName(e.member.id);
        for (let i = e.digests.length / 4; i < count; i++) {
          const length = this.scratch.encode(`${name}-${i}`);
          this.md5.digest(this.scratch.bytes, length);
          digests.set(this.md5.words, i * 4);
        }
        e.digests = digests;
      }
      const pts = new Uint32Array(count * pph);
      for (let i = 0; i < count; i++) for (let j = 0; j < pph; j++) pts[i * pph + j] = e.digests[i * 4 + j]! >>> 0;
      members.push(e.member);
      points.push(pts);
    }
    return new Continuum(members, points);
  }

  members(): Member[] {
    return this.order.map((e) => e.member);
  }

  has(id: NodeId): boolean {
    return this.byId.has(id);
  }

  /** Appends a server to the server list. */
  add(input: KetamaMemberInput): Movement {
    const entry = this.entryOf(input);
    if (this.byId.has(entry.member.id)) throw duplicateMember(entry.member.id);
    this.order.push(entry);
    this.byId.set(entry.member.id, entry);
    return this.rebuildOr(() => {
      this.order.pop();
      this.byId.delete(entry.member.id);
    });
  }

  /** Rebuilds, undoing the membership change if the new membership is rejected. */
  private rebuildOr(undo: () => void): Movement {
    try {
      return this.rebuild();
    } catch (err) {
      undo();
      throw err;
    }
  }

  remove(id: NodeId): Movement {
    const entry = this.byId.get(id);
    if (entry === undefined) this.unknown(id);
    this.byId.delete(id);
    this.order.splice(this.order.indexOf(entry), 1);
    return this.rebuild();
  }

  reweight(id: NodeId, weight: number): Movement {
    const entry = this.byId.get(id);
    if (entry === undefined) this.unknown(id);
    checkWeight(id, weight);
    this.checkClientWeight(id, weight);
    const previous = entry.member;
    entry.member = { ...entry.member, weight };
    return this.rebuildOr(() => {
      entry.member = previous;
    });
  }

  protected params(): Record<string, number | string | boolean> {
    const params: Record<string, number | string | boolean> = { vnodes: this.vnodes, pointsPerHash: this.pointsPerHash, pointCounts: this.pointCounts };
    if (this.defaultPort !== undefined) params['defaultPort'] = this.defaultPort;
    return params;
  }
}
