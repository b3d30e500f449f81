/**
 * The compliance suite of `@lattice/ratelimit`'s `Store` contract, for a third-party store
 * (another database) to run: {@link runStoreTests}. Needs `vitest` and `fast-check` (optional
 * peer dependencies of this package; nothing else in it does). It takes the same `TestSetup`
 * (`setup` before each test, `teardown` after it) as every Lattice compliance suite.
 *
 * @example
 * ```ts
 * import { ManualClock } from '@lattice/core/testing';
 * import { runStoreTests } from '@lattice/ratelimit/compliance';
 *
 * let store: MyStore | undefined;
 * runStoreTests('MyStore', {
 *   setup: async () => {
 *     const clock = new ManualClock();
 *     store = await MyStore.connect({ clock });
 *     return { store, clock };
 *   },
 *   teardown: async () => store?.close(),
 * });
 * ```
 *
 * @packageDocumentation
 */
export { runStoreTests, type StoreTestOptions, type StoreTestTarget } from './store-compliance.js';
