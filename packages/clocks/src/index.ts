/**
 * Logical and hybrid clocks for distributed systems: Lamport clocks, vector clocks, version
 * vectors, dotted version vectors, dot contexts, matrix clocks and hybrid logical clocks (HLC), with compact
 * encodings, read-your-writes session tokens and ShiViz-compatible logging. No runtime
 * dependencies besides `@lattice/core`; runs in Node, browsers and workers.
 *
 * @example
 * ```ts
 * import { HybridLogicalClock, compareHlc, formatHlc } from '@lattice/clocks';
 *
 * const a = new HybridLogicalClock({ node: 'a' });
 * const b = new HybridLogicalClock({ node: 'b' });
 * const sent = a.now();
 * const received = b.update(sent);
 * console.log(formatHlc(received), compareHlc(sent, received)); // ... -1
 * ```
 *
 * @packageDocumentation
 */
export { ClockOffsetError, CounterOverflowError, LogicalOverflowError, NotCaughtUpError, WallClockRangeError } from './errors.js';
export { DotContext } from './dot-context.js';
export {
  assertHlcTimestamp,
  compareHlc,
  HLC_MAX_LOGICAL,
  HLC_MAX_WALL_TIME,
  type HlcPersistence,
  type HlcTimestamp,
  HybridLogicalClock,
  type HybridLogicalClockOptions,
} from './hlc.js';
export { formatHlc, hlcFromBigInt, hlcFromBytes, hlcToBigInt, hlcToBytes, parseHlc } from './hlc-encoding.js';
export { compareLamport, LamportClock, type LamportTimestamp } from './lamport.js';
export {
  type CausalOrder,
  VectorClock,
  type VectorClockDecodeOptions,
  type VectorClockJson,
  type VectorClockPrunePolicy,
  VersionVector,
} from './vector-clock.js';
export {
  type Dot,
  DottedVersionVector,
  DottedVersionVectorSet,
  type DottedVersionVectorSetJson,
  type Sibling,
} from './dotted-version-vector.js';
export { MatrixClock, type MatrixClockJson } from './matrix-clock.js';
export {
  AppliedWatermark,
  type CatchUpStatus,
  ClientSession,
  parseSessionToken,
  type WaitForOptions,
} from './read-your-writes.js';
export { checkShivizLog, SHIVIZ_REGEX, ShivizLog, type ShivizLogOptions, ShivizProcess } from './shiviz.js';
