import type { Scheduler, TimerHandle } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';

interface ScheduledTimer {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
}

/** Options of {@link ManualClock}. */
export interface ManualClockOptions {
  /** Initial wall time (ms since the epoch). Default 1,700,000,000,000. */
  wallStart?: number;
}

/**
 * Virtual time for tests: it advances only when told to, and fires due timers in order of
 * due time, then of scheduling (timers scheduled by a firing callback run in the same advance
 * if they fall due). Implements `Clock` and `Timers`, so anything that takes them runs
 * deterministically under it.
 *
 * The wall clock can be moved independently of monotonic time ({@link ManualClock.setWall},
 * {@link ManualClock.jumpWall}) to test clock jumps.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * let fired = false;
 * clock.setTimeout(() => { fired = true; }, 100);
 * clock.advance(99);  // fired === false
 * clock.advance(1);   // fired === true
 * ```
 */
export class ManualClock implements Scheduler {
  #monotonic = 0;
  #wallOffset: number;
  #nextId = 1;
  // Kept sorted by (due, id); tests schedule few timers, so insertion by binary search is enough.
  readonly #timers: ScheduledTimer[] = [];

  constructor(options: ManualClockOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`ManualClock options must be an object, got ${options === null ? 'null' : typeof options}`);
    if (options.wallStart !== undefined && !Number.isFinite(options.wallStart)) throw new InvalidArgumentError(`ManualClock options.wallStart must be a finite number, got ${String(options.wallStart)}`);
    this.#wallOffset = options.wallStart ?? 1_700_000_000_000;
  }

  now(): number {
    return this.#wallOffset + this.#monotonic;
  }

  monotonic(): number {
    return this.#monotonic;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const timer: ScheduledTimer = { id: this.#nextId++, due: this.#monotonic + delay, callback };
    let low = 0;
    let high = this.#timers.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const other = this.#timers[mid]!;
      if (other.due < timer.due || (other.due === timer.due && other.id < timer.id)) low = mid + 1;
      else high = mid;
    }
    this.#timers.splice(low, 0, timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    const index = this.#timers.findIndex((timer) => timer.id === handle);
    if (index >= 0) this.#timers.splice(index, 1);
  }

  /** Number of timers scheduled and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Monotonic time at which the next timer falls due, or undefined with none scheduled. */
  nextDue(): number | undefined {
    return this.#timers[0]?.due;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new InvalidArgumentError(`advance(ms) needs a finite ms >= 0, got ${ms}`);
    const target = this.#monotonic + ms;
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.due > target) break;
      this.#timers.shift();
      this.#monotonic = next.due;
      next.callback();
    }
    this.#monotonic = target;
  }

  /**
   * Like {@link ManualClock.advance}, but lets promise callbacks run after each timer fires, so
   * async code driven by the timers (awaits between steps) makes progress as it would in real time.
   */
  async advanceAsync(ms: number): Promise<void> {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new InvalidArgumentError(`advanceAsync(ms) needs a finite ms >= 0, got ${ms}`);
    const target = this.#monotonic + ms;
    await flushPromises();
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.due > target) break;
      this.#timers.shift();
      this.#monotonic = next.due;
      next.callback();
      await flushPromises();
    }
    this.#monotonic = target;
  }

  /** Fires timers in order until none is left, up to `limit` firings (guards against timers that re-arm forever). */
  runAll(limit = 100_000): number {
    let fired = 0;
    while (this.#timers.length > 0 && fired < limit) {
      const next = this.#timers.shift()!;
      this.#monotonic = Math.max(this.#monotonic, next.due);
      next.callback();
      fired++;
    }
    return fired;
  }

  /** Sets the wall clock to `wallMs` without touching monotonic time (an NTP step, an operator). */
  setWall(wallMs: number): void {
    if (!Number.isFinite(wallMs)) throw new InvalidArgumentError(`setWall needs a finite time, got ${wallMs}`);
    this.#wallOffset = wallMs - this.#monotonic;
  }

  /** Moves the wall clock by `deltaMs` (negative for backwards) without touching monotonic time. */
  jumpWall(deltaMs: number): void {
    this.setWall(this.now() + deltaMs);
  }
}

/**
 * Lets pending promise callbacks (and the ones they schedule) run: waits for one macrotask turn
 * of the host, which drains the microtask queue first.
 */
export function flushPromises(): Promise<void> {
  const host = globalThis as { setImmediate?: (callback: () => void) => unknown };
  return new Promise((resolve) => {
    if (host.setImmediate !== undefined) host.setImmediate(resolve);
    else globalThis.setTimeout(resolve, 0);
  });
}
