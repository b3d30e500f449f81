/**
 * Consistent hashing and partitioning, with no dependencies, for Node, browsers and workers:
 * a virtual-node ring with weights ({@link HashRing}), a ring that places keys exactly as
 * libketama, libmemcached or the `hashring` package do ({@link KetamaRing}), weighted rendezvous hashing
 * ({@link RendezvousHash}), jump consistent hash ({@link JumpHash}), Maglev
 * ({@link MaglevHash}), consistent hashing with bounded loads ({@link BoundedLoadRing}) and
 * multi-probe consistent hashing ({@link MultiProbeHash}). All share the {@link Partitioner}
 * interface: `lookup`, `lookupN` (replicas, optionally in distinct failure zones),
 * `add`/`remove`/`reweight` returning what moved, and a versioned deterministic snapshot.
 * Hash functions (xxHash32/64, MurmurHash3, MD5) are implemented here and pluggable.
 *
 * @example
 * ```ts
 * import { HashRing } from '@lattice/hashring';
 *
 * const ring = new HashRing({
 *   members: [
 *     { id: 'db-1', zone: 'eu-west-1a' },
 *     { id: 'db-2', zone: 'eu-west-1b' },
 *     { id: 'db-3', zone: 'eu-west-1c', weight: 2 },
 *   ],
 * });
 * ring.lookup('customer:1042');                                  // primary
 * ring.lookupN('customer:1042', 2, { distinctZones: true });     // primary + replica
 * const moved = ring.add({ id: 'db-4', zone: 'eu-west-1a' });
 * console.log(moved.fraction, moved.transfers);                   // what to copy where
 * ```
 *
 * @packageDocumentation
 */
export { BoundedLoadRing, type BoundedLoadOptions } from './bounded-loads.js';
export { Continuum, ContinuumPartitioner, MAX_RING_MEMBERS } from './continuum.js';
export * from './errors.js';
/**
 * Re-exported from `@lattice/core`: a duplicate member is a `DuplicateNodeError`, an unknown one
 * an `UnknownPeerError` (its `peer` names the id), the same classes a transport throws.
 */
export { DuplicateNodeError, UnknownPeerError } from '@lattice/core';
export { createHashFunction, HASH_NAMES, type HashFunction, type HashName, type Key, KeyHasher, md5, murmur3, resolveHash, xxh32, xxh64 } from './hash-function.js';
export { HashRing, type HashRingOptions, VirtualNodeRing } from './hash-ring.js';
export { JumpHash, type JumpOptions, jumpBucket } from './jump.js';
export { type KetamaMemberInput, type KetamaOptions, KetamaRing } from './ketama.js';
export { KETAMA_POINT_COUNTS, type KetamaPointCounts, ketamaDigestCount } from './ketama-points.js';
export { isPrime, MaglevHash, type MaglevOptions } from './maglev.js';
export type { Member, MemberInput } from './member.js';
export type { MovedRange, Movement, Transfer } from './movement.js';
export { MultiProbeHash, type MultiProbeOptions } from './multi-probe.js';
export type { Algorithm, LookupNOptions, Partitioner, Snapshot } from './partitioner.js';
export { RendezvousHash, type RendezvousOptions } from './rendezvous.js';
export { type RestoreOptions, restore } from './snapshot.js';
