/**
 * Test helpers for Lattice and for code built on it: {@link ManualClock} virtual time and
 * {@link runTransportTests}, the compliance suite every `Transport` implementation passes.
 *
 * `runTransportTests` needs `vitest` (an optional peer dependency of this package).
 *
 * @packageDocumentation
 */
export { flushPromises, ManualClock, type ManualClockOptions } from './manual-clock.js';
export { runTransportTests, type TransportHarness, type TransportSetup, type TransportSetupOptions } from './transport-compliance.js';
