import { raceAbort, type AbortOptions, throwIfAborted } from './abort.js';
import { assertAbortOptions } from './arguments.js';
import { InvalidArgumentError } from './errors.js';

/**
 * A source of time. Everything in Lattice that needs the time takes a `Clock` in its options,
 * so tests can substitute `ManualClock` and the simulator its virtual time.
 */
export interface Clock {
  /** Wall-clock time in milliseconds since the Unix epoch. May jump (NTP, operator), even backwards. */
  now(): number;
  /** Monotonic time in milliseconds from an arbitrary origin; never decreases. Use it for durations. */
  monotonic(): number;
}

/** Opaque handle of a scheduled timer. */
export type TimerHandle = unknown;

/** Schedules callbacks. Injected like {@link Clock}, so virtual time can drive it. */
export interface Timers {
  /** Calls `callback` once, after at least `delayMs` milliseconds of monotonic time. */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  /** Cancels a timer; cancelling one that already fired or was cancelled is a no-op. */
  clearTimeout(handle: TimerHandle): void;
}

/** A clock that can also schedule: what most drivers need. */
export interface Scheduler extends Clock, Timers {}

/** The process's real clock: `Date.now()` and `performance.now()`. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  monotonic: () => performance.now(),
});

/** The host's real timers. Timers do not keep a Node process alive (`unref`). */
export const systemTimers: Timers = Object.freeze({
  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const handle = globalThis.setTimeout(callback, Math.max(0, delayMs)) as unknown as { unref?: () => void };
    handle.unref?.();
    return handle;
  },
  clearTimeout(handle: TimerHandle): void {
    globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]);
  },
});

/** {@link systemClock} and {@link systemTimers} as one {@link Scheduler}. */
export const systemScheduler: Scheduler = Object.freeze({ ...systemClock, ...systemTimers });

/**
 * Resolves after `delayMs` of the given timers' time; rejects with an `AbortError` if the
 * signal aborts first (the timer is then cleared).
 */
export function sleep(timers: Timers, delayMs: number, options?: AbortOptions): Promise<void> {
  if (typeof timers !== 'object' || timers === null || typeof timers.setTimeout !== 'function' || typeof timers.clearTimeout !== 'function') {
    throw new InvalidArgumentError('timers must have setTimeout and clearTimeout functions');
  }
  if (typeof delayMs !== 'number' || !(delayMs >= 0)) throw new InvalidArgumentError(`delayMs must be a number >= 0, got ${String(delayMs)}`);
  assertAbortOptions(options);
  throwIfAborted(options?.signal);
  let handle: TimerHandle;
  const done = new Promise<void>((resolve) => {
    handle = timers.setTimeout(resolve, delayMs);
  });
  const raced = raceAbort(done, options?.signal);
  raced.catch(() => timers.clearTimeout(handle));
  return raced;
}
