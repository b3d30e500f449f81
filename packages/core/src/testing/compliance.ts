/**
 * The compliance suites of Lattice's core contracts, for implementations to run under
 * `vitest` (an optional peer dependency of this package; this entry needs it, the rest of the
 * package does not): {@link runTransportTests} for every `Transport`, {@link runStorageTests}
 * for every `FileSystem`. Every suite takes the same {@link TestSetup} (`setup` before each
 * test, `teardown` after it), as do the suites of `@lattice/wal/compliance` and
 * `@lattice/ratelimit/compliance`.
 *
 * @example
 * ```ts
 * import { runTransportTests } from '@lattice/core/compliance';
 * import { MemoryNetwork } from '@lattice/transport';
 *
 * runTransportTests('MemoryNetwork', {
 *   setup: async ({ maxMessageSize }) => new MemoryNetwork({ maxMessageSize }),
 *   teardown: async () => {},
 * });
 * ```
 *
 * @packageDocumentation
 */
export { runStorageTests, type StorageTestTarget } from './storage-compliance.js';
export type { TestSetup } from './test-setup.js';
export { runTransportTests, type TransportSetupOptions } from './transport-compliance.js';
