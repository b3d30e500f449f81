import { InvalidArgumentError } from '@lattice/core';
import { codeOf } from '@lattice/test-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PhiAccrualFailureDetector, phiOf } from '../src/index.js';

/** The normal distribution's φ without approximation: −log10(P(interval > elapsed)). */
const exactPhi = (elapsed: number, mean: number, deviation: number) => -Math.log10(0.5 * erfc((elapsed - mean) / (deviation * Math.SQRT2)));

/** erfc by continued fraction (Numerical Recipes' erfcc), relative error below 1.2e-7. */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

describe('phiOf (the logistic approximation)', () => {
  it('gives the hand-computed values for mean 1,000 ms and deviation 100 ms', () => {
    // y = (t − 1000) / 100; e = exp(−y (1.5976 + 0.070566 y²)); φ = −log10(e / (1 + e)).
    const table: [number, number][] = [
      [0, 0],
      [500, 2.1768922219645073e-8],
      [1000, Math.log10(2)], // y = 0: e = 1, P = 1/2
      [1100, 0.7995083208395598],
      [1200, 1.6428278854871123],
      [1400, 4.736694582705181],
      [1600, 10.782600858295707],
      [1700, 15.368525622645256],
    ];
    for (const [elapsed, phi] of table) expect(phiOf(elapsed, 1000, 100)).toBeCloseTo(phi, 9);
    expect(Object.is(phiOf(0, 1000, 100), 0)).toBe(true);
    expect(phiOf(1_000_000, 1000, 100)).toBe(Number.POSITIVE_INFINITY);
  });

  it('stays within 0.25 of the exact normal tail up to three deviations past the mean', () => {
    for (let y = -3; y <= 3; y += 0.25) expect(Math.abs(phiOf(1000 + 100 * y, 1000, 100) - exactPhi(1000 + 100 * y, 1000, 100))).toBeLessThan(0.25);
  });
});

