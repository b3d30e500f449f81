export * from './errors.js';
export { createHashFunction, HASH_NAMES, type HashFunction, type HashName, type Key, KeyHasher, md5, murmur3, resolveHash, xxh32, xxh64 } from './hash-function.js';
export { HashRing, type HashRingOptions } from './hash-ring.js';
export { KetamaRing, type KetamaMemberInput, type KetamaOptions } from './ketama.js';
export type { Member, MemberInput } from './member.js';
export type { MovedRange, Movement, Transfer } from './movement.js';
export type { Algorithm, LookupNOptions, Partitioner, Snapshot } from './partitioner.js';
