/**
 * Test helpers for code built on `@lattice/wal`: {@link runWalTests}, the compliance suite
 * every `WriteAheadLog` implementation passes (the file-backed log and `MemoryWal` both run
 * it; Raft's storage can run it too). Needs `vitest` (an optional peer dependency).
 *
 * @example
 * ```ts
 * import { MemoryWal, MemoryWalStorage } from '@lattice/wal';
 * import { runWalTests } from '@lattice/wal/testing';
 *
 * runWalTests('MemoryWal', () => {
 *   const storage = new MemoryWalStorage();
 *   return { open: async (options) => new MemoryWal({ storage, ...options }) };
 * });
 * ```
 *
 * @packageDocumentation
 */
export { runWalTests, type WalTestOpenOptions, type WalTestTarget } from './wal-compliance.js';
