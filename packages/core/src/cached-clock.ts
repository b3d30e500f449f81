import type { Clock } from './clock.js';
import { assertOptionalObject } from './arguments.js';
import { InvalidArgumentError } from './errors.js';

/** Options of {@link CachedClock}. */
export interface CachedClockOptions {
  /** How often the background ticker refreshes the cached time, in ms. Default 1; in (0, 60000]. */
  resolutionMs?: number;
}

// Layout of the shared memory: four float64 slots, then one int32 STOP cell. The ticker is the
// only writer. It writes each reading twice (slot A, then slot B) and a reader accepts a value only
// when both copies agree, so a read that overlaps a write (or a torn 8-byte load, which x64 and
// arm64 do not produce for aligned slots anyway) is detected and falls back to the system clock.
// Plain element reads, not Atomics.load: V8 does not inline Atomics here, which costs ~18 ns each.
const NOW_A = 0; // Date.now()
const NOW_B = 1;
const MONO_A = 2; // performance.timeOrigin + performance.now() in the ticker (epoch-based, monotonic)
const MONO_B = 3;
const SLOTS = 4;
const STOP_OFFSET = SLOTS * Float64Array.BYTES_PER_ELEMENT; // Int32 cell: 1 (and a notify) ends the ticker

/**
 * Every this many reads, one read also asks the system clock and never returns less: in a busy
 * loop the time then lags by at most the duration of this many reads (tens of µs), however late
 * the ticker is. That keeps an HLC's 16-bit logical counter from filling up behind a stale
 * millisecond. A power of two (the check is a mask).
 */
const CHECK_EVERY = 1024;

/** The host module that provides threads, looked up at run time (never imported). */
const THREADS_MODULE = 'node:worker_threads';

// The ticker thread's whole program: write both readings, sleep `resolutionMs` on the STOP cell
// (an Atomics.wait that a notify ends early), repeat until told to stop. It reaches its shared
// buffer through the same feature-detected host lookup as the main thread ({@link hostThreads}),
// so nothing in this package imports a host module.
const TICKER_SOURCE = `
const { workerData } = process.getBuiltinModule(${JSON.stringify(THREADS_MODULE)});
const times = new Float64Array(workerData.buffer, 0, ${SLOTS});
const stop = new Int32Array(workerData.buffer, ${STOP_OFFSET}, 1);
const origin = performance.timeOrigin;
for (;;) {
  const now = Date.now();
  const mono = origin + performance.now();
  times[${NOW_A}] = now;
  times[${MONO_A}] = mono;
  times[${NOW_B}] = now;
  times[${MONO_B}] = mono;
  if (Atomics.wait(stop, 0, 0, workerData.resolutionMs) !== 'timed-out') break;
}
`;

/** The little of `node:worker_threads` this file uses. */
interface WorkerLike {
  unref(): void;
  on(event: 'error' | 'exit', listener: () => void): void;
}
type WorkerConstructor = new (source: string, options: { eval: true; execArgv: string[]; workerData: unknown }) => WorkerLike;

/** `Worker` from the host's thread module when it has one (Node ≥ 20.16), else undefined (browsers). */
function hostThreads(): WorkerConstructor | undefined {
  const host = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
  const threads = host.process?.getBuiltinModule?.(THREADS_MODULE) as { Worker?: WorkerConstructor } | undefined;
  return threads?.Worker;
}

/**
 * A {@link Clock} whose reads cost a few nanoseconds instead of a system call: a background
 * thread writes `Date.now()` and the monotonic time into shared memory every `resolutionMs`, and
 * `now()`/`monotonic()` read them from there. For hot paths that read the time per operation
 * (an HLC stamping millions of events, a rate limiter deciding per request).
 *
 * What you trade: a read lags the system clock by up to `resolutionMs` plus the thread's
 * scheduling delay (typically under 2 ms; `now()` has 1 ms resolution anyway). If the ticker is
 * starved, every 1,024th read also reads the system clock and no read returns less, so in a busy
 * loop the time lags by microseconds at most. Where threads or shared memory are unavailable
 * (browsers without cross-origin isolation, Node without `process.getBuiltinModule`), and
 * until the thread's first write, reads go to the system clock directly ({@link CachedClock.cached}
 * tells which). The thread does not keep the process alive.
 *
 * Most code should share one instance: {@link cachedSystemClock}.
 *
 * @example
 * ```ts
 * import { CachedClock } from '@lattice/core';
 *
 * const clock = new CachedClock({ resolutionMs: 1 });
 * clock.now();       // ≈ Date.now(), a few ns per read once the ticker runs
 * clock.monotonic(); // ≈ performance.now()
 * clock.close();     // stops the thread; reads go to the system clock again
 * ```
 */
