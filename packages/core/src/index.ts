/**
 * The contracts every Lattice package shares: node ids, the `Transport`/`Endpoint` message
 * contract, codecs, a binary `ByteWriter`/`ByteReader` pair, injected time (`Clock`, `Timers`)
 * and randomness, abort options, and the typed-error convention. No runtime dependencies; runs
 * in Node, browsers and workers.
 *
 * The storage seam (`FileSystem`) is implemented by `nodeFileSystem()` in `@lattice/wal` and by
 * the simulator's `SimFileSystem` in `@lattice/sim`. Test doubles (`ManualClock`) live at
 * `@lattice/core/testing`, the compliance suites (which need `vitest`) at `@lattice/core/compliance`.
 *
 * @example
 * ```ts
 * import { type Transport, jsonCodec, isLatticeError } from '@lattice/core';
 *
 * async function greet(transport: Transport) {
 *   const codec = jsonCodec<{ hello: string }>();
 *   const a = await transport.open('a');
 *   const b = await transport.open('b');
 *   b.onMessage((m) => console.log(m.from, codec.decode(m.payload).hello));
 *   await a.send('b', codec.encode({ hello: 'world' }));
 * }
 * ```
 *
 * @packageDocumentation
 */
export { type AbortOptions, raceAbort, throwIfAborted } from './abort.js';
export {
  assertAbortOptions,
  assertBytes,
  assertDelay,
  assertFunction,
  assertInteger,
  assertNumber,
  assertObject,
  assertOptionalClock,
  assertOptionalObject,
  assertOptionalRandom,
  assertOptionalTimers,
  describeValue,
  isBytes,
  MAX_TIMER_DELAY_MS,
} from './arguments.js';
export { ByteReader, ByteWriter } from './bytes.js';
export { CachedClock, type CachedClockOptions, cachedSystemClock } from './cached-clock.js';
export { type Clock, type Scheduler, sleep, systemClock, systemScheduler, systemTimers, type TimerHandle, type Timers } from './clock.js';
export { type Codec, type JsonCodecOptions, jsonCodec } from './codec.js';
export {
  AbortError,
  ClosedError,
  DecodeError,
  DuplicateNodeError,
  HandlerError,
  InvalidArgumentError,
  isLatticeError,
  LATTICE_ERROR,
  LatticeError,
  type LatticeErrorOptions,
  MessageTooLargeError,
  type NodeErrorOptions,
  TimeoutError,
  UnknownPeerError,
  UnsupportedVersionError,
} from './errors.js';
export { Inbox, type InboxOptions } from './inbox.js';
export { assertNodeId, isNodeId, MAX_NODE_ID_LENGTH, type NodeId } from './node-id.js';
export { type BaseEvents, Observable, type Unsubscribe } from './observable.js';
export { emptyReady, type Outbound, type ProtocolCore, type Ready, type RecordSink } from './protocol/protocol-core.js';
export {
  ProtocolDriver,
  type ProtocolDriverEvents,
  type ProtocolDriverOptions,
  type ProtocolDriverStats,
} from './protocol/protocol-driver.js';
export { InvariantViolationError, NodeStoppedError, ProtocolViolationError } from './protocol/protocol-errors.js';
export { ReadyBuffer } from './protocol/ready-buffer.js';
export { type Random, seededRandom, systemRandom } from './random.js';
export {
  FileExistsError,
  FileLockedError,
  type FileLockedErrorOptions,
  FileNotFoundError,
  StorageFullError,
  StorageIoError,
} from './storage/errors.js';
export { type FileHandle, type FileLock, type FileStat, type FileSystem, joinPath, type OpenFlags } from './storage/file-system.js';
export type { Endpoint, Envelope, ErrorHandler, MessageHandler, OpenOptions, Transport } from './transport.js';
