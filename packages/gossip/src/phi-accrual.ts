import { describeValue, InvalidArgumentError } from '@lattice/core';

/** Options of {@link PhiAccrualFailureDetector}; the defaults are Akka cluster's. */
export interface PhiAccrualOptions {
  /** φ at or above which the monitored process is considered unavailable. Default 8 (Akka cluster; 10 for remote watch). */
  threshold?: number;
  /** Most inter-arrival intervals kept (a sliding window). Default 1,000. */
  maxSampleSize?: number;
  /** Floor of the standard deviation, ms, so a very regular heartbeat does not make φ jump on small delays. Default 100. */
  minStdDeviationMs?: number;
  /** Extra pause tolerated before φ rises, ms (GC pauses, transient network hiccups): added to the mean. Default 3,000. */
  acceptableHeartbeatPauseMs?: number;
  /** Interval assumed before any has been measured, ms: the history starts at this mean with a quarter of it as deviation. Default 1,000. */
  firstHeartbeatEstimateMs?: number;
}

/** A snapshot of a detector's statistics. */
export interface PhiAccrualStats {
  /** Intervals in the window. */
  samples: number;
  /** Mean inter-arrival interval, ms (without the acceptable pause). */
  meanMs: number;
  /** Standard deviation of the intervals, ms (before the floor). */
  stdDeviationMs: number;
  /** Time of the last heartbeat, or undefined before the first. */
  lastHeartbeatAt: number | undefined;
}

/**
 * The φ accrual failure detector (Hayashibara, Défago, Yared, Katayama 2004), as Akka's
 * `PhiAccrualFailureDetector`: instead of a yes/no timeout, it outputs φ = −log10(P), where P is
 * the probability that a heartbeat arrives later than now given the recent inter-arrival times
 * (modelled as a normal distribution, via Bowling et al.'s logistic approximation of its CDF).
 * φ = 1 means a 10 % chance that declaring failure now is a mistake, φ = 2 means 1 %, φ = 8 means
 * 10⁻⁸. The detector adapts to the heartbeat's own rhythm and jitter.
 *
 * Pure: time is an argument of every call (monotonic ms), nothing reads a clock. For
 * heartbeat-style monitoring (a process that sends "I am alive" on its own); SWIM's probes do not
 * need it.
 *
 * @example
 * ```ts
 * const detector = new PhiAccrualFailureDetector({ threshold: 8, acceptableHeartbeatPauseMs: 0 });
 * for (let t = 0; t <= 10_000; t += 1_000) detector.heartbeat(t);
 * detector.phi(11_000);          // ≈ 0.3: one interval, as usual
 * detector.isAvailable(13_000);  // false: three intervals of silence
 * ```
 */
export class PhiAccrualFailureDetector {
  readonly threshold: number;
  readonly maxSampleSize: number;
  readonly minStdDeviationMs: number;
  readonly acceptableHeartbeatPauseMs: number;
  readonly firstHeartbeatEstimateMs: number;
  readonly #intervals: number[] = [];
  /** Index of the oldest interval once the window is full (a ring). */
  #oldest = 0;
  #sum = 0;
  #squaredSum = 0;
  #last: number | undefined;