export class CachedClock implements Clock {
  /** The ticker's refresh period, ms. */
  readonly resolutionMs: number;
  /**
   * The shared slots. NaN until the ticker's first write, and replaced by a NaN-filled private
   * array once closed: NaN never equals itself, so the copies "differ" and reads go to the system
   * clock without a separate check on the hot path.
   */
  #times = detachedSlots();
  readonly #stop: Int32Array | undefined;
  readonly #origin = performance.timeOrigin;
  #closed = false;
  #nowReads = 0;
  /** The latest direct `Date.now()`; reads never return less (until the next direct read replaces it). */
  #nowFloor = Number.NEGATIVE_INFINITY;
  #monoReads = 0;
  /** The largest monotonic value returned so far. */
  #monoFloor = Number.NEGATIVE_INFINITY;

  constructor(options: CachedClockOptions = {}) {
    assertOptionalObject(options, 'CachedClock options');
    const resolutionMs = options.resolutionMs ?? 1;
    if (typeof resolutionMs !== 'number' || !(resolutionMs > 0 && resolutionMs <= 60_000)) {
      throw new InvalidArgumentError(`resolutionMs must be a number in (0, 60000], got ${String(resolutionMs)}`);
    }
    this.resolutionMs = resolutionMs;
    const Worker = typeof SharedArrayBuffer === 'function' ? hostThreads() : undefined;
    if (Worker === undefined) {
      this.#closed = true;
      return;
    }
    const buffer = new SharedArrayBuffer(STOP_OFFSET + Int32Array.BYTES_PER_ELEMENT);
    this.#times = new Float64Array(buffer, 0, SLOTS).fill(Number.NaN);
    this.#stop = new Int32Array(buffer, STOP_OFFSET, 1);
    let worker: WorkerLike;
    try {
      // No inherited flags: the ticker is plain CommonJS and needs no loaders (an inherited
      // `--input-type=module` would even stop it parsing).
      worker = new Worker(TICKER_SOURCE, { eval: true, execArgv: [], workerData: { buffer, resolutionMs } });
    } catch {
      // A host that refuses threads (e.g. a resource limit): stay on the system clock.
      this.#detach();
      return;
    }
    worker.unref();
    // If the thread dies, go back to the system clock rather than serve a frozen time.
    const fallBack = (): void => this.#detach();
    worker.on('error', fallBack);
    worker.on('exit', fallBack);
  }

  /** True once {@link CachedClock.close} was called, the ticker thread ended, or none could start. */
  get closed(): boolean {
    return this.#closed;
  }

  /** True while reads come from the ticker's shared memory; false when they go to the system clock. */
  get cached(): boolean {
    const value = this.#times[NOW_A]!;
    return value === this.#times[NOW_B];
  }

  /** Wall-clock ms since the Unix epoch, as `Date.now()` read at most about `resolutionMs` ago. */
  now(): number {
    const times = this.#times;
    const value = times[NOW_B]!;
    // Not started or closed (NaN), or mid-write (the copies differ): read the system clock.
    if (value !== times[NOW_A]) return Date.now();
    // A direct read replaces the floor (not max: the wall clock may be stepped back).
    if ((++this.#nowReads & (CHECK_EVERY - 1)) === 0) this.#nowFloor = Date.now();
    return value >= this.#nowFloor ? value : this.#nowFloor;
  }

  /** Monotonic ms (same origin as `performance.now()`), read at most about `resolutionMs` ago; never decreases. */
  monotonic(): number {
    const times = this.#times;
    const mono = times[MONO_B]!;
    let value: number;
    if (mono !== times[MONO_A] || (++this.#monoReads & (CHECK_EVERY - 1)) === 0) {
      value = performance.now();
    } else {
      value = mono - this.#origin;
    }
    // The ticker's time origin and this thread's differ by a rounding; the floor keeps every
    // read, cached or direct, at or above the previous one.
    if (value > this.#monoFloor) this.#monoFloor = value;
    return this.#monoFloor;
  }

  /** Stops the ticker thread; later reads go to the system clock. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#detach();
    if (this.#stop !== undefined) {
      Atomics.store(this.#stop, 0, 1);
      Atomics.notify(this.#stop, 0);
    }
  }

  /** From now on every read goes to the system clock. */
  #detach(): void {
    this.#closed = true;
    this.#times = detachedSlots();
  }
}

/** Private slots that never agree (NaN), so every read goes to the system clock. */
function detachedSlots(): Float64Array {
  return new Float64Array(SLOTS).fill(Number.NaN);
}

let shared: CachedClock | undefined;

/**
 * The process-wide {@link CachedClock} (1 ms resolution), started on first call. Pass it as the
 * `clock` option wherever per-operation clock reads are hot. If it was closed, the next call
 * starts a new one.
 *
 * @example
 * ```ts
 * import { cachedSystemClock } from '@lattice/core';
 * import { HybridLogicalClock } from '@lattice/clocks';
 *
 * const hlc = new HybridLogicalClock({ node: 'a', clock: cachedSystemClock() });
 * ```
 */
export function cachedSystemClock(): CachedClock {
  if (shared === undefined || shared.closed) shared = new CachedClock();
  return shared;
}
