/**
 * Test doubles for code built on `@lattice/wal`, importable without a test runner:
 * {@link MemoryWal} (the `WriteAheadLog` contract in memory, with a {@link MemoryWalStorage}
 * that outlives instances so a test can "reopen" it). The compliance suite, which needs
 * `vitest`, is at `@lattice/wal/compliance`.
 *
 * @example
 * ```ts
 * import { ManualClock } from '@lattice/core/testing';
 * import { MemoryWal, MemoryWalStorage } from '@lattice/wal/testing';
 *
 * const storage = new MemoryWalStorage();
 * const wal = new MemoryWal({ storage });
 * const clock = new ManualClock();
 * clock.setTimeout(() => void wal.append(new Uint8Array([1])), 10);
 * clock.advance(10);
 * ```
 *
 * @packageDocumentation
 */
export { MemoryWal, type MemoryWalOptions, MemoryWalStorage } from '../memory-wal.js';
