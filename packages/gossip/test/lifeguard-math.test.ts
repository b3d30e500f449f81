import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Awareness, LAN_PROFILE, LOCAL_PROFILE, retransmitLimit, Suspicion, suspicionTimeout, suspicionTimeoutMs, WAN_PROFILE } from '../src/index.js';

describe('profiles', () => {
  it('carry memberlist defaults', () => {
    expect([LAN_PROFILE.probeIntervalMs, LAN_PROFILE.probeTimeoutMs, LAN_PROFILE.suspicionMult, LAN_PROFILE.gossipNodes, LAN_PROFILE.pushPullIntervalMs]).toEqual([1000, 500, 4, 3, 30_000]);
    expect([WAN_PROFILE.probeIntervalMs, WAN_PROFILE.probeTimeoutMs, WAN_PROFILE.suspicionMult, WAN_PROFILE.gossipNodes, WAN_PROFILE.gossipIntervalMs]).toEqual([5000, 3000, 6, 4, 500]);
    expect([LOCAL_PROFILE.probeTimeoutMs, LOCAL_PROFILE.indirectChecks, LOCAL_PROFILE.retransmitMult, LOCAL_PROFILE.suspicionMult, LOCAL_PROFILE.gossipIntervalMs]).toEqual([200, 1, 2, 3, 100]);
  });

  it('retransmit limit is mult · ceil(log10(n + 1))', () => {
    expect(retransmitLimit(4, 0)).toBe(0);
    expect(retransmitLimit(4, 1)).toBe(4);
    expect(retransmitLimit(4, 9)).toBe(4);
    expect(retransmitLimit(4, 10)).toBe(8);
    expect(retransmitLimit(4, 99)).toBe(8);
    expect(retransmitLimit(4, 100)).toBe(12);
  });

  it('suspicion timeout matches memberlist (mult · max(1, log10 n) · interval)', () => {
    expect(suspicionTimeoutMs(4, 1, 1000)).toBe(4000);
    expect(suspicionTimeoutMs(4, 10, 1000)).toBe(4000);
    expect(suspicionTimeoutMs(4, 100, 1000)).toBe(8000);
    expect(suspicionTimeoutMs(4, 1000, 1000)).toBe(12000);
  });
});

describe('suspicion (dogpile)', () => {
  it('starts at max and reaches min after k confirmations (floor(max − ln(c+1)/ln(k+1) · (max − min)))', () => {
    // k=3, min=2s, max=30s
    expect(suspicionTimeout(0, 3, 2000, 30_000)).toBe(30_000);
    expect(suspicionTimeout(1, 3, 2000, 30_000)).toBe(16_000);
    expect(suspicionTimeout(2, 3, 2000, 30_000)).toBe(7_810);
    expect(suspicionTimeout(3, 3, 2000, 30_000)).toBe(2_000);
    expect(suspicionTimeout(4, 3, 2000, 30_000)).toBe(2_000);
  });

  it('never grows as confirmations arrive, stays within [min, max]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 10 }), (k, min, mult) => {
        const max = min * mult;
        let previous = Number.POSITIVE_INFINITY;
        for (let c = 0; c <= k + 2; c++) {
          const t = suspicionTimeout(c, k, min, max);
          expect(t).toBeLessThanOrEqual(previous);
          expect(t).toBeGreaterThanOrEqual(min);
          expect(t).toBeLessThanOrEqual(max);
          previous = t;
        }
      }),
    );
  });

  it('counts each confirming member once, not the reporter', () => {
    const s = new Suspicion(3, 'a', 2, 1000, 6000, 100);
    expect(s.deadline()).toBe(6100);
    expect(s.confirm('a')).toBe(false);
    expect(s.confirm('b')).toBe(true);
    expect(s.confirm('b')).toBe(false);
    expect(s.confirm('c')).toBe(true);
    expect(s.confirm('d')).toBe(false);
    expect(s.confirmations).toBe(2);
    expect(s.deadline()).toBe(1100);
  });
});

describe('awareness', () => {
  it('score is clamped to [0, max − 1] and scales timeouts by score + 1', () => {
    const a = new Awareness(8);
    a.applyDelta(-1);
    expect(a.score).toBe(0);
    expect(a.scale(500)).toBe(500);
    a.applyDelta(3);
    expect(a.scale(500)).toBe(2000);
    a.applyDelta(100);
    expect(a.score).toBe(7);
  });
});
