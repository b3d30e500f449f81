/**
 * Test doubles for Lattice and for code built on it: {@link ManualClock} virtual time and
 * {@link flushPromises}. Nothing here needs a test runner; the compliance suites, which do
 * (`vitest`), live at `@lattice/core/compliance`.
 *
 * @example
 * ```ts
 * import { ManualClock } from '@lattice/core/testing';
 *
 * const clock = new ManualClock();
 * clock.setTimeout(() => console.log('fired at', clock.monotonic()), 100);
 * clock.advance(100); // fired at 100
 * ```
 *
 * @packageDocumentation
 */
export { flushPromises, ManualClock, type ManualClockOptions } from './manual-clock.js';
