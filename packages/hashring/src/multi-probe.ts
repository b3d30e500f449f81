import type { NodeId } from '@lattice/core';
import type { Continuum } from './continuum.js';
import { EmptyRingError } from './errors.js';
import type { HashFunction, HashName, Key } from './hash-function.js';
import { VirtualNodeRing } from './hash-ring.js';
import type { MemberInput } from './member.js';
import { type Movement, MovementBuilder } from './movement.js';
import { fmix32 } from './murmur3.js';
import type { LookupNOptions } from './partitioner.js';
import { checkReplicaCount, distinctZonesOf, optionsObject, positiveInteger, TWO_32 } from './shared.js';

/** Options of {@link MultiProbeHash}. */
export interface MultiProbeOptions {
  /** Initial members. */
  readonly members?: readonly MemberInput[];
  /** Hash probes per lookup; more probes, better balance, slower lookups. Default 21. */
  readonly probes?: number;
  /** Points per unit of weight. Default 1: multi-probe balances without virtual nodes. */
  readonly vnodes?: number;
  /** Hash function for keys and points. Default `'xxh32'`. */
  readonly hash?: HashName | HashFunction;
}

const SAMPLES = 1 << 13;

/**
 * Multi-probe consistent hashing (Appleton & O'Reilly, 2015): one point per node, and each
 * key hashes `probes` times and takes the node whose point is the nearest clockwise of any
 * probe. With 21 probes the peak-to-mean load is about 1.05 with a few bytes per node, at the
 * price of `probes` binary searches per lookup. Movement is reported as an estimate from
 * 8,192 evenly spaced key hashes.
 *
 * @example
 * ```ts
 * import { MultiProbeHash } from '@lattice/hashring';
 * const ring = new MultiProbeHash({ members: ['a', 'b', 'c', 'd'], probes: 21 });
 * ring.lookup('session:77');
 * ```
 */
export class MultiProbeHash extends VirtualNodeRing {
  readonly algorithm = 'multi-probe' as const;
  /** Probes per lookup. */
  readonly probes: number;

  constructor(options: MultiProbeOptions = {}) {
    super(options, 1);
    this.probes = positiveInteger('probes', optionsObject('options', options).probes ?? 21, 1024);
  }

  /** Index of the point that wins for key hash `h0`. */
  private winner(c: Continuum, h0: number): number {
    const points = c.points;
    const total = points.length;
    let best = 0;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (let p = 0; p < this.probes; p++) {
      const h = fmix32((h0 + Math.imul(p, 0x9e3779b9)) | 0);
      const bucket = h >>> c.shift;
      let lo = c.buckets[bucket]!;
      let hi = c.buckets[bucket + 1]!;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (points[mid]! < h) lo = mid + 1;
        else hi = mid;
      }
      const idx = lo === total ? 0 : lo;
      const distance = lo === total ? points[0]! + TWO_32 - h : points[idx]! - h;
      if (distance < bestDistance) {
        bestDistance = distance;
        best = idx;
      }
    }
    return best;
  }

  override lookup(key: Key): NodeId {
    const c = this.continuum;
    if (c.points.length === 0) throw new EmptyRingError();
    return c.ids[c.owners[this.winner(c, this.hasher.hash(key))]!]!;
  }

  /** Replicas: the winning point's owner, then distinct owners clockwise from it. */
  override lookupN(key: Key, n: number, options?: LookupNOptions): NodeId[] {
    const c = this.continuum;
    if (c.points.length === 0) throw new EmptyRingError();
    const distinctZones = distinctZonesOf(options);
    checkReplicaCount(n, c.members, distinctZones);
    return this.walk(this.winner(c, this.hasher.hash(key)), n, distinctZones);
  }

  /** Movement estimated on evenly spaced key hashes. */
  protected override rebuild(): Movement {
    const before = this.continuum;
    this.install(this.build());
    const after = this.continuum;
    const builder = new MovementBuilder();
    const step = TWO_32 / SAMPLES;
    for (let s = 0; s < SAMPLES; s++) {
      const h = (s * step + step / 2) >>> 0;
      const from = before.points.length === 0 ? null : before.ids[before.owners[this.winner(before, h)]!]!;
      const to = after.points.length === 0 ? null : after.ids[after.owners[this.winner(after, h)]!]!;
      if (from !== to) builder.add(from, to, 1 / SAMPLES);
    }
    return builder.build(false);
  }

  protected override params(): Record<string, number | string | boolean> {
    return { probes: this.probes, vnodes: this.vnodes };
  }
}
