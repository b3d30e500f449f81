import { InvalidArgumentError, type NodeId } from '@lattice/core';
import { NotEnoughMembersError } from './errors.js';
import type { Member } from './member.js';
import type { Snapshot } from './partitioner.js';
import { Xxh64 } from './xxhash.js';

/** 2^32 as a number. */
export const TWO_32 = 0x1_0000_0000;

/** Validates a replica count against the membership (and zones, when asked). */
export function checkReplicaCount(n: number, members: readonly Member[], distinctZones: boolean): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`replica count must be a positive integer, got ${n}`);
  if (n > members.length) throw new NotEnoughMembersError(n, members.length);
  if (distinctZones) {
    const zones = countZones(members);
    if (n > zones) throw new NotEnoughMembersError(n, zones, 'zones');
  }
}

/** Distinct failure zones; a member without a zone is a zone of its own. */
export function countZones(members: readonly Member[]): number {
  const zones = new Set<string>();
  let unzoned = 0;
  for (const m of members) {
    if (m.zone === undefined) unzoned++;
    else zones.add(m.zone);
  }
  return zones.size + unzoned;
}

/** Maps each member (by index) to a zone number; unzoned members get numbers of their own. */
export function zoneIndex(members: readonly Member[]): Int32Array {
  const out = new Int32Array(members.length);
  const zones = new Map<string, number>();
  let next = 0;
  members.forEach((m, i) => {
    if (m.zone === undefined) out[i] = next++;
    else {
      let z = zones.get(m.zone);
      if (z === undefined) {
        z = next++;
        zones.set(m.zone, z);
      }
      out[i] = z;
    }
  });
  return out;
}

/** xxHash64 of bytes as 16 hex digits. */
export function fingerprintOf(bytes: Uint8Array, length = bytes.length): string {
  const x = new Xxh64();
  x.digest(bytes, length);
  return (x.hi >>> 0).toString(16).padStart(8, '0') + (x.lo >>> 0).toString(16).padStart(8, '0');
}

/** Canonical JSON of a snapshot: fixed key order. */
export function serializeSnapshot(s: Snapshot): string {
  const params: Record<string, number | string | boolean> = {};
  for (const key of Object.keys(s.params).sort()) params[key] = s.params[key]!;
  return JSON.stringify({
    format: s.format,
    version: s.version,
    algorithm: s.algorithm,
    hash: s.hash,
    params,
    members: snapshotMembers(s.members),
    fingerprint: s.fingerprint,
  });
}

/** Copies members into plain snapshot entries. */
export function snapshotMembers(members: readonly Member[]): Member[] {
  return members.map((m) => {
    const out: { id: NodeId; weight: number; zone?: string; vnodes?: number } = { id: m.id, weight: m.weight };
    if (m.zone !== undefined) out.zone = m.zone;
    if (m.vnodes !== undefined) out.vnodes = m.vnodes;
    return out;
  });
}

/** Validates a positive integer option. */
export function positiveInteger(name: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer in [1, ${max}], got ${String(value)}`);
  }
  return value;
}

/** Lower bound of `id` in a sorted id array. */
export function sortedIndex(ids: readonly NodeId[], id: NodeId): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** An options argument: undefined (the defaults) or a plain object. */
export function optionsObject<T extends object>(name: string, options: T | undefined): T | Record<string, never> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`${name} must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  return options;
}

/** The `members` option: undefined (none) or an array. */
export function memberArray<T>(members: readonly T[] | undefined): readonly T[] {
  if (members === undefined) return [];
  if (!Array.isArray(members)) throw new InvalidArgumentError(`members must be an array of node ids or { id, weight?, zone? }, got ${typeof members}`);
  return members;
}

/** The `distinctZones` flag of `lookupN`'s options. */
export function distinctZonesOf(options: { readonly distinctZones?: boolean } | undefined): boolean {
  const { distinctZones } = optionsObject('lookupN options', options);
  if (distinctZones !== undefined && typeof distinctZones !== 'boolean') throw new InvalidArgumentError(`distinctZones must be a boolean, got ${typeof distinctZones}`);
  return distinctZones === true;
}