describe('PhiAccrualFailureDetector', () => {
  const plain = { threshold: 8, acceptableHeartbeatPauseMs: 0, minStdDeviationMs: 100, firstHeartbeatEstimateMs: 1000 };

  it('is 0 and available before the first heartbeat', () => {
    const detector = new PhiAccrualFailureDetector(plain);
    expect(detector.phi(123_456)).toBe(0);
    expect(detector.isAvailable(123_456)).toBe(true);
    expect(detector.isMonitoring).toBe(false);
    expect(detector.stats()).toEqual({ samples: 0, meanMs: 0, stdDeviationMs: 0, lastHeartbeatAt: undefined });
  });

  it('after one heartbeat, uses the estimate: mean 1,000 ms, deviation 250 ms', () => {
    const detector = new PhiAccrualFailureDetector(plain);
    detector.heartbeat(5_000);
    expect(detector.stats()).toEqual({ samples: 2, meanMs: 1000, stdDeviationMs: 250, lastHeartbeatAt: 5_000 });
    expect(detector.phi(6_000)).toBeCloseTo(Math.log10(2), 12);
    expect(detector.phi(6_500)).toBeCloseTo(phiOf(1500, 1000, 250), 12);
    expect(detector.phi(6_500)).toBeCloseTo(1.6428278854871123, 9); // y = 2, as 1,200 ms at deviation 100
  });

  it('learns the intervals: heartbeats at 0, 1,000, 2,100 and 3,000 ms', () => {
    const detector = new PhiAccrualFailureDetector(plain);
    for (const t of [0, 1_000, 2_100, 3_000]) detector.heartbeat(t);
    // Window: 750, 1,250 (the estimate), 1,000, 1,100, 900 → mean 1,000, variance 5,145,000 / 5 − 1,000² = 29,000.
    const stats = detector.stats();
    expect(stats.samples).toBe(5);
    expect(stats.meanMs).toBe(1000);
    expect(stats.stdDeviationMs).toBeCloseTo(Math.sqrt(29_000), 9);
    expect(detector.phi(4_200)).toBeCloseTo(0.9201182979954051, 9);
    expect(detector.isAvailable(4_200)).toBe(true);
    expect(detector.isAvailable(4_000 + 1_000)).toBe(false); // two intervals of silence: φ ≈ 10.3
  });

  it('the acceptable pause moves the mean: three missed heartbeats are tolerated', () => {
    const detector = new PhiAccrualFailureDetector({ ...plain, acceptableHeartbeatPauseMs: 3_000 });
    for (let t = 0; t <= 5_000; t += 1_000) detector.heartbeat(t);
    // Mean 1,000 + 3,000; deviation √(7,125,000 / 7 − 1,000²) ≈ 133.6 ms.
    const deviation = Math.sqrt(7_125_000 / 7 - 1_000_000);
    expect(detector.phi(8_000)).toBe(0);
    expect(detector.phi(9_000)).toBeCloseTo(Math.log10(2), 12);
    expect(detector.phi(9_500)).toBeCloseTo(phiOf(4_500, 4_000, deviation), 12);
    expect(detector.isAvailable(9_500)).toBe(true);
    expect(detector.isAvailable(10_000)).toBe(false);
  });

  it('the minimum deviation floors a perfectly regular heartbeat', () => {
    const detector = new PhiAccrualFailureDetector({ ...plain, maxSampleSize: 3 });
    for (let t = 0; t <= 10_000; t += 1_000) detector.heartbeat(t);
    expect(detector.stats()).toMatchObject({ samples: 3, meanMs: 1000, stdDeviationMs: 0 });
    expect(detector.phi(11_200)).toBeCloseTo(phiOf(1200, 1000, 100), 12);
  });

  it('keeps only the newest maxSampleSize intervals', () => {
    const detector = new PhiAccrualFailureDetector({ ...plain, maxSampleSize: 4 });
    let t = 0;
    for (const interval of [0, 1_000, 1_000, 1_000, 1_000, 1_100, 1_200, 1_300, 1_400]) detector.heartbeat((t += interval));
    expect(detector.stats().samples).toBe(4);
    expect(detector.stats().meanMs).toBe(1_250);
  });

  it('the first heartbeat after the process was deemed unavailable does not enter the window', () => {
    const detector = new PhiAccrualFailureDetector(plain);
    for (const t of [0, 1_000, 2_000]) detector.heartbeat(t);
    const before = detector.stats();
    expect(detector.isAvailable(30_000)).toBe(false);
    detector.heartbeat(30_000);
    expect(detector.stats()).toEqual({ ...before, lastHeartbeatAt: 30_000 });
    expect(detector.isAvailable(30_500)).toBe(true);
  });

  it('φ never decreases as the silence since the last heartbeat grows (any history, any options)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 40 }),
        fc.record({
          threshold: fc.double({ min: 0.5, max: 20, noNaN: true }),
          maxSampleSize: fc.integer({ min: 1, max: 50 }),
          minStdDeviationMs: fc.double({ min: 1, max: 500, noNaN: true }),
          acceptableHeartbeatPauseMs: fc.integer({ min: 0, max: 5_000 }),
          firstHeartbeatEstimateMs: fc.integer({ min: 1, max: 5_000 }),
        }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        (intervals, options, x, y) => {
          const detector = new PhiAccrualFailureDetector(options);
          let t = 0;
          for (const interval of intervals) detector.heartbeat((t += interval));
          const [near, far] = x <= y ? [x, y] : [y, x];
          const a = detector.phi(t + near);
          const b = detector.phi(t + far);
          expect(a).toBeGreaterThanOrEqual(0);
          expect(b).toBeGreaterThanOrEqual(a);
          if (!detector.isAvailable(t + near)) expect(detector.isAvailable(t + far)).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('bad options and times are InvalidArgumentError', () => {
    for (const bad of [null, 'x', { threshold: 0 }, { threshold: Number.NaN }, { maxSampleSize: 0 }, { maxSampleSize: 1.5 }, { minStdDeviationMs: -1 }, { acceptableHeartbeatPauseMs: -1 }, { firstHeartbeatEstimateMs: 0 }]) {
      expect(codeOf(() => new PhiAccrualFailureDetector(bad as never))).toBe(InvalidArgumentError.code);
    }
    const detector = new PhiAccrualFailureDetector();
    detector.heartbeat(1_000);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, '5', 999]) {
      expect(codeOf(() => detector.heartbeat(bad as number))).toBe(InvalidArgumentError.code);
      expect(codeOf(() => detector.phi(bad as number))).toBe(InvalidArgumentError.code);
    }
    expect(detector.stats().lastHeartbeatAt).toBe(1_000);
  });
});
