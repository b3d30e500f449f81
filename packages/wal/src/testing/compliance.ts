/**
 * The compliance suite of `@lattice/wal`: {@link runWalTests}, which every
 * `WriteAheadLog` implementation passes (the file-backed log on a real disk and on the
 * simulator's disk, and `MemoryWal`; Raft's storage can run it too). Needs `vitest` (an
 * optional peer dependency); the suite takes the same `TestSetup` (`setup` before each test,
 * `teardown` after it) as every Lattice compliance suite.
 *
 * @example
 * ```ts
 * import { MemoryWal, MemoryWalStorage } from '@lattice/wal';
 * import { runWalTests } from '@lattice/wal/compliance';
 *
 * runWalTests('MemoryWal', {
 *   setup: async () => {
 *     const storage = new MemoryWalStorage();
 *     return { open: async (options) => new MemoryWal({ storage, ...options }) };
 *   },
 *   teardown: async () => {},
 * });
 * ```
 *
 * @packageDocumentation
 */
export { runWalTests, type WalTestOpenOptions, type WalTestTarget } from './wal-compliance.js';
