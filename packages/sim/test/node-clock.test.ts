import fc from 'fast-check';
import { InvalidArgumentError } from '@lattice/core';
import { describe, expect, it } from 'vitest';
import { NodeClock } from '../src/index.js';

describe('NodeClock', () => {
  it('applies skew to the wall clock and drift to both clocks', () => {
    let now = 0;
    const clock = new NodeClock(() => now, { wallStart: 1_000_000, skewMs: -250, driftPpm: 1000 });
    expect(clock.now()).toBe(1_000_000 - 250);
    now = 10_000;
    expect(clock.monotonic()).toBeCloseTo(10_010, 9);
    expect(clock.now()).toBeCloseTo(1_000_000 - 250 + 10_010, 9);
    expect(clock.toTrueDuration(1001)).toBeCloseTo(1000, 9);
  });

  it('jumps the wall clock without touching monotonic time', () => {
    let now = 100;
    const clock = new NodeClock(() => now);
    const before = clock.monotonic();
    const wall = clock.now();
    clock.jumpWall(-5_000);
    expect(clock.monotonic()).toBe(before);
    expect(clock.now()).toBe(wall - 5_000);
    now = 200;
    expect(clock.monotonic()).toBe(before + 100);
  });

  it('keeps monotonic time non-decreasing through any jumps and drift changes', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('advance' as const), ms: fc.double({ min: 0, max: 1_000, noNaN: true }) }),
      fc.record({ kind: fc.constant('jump' as const), ms: fc.double({ min: -1e6, max: 1e6, noNaN: true }) }),
      fc.record({ kind: fc.constant('drift' as const), ms: fc.double({ min: -500_000, max: 500_000, noNaN: true }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        let now = 0;
        const clock = new NodeClock(() => now, { driftPpm: 100 });
        let last = clock.monotonic();
        for (const s of steps) {
          if (s.kind === 'advance') now += s.ms;
          else if (s.kind === 'jump') clock.jumpWall(s.ms);
          else clock.setDrift(s.ms);
          const current = clock.monotonic();
          expect(current).toBeGreaterThanOrEqual(last);
          last = current;
        }
      }),
    );
  });

  it('rejects absurd drift and non-finite offsets with typed errors', () => {
    expect(() => new NodeClock(() => 0, { driftPpm: 2_000_000 })).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
    expect(() => new NodeClock(() => 0, { skewMs: Number.NaN })).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
    expect(() => new NodeClock(() => 0).jumpWall(Number.POSITIVE_INFINITY)).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
  });
});
