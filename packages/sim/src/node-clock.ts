import { assertFunction, assertOptionalObject, type Clock, InvalidArgumentError } from '@lattice/core';

/** Options of {@link NodeClock}. */
export interface NodeClockOptions {
  /** Wall time (ms since the epoch) that true time 0 maps to before skew. Default 1,700,000,000,000. */
  wallStart?: number;
  /** Constant offset of this node's wall clock from true time, in ms (clock skew). Default 0. */
  skewMs?: number;
  /** Rate error of this node's oscillator in parts per million (100 = runs 0.01% fast). Default 0. */
  driftPpm?: number;
}

/** Largest drift accepted, in ppm: beyond ±50% a "clock" stops being one. */
export const MAX_DRIFT_PPM = 500_000;

/**
 * One simulated node's view of time. True (virtual) time comes from the simulator; the node's
 * monotonic clock runs at `1 + driftPpm/1e6` times true speed, and its wall clock adds a skew
 * that clock jumps move (forwards or backwards) without touching monotonic time, so
 * `monotonic()` never decreases, as on a real machine.
 *
 * @example
 * ```ts
 * let trueTime = 0;
 * const clock = new NodeClock(() => trueTime, { skewMs: 250, driftPpm: 100 });
 * trueTime = 10_000;
 * clock.monotonic(); // 10_001 (0.01% fast)
 * clock.jumpWall(-5_000); // an NTP step backwards: now() moves, monotonic() does not
 * ```
 */
export class NodeClock implements Clock {
  readonly #trueNow: () => number;
  readonly #wallStart: number;
  #wallOffset: number;
  #rate: number;
  #baseTrue: number;
  #baseLocal: number;

  constructor(trueNow: () => number, options: NodeClockOptions = {}) {
    assertFunction(trueNow, 'trueNow');
    assertOptionalObject(options, 'NodeClock options');
    const { wallStart = 1_700_000_000_000, skewMs = 0, driftPpm = 0 } = options;
    if (!Number.isFinite(wallStart)) throw new InvalidArgumentError(`wallStart must be finite, got ${wallStart}`);
    if (!Number.isFinite(skewMs)) throw new InvalidArgumentError(`skewMs must be finite, got ${skewMs}`);
    this.#trueNow = trueNow;
    this.#wallStart = wallStart;
    this.#wallOffset = skewMs;
    this.#rate = rateOf(driftPpm);
    this.#baseTrue = trueNow();
    this.#baseLocal = this.#baseTrue;
  }

  /** This node's wall clock: skewed, drifting, and moved by jumps. */
  now(): number {
    return this.#wallStart + this.monotonic() + this.#wallOffset;
  }

  /** This node's monotonic clock: drifts, never jumps, never decreases. */
  monotonic(): number {
    return this.#baseLocal + (this.#trueNow() - this.#baseTrue) * this.#rate;
  }

  /** Current drift in ppm. */
  get driftPpm(): number {
    return (this.#rate - 1) * 1e6;
  }

  /** Current offset of the wall clock from true time, in ms (excluding accumulated drift). */
  get skewMs(): number {
    return this.#wallOffset;
  }

  /** Changes the drift from now on (what came before stays as it was). */
  setDrift(driftPpm: number): void {
    const rate = rateOf(driftPpm);
    this.#baseLocal = this.monotonic();
    this.#baseTrue = this.#trueNow();
    this.#rate = rate;
  }

  /** Moves the wall clock by `deltaMs` (negative = backwards); monotonic time is unaffected. */
  jumpWall(deltaMs: number): void {
    if (!Number.isFinite(deltaMs)) throw new InvalidArgumentError(`deltaMs must be finite, got ${deltaMs}`);
    this.#wallOffset += deltaMs;
  }

  /** True-time ms that pass while this clock's monotonic time advances by `localMs`. */
  toTrueDuration(localMs: number): number {
    return localMs / this.#rate;
  }
}

function rateOf(driftPpm: number): number {
  if (!Number.isFinite(driftPpm) || Math.abs(driftPpm) > MAX_DRIFT_PPM) {
    throw new InvalidArgumentError(`driftPpm must be a number within ±${MAX_DRIFT_PPM}, got ${driftPpm}`);
  }
  return 1 + driftPpm / 1e6;
}
