/**
 * How every published compliance suite of Lattice gets the thing it tests (the shape of
 * js-libp2p's `interface-compliance-tests`): `setup` runs before each test and returns a fresh
 * instance, `teardown` runs after each test and releases whatever the last `setup` created
 * (servers, temporary directories, connections). The suite itself closes the instance it was
 * given where the contract has a `close`; `teardown` is for everything around it.
 *
 * `SetupArgs` is what the suite asks of the instance (a transport's message size limit, a
 * log's record size limit); suites that ask nothing use `void`.
 *
 * @example
 * ```ts
 * import { runTransportTests } from '@lattice/core/compliance';
 *
 * runTransportTests('MemoryNetwork', {
 *   setup: async ({ maxMessageSize }) => new MemoryNetwork({ maxMessageSize }),
 *   teardown: async () => {},
 * });
 * ```
 */
export interface TestSetup<T, SetupArgs = void> {
  /** Creates a fresh instance for one test. */
  setup(args: SetupArgs): Promise<T>;
  /** Releases what the last `setup` created, after the suite has closed the instance. */
  teardown(): Promise<void>;
}