  constructor(options: PhiAccrualOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`PhiAccrualFailureDetector options must be an object, got ${describeValue(options)}`);
    this.threshold = positive(options.threshold ?? 8, 'threshold');
    const maxSampleSize = options.maxSampleSize ?? 1_000;
    if (!Number.isSafeInteger(maxSampleSize) || maxSampleSize < 1) throw new InvalidArgumentError(`maxSampleSize must be a positive integer, got ${describeValue(maxSampleSize)}`);
    this.maxSampleSize = maxSampleSize;
    this.minStdDeviationMs = positive(options.minStdDeviationMs ?? 100, 'minStdDeviationMs');
    const pause = options.acceptableHeartbeatPauseMs ?? 3_000;
    if (typeof pause !== 'number' || !Number.isFinite(pause) || pause < 0) throw new InvalidArgumentError(`acceptableHeartbeatPauseMs must be a non-negative number, got ${describeValue(pause)}`);
    this.acceptableHeartbeatPauseMs = pause;
    this.firstHeartbeatEstimateMs = positive(options.firstHeartbeatEstimateMs ?? 1_000, 'firstHeartbeatEstimateMs');
  }

  /**
   * Records a heartbeat at `now`. The first one seeds the window with the estimate (mean ± a
   * quarter); later ones add their interval — except the first after the process was deemed
   * unavailable, whose long gap would skew the statistics (Akka's rule).
   */
  heartbeat(now: number): void {
    checkTime(now, this.#last);
    if (this.#last === undefined) {
      const mean = this.firstHeartbeatEstimateMs;
      const deviation = mean / 4;
      this.#add(mean - deviation);
      this.#add(mean + deviation);
    } else if (this.isAvailable(now)) {
      this.#add(now - this.#last);
    }
    this.#last = now;
  }

  /** φ at `now`: 0 before the first heartbeat (nothing is monitored yet), growing with the silence since the last. */
  phi(now: number): number {
    checkTime(now, this.#last);
    if (this.#last === undefined) return 0;
    const measured = this.#sum / this.#intervals.length;
    const deviation = Math.max(this.#stdDeviation(measured), this.minStdDeviationMs);
    return phiOf(now - this.#last, measured + this.acceptableHeartbeatPauseMs, deviation);
  }

  /** True while φ stays below the threshold (and before the first heartbeat). */
  isAvailable(now: number): boolean {
    return this.phi(now) < this.threshold;
  }

  /** True once a heartbeat has been recorded. */
  get isMonitoring(): boolean {
    return this.#last !== undefined;
  }

  stats(): PhiAccrualStats {
    const samples = this.#intervals.length;
    const mean = samples === 0 ? 0 : this.#sum / samples;
    return { samples, meanMs: mean, stdDeviationMs: samples === 0 ? 0 : this.#stdDeviation(mean), lastHeartbeatAt: this.#last };
  }

  #stdDeviation(mean: number): number {
    // Population variance from running sums; rounding can make it a hair below 0.
    const variance = this.#squaredSum / this.#intervals.length - mean * mean;
    return Math.sqrt(Math.max(0, variance));
  }

  #add(interval: number): void {
    if (this.#intervals.length < this.maxSampleSize) {
      this.#intervals.push(interval);
    } else {
      const dropped = this.#intervals[this.#oldest]!;
      this.#sum -= dropped;
      this.#squaredSum -= dropped * dropped;
      this.#intervals[this.#oldest] = interval;
      this.#oldest = (this.#oldest + 1) % this.maxSampleSize;
    }
    this.#sum += interval;
    this.#squaredSum += interval * interval;
  }
}

/**
 * φ of a silence of `elapsedMs` for intervals of `meanMs` ± `stdDeviationMs`: −log10 of the
 * probability that a normal interval is longer, with the CDF approximated by the logistic
 * 1 / (1 + e^(−y(1.5976 + 0.070566 y²))) (Bowling, Khasawneh et al. 2009; Akka's formula).
 */
export function phiOf(elapsedMs: number, meanMs: number, stdDeviationMs: number): number {
  const y = (elapsedMs - meanMs) / stdDeviationMs;
  const e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
  // Two forms of one value, each exact where the other loses precision.
  const phi = elapsedMs > meanMs ? -Math.log10(e / (1 + e)) : -Math.log10(1 - 1 / (1 + e));
  // Far before the mean the second form rounds to −0: φ is never negative.
  return Math.max(0, phi);
}

function positive(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`${what} must be a positive number, got ${describeValue(value)}`);
  return value;
}

function checkTime(now: unknown, last: number | undefined): asserts now is number {
  if (typeof now !== 'number' || !Number.isFinite(now)) throw new InvalidArgumentError(`now must be a finite number of ms, got ${describeValue(now)}`);
  if (last !== undefined && now < last) throw new InvalidArgumentError(`now (${now}) is before the last heartbeat (${last}): pass monotonic time`);
}
