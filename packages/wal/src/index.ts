/**
 * A durable, segmented write-ahead log for Node: records of bytes with consecutive indexes,
 * each framed with its length and a CRC-32C, in preallocated segment files; appends resolve
 * only once fsynced, and appends that arrive during a sync share the next one (group commit).
 * Recovery cuts a torn final record and refuses anything else that is damaged with a typed
 * error. The storage under Lattice's Raft log and 2PC decision log.
 *
 * `MemoryWal` implements the same {@link WriteAheadLog} contract in memory for tests, and
 * `@lattice/wal/compliance` exports `runWalTests`, the compliance suite both pass.
 *
 * @example
 * ```ts
 * import { openWal } from '@lattice/wal';
 *
 * const wal = await openWal('./data/wal');
 * const encoder = new TextEncoder();
 * const indexes = await Promise.all([
 *   wal.append(encoder.encode('first')),
 *   wal.append(encoder.encode('second')), // shares the first one's fsync if it arrives in time
 * ]);
 * await wal.setMetadata(encoder.encode(JSON.stringify({ term: 3, vote: 'b' })));
 * for await (const { index, data } of wal.entries()) console.log(index, new TextDecoder().decode(data));
 * await wal.truncateSuffix(indexes[0]!); // drop "second"
 * await wal.close();
 * ```
 *
 * @packageDocumentation
 */
export { crc32cChecked as crc32c } from './crc32c.js';
export {
  IndexOutOfRangeError,
  RecordTooLargeError,
  WalCorruptionError,
  WalFailedError,
  WalLockedError,
  WalMissingSegmentError,
} from './errors.js';
export { openWal } from './file-wal.js';
export type { WalOptions } from './wal-options.js';
export { nodeFileSystem } from './node-file-system.js';
export { MemoryWal, type MemoryWalOptions, MemoryWalStorage } from './memory-wal.js';
export type { WalEntry, WriteAheadLog } from './wal.js';
