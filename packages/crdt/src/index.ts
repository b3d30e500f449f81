/**
 * Conflict-free replicated data types with delta-state replication: grow-only and PN counters,
 * a causal (resettable) counter, last-writer-wins and multi-value registers, grow-only,
 * two-phase and add-wins observed-remove sets, LWW and observed-remove maps (with nested
 * CRDT values), and a text/list CRDT. Every mutator returns a small delta that joins like a
 * state; states and deltas have a versioned binary and a JSON encoding; `CrdtSync` replicates
 * any of them over a `Transport` by version-vector anti-entropy.
 *
 * @example
 * ```ts
 * import { ORSet, encodeCrdt, decodeCrdt } from '@lattice/crdt';
 *
 * const alice = new ORSet<string>('alice');
 * const bob = new ORSet<string>('bob');
 * const delta = alice.add('milk');              // a small ORSet
 * bob.join(decodeCrdt(encodeCrdt(delta), bob)); // ship it any way you like
 * bob.has('milk');                              // true
 * ```
 *
 * @packageDocumentation
 */
export { CausalCounter } from './causal-counter.js';
export { CausalCrdt, type CausalKind, type DotEntry } from './causal.js';
export {
  CRDT_FORMAT_VERSION,
  type CrdtJson,
  crdtCodec,
  crdtFromJSON,
  crdtJsonCodec,
  crdtToJSON,
  decodeCrdt,
  encodeCrdt,
  mergeEncoded,
} from './codec.js';
export { type Crdt, type CrdtTypeDescriptor, describeType, MAX_TYPE_NESTING, sameType } from './crdt.js';
export { type Dot, DotContext } from './dot-context.js';
export {
  CounterOverflowError,
  CrdtEncodeError,
  CrdtTypeMismatchError,
  ReadOnlyReplicaError,
  ValueTooDeepError,
  ValueTooLargeError,
} from './errors.js';
/** Re-exported from `@lattice/core`: every decoder here throws it on a newer format version. */
export { UnsupportedVersionError } from '@lattice/core';
export { GCounter, type Totals } from './g-counter.js';
export { GSet } from './g-set.js';
export { LWWMap } from './lww-map.js';
export { type LwwOptions, LWWRegister, type Stamped } from './lww-register.js';
export { MVRegister } from './mv-register.js';
export { type AnyCausalCrdt, ORMap, type StoreOf, type ValueOf } from './or-map.js';
export { ORSet } from './or-set.js';
export { PNCounter } from './pn-counter.js';
export { CrdtSync, type CrdtSyncEvents, type CrdtSyncOptions, type CrdtSyncStats } from './sync/crdt-sync.js';
export { decodeSyncMessage, encodeSyncMessage, readSyncTopic, SYNC_FORMAT_VERSION } from './sync/messages.js';
export {
  type DeltaEntry,
  type Outgoing,
  type SyncChange,
  type SyncEffect,
  type SyncMessage,
  SyncProtocol,
  type SyncProtocolOptions,
  type SyncReady,
} from './sync/protocol.js';
export { TwoPhaseSet } from './two-phase-set.js';
export { type JsonValue, type Key, MAX_VALUE_BYTES, MAX_VALUE_DEPTH } from './values.js';
export * from './text/index.js';
