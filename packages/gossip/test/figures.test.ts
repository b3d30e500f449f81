import { describe, expect, it } from 'vitest';
import { detection, dissemination, falsePositives, load, slowMembers } from './figures.js';

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const seeds = (count: number): number[] => Array.from({ length: count }, (_, i) => i + 1);

describe('figures (printed; bounds asserted)', () => {
  it('first detection of a crash takes about one protocol period, independent of n (SWIM: T′ / (1 − e^−q_f))', () => {
    const rows: string[] = [];
    for (const n of [10, 30, 100]) {
      const runs = seeds(n === 100 ? 6 : 12).map((s) => detection(n, s));
      const first = mean(runs.map((r) => r.firstProbe));
      const all = mean(runs.map((r) => r.allDead));
      rows.push(`n=${n}: first probe ${first.toFixed(2)} periods, dead at all ${all.toFixed(2)} periods`);
      // The paper's 1.58 counts whole periods; continuous start offsets take about half a period off.
      expect(first).toBeGreaterThan(0.2);
      expect(first).toBeLessThan(2.5);
      expect(Math.max(...runs.map((r) => r.allDead))).toBeLessThan(60);
    }
    console.log(`detection\n  ${rows.join('\n  ')}`);
  });

  it('dissemination time grows like log n', () => {
    const figures = [10, 30, 100].map((n) => ({ n, periods: mean(seeds(6).map((s) => dissemination(n, s))) }));
    console.log(`dissemination\n  ${figures.map((f) => `n=${f.n}: ${f.periods.toFixed(2)} periods`).join('\n  ')}`);
    const [small, , large] = figures;
    expect(large!.periods).toBeGreaterThan(small!.periods);
    // log(100)/log(10) = 2; allow noise, but not linear growth (10×).
    expect(large!.periods / small!.periods).toBeLessThan(4);
  });

  it('message load per member per period stays constant as n grows', () => {
    const figures = [10, 30, 100].map((n) => ({ n, perPeriod: load(n, 3) }));
    console.log(`load\n  ${figures.map((f) => `n=${f.n}: ${f.perPeriod.toFixed(2)} messages/member/period`).join('\n  ')}`);
    const values = figures.map((f) => f.perPeriod);
    expect(Math.max(...values) / Math.min(...values)).toBeLessThan(1.5);
  });

  it('false positives under message loss, with and without Lifeguard', () => {
    const rows: string[] = [];
    for (const loss of [0.01, 0.05, 0.1]) {
      const plain = seeds(2).map((s) => falsePositives(20, s, loss, false, 100));
      const guarded = seeds(2).map((s) => falsePositives(20, s, loss, true, 100));
      const sum = (rs: typeof plain, key: 'dead' | 'suspicions') => rs.reduce((a, r) => a + r[key], 0);
      rows.push(`loss ${loss * 100}%: dead events plain ${sum(plain, 'dead')}, Lifeguard ${sum(guarded, 'dead')}; suspect events plain ${sum(plain, 'suspicions')}, Lifeguard ${sum(guarded, 'suspicions')}`);
      if (loss <= 0.01) expect(sum(guarded, 'dead')).toBe(0);
    }
    console.log(`false positives (20 members, 100 periods, 2 seeds)\n  ${rows.join('\n  ')}`);
  });

  it('false positives with slow members (the Lifeguard paper\'s setting): Lifeguard suspects less and declares no one dead', () => {
    const plain = seeds(3).map((s) => slowMembers(30, 5, 3_000, s, false));
    const guarded = seeds(3).map((s) => slowMembers(30, 5, 3_000, s, true));
    const sum = (rs: typeof plain, key: 'dead' | 'suspicions') => rs.reduce((a, r) => a + r[key], 0);
    console.log(
      `slow members (30 members, 5 of them lagging up to 3 s, 120 periods, 3 seeds)\n  dead events plain ${sum(plain, 'dead')}, Lifeguard ${sum(guarded, 'dead')}; suspect events plain ${sum(plain, 'suspicions')}, Lifeguard ${sum(guarded, 'suspicions')}`,
    );
    expect(sum(guarded, 'dead')).toBeLessThanOrEqual(sum(plain, 'dead'));
    expect(sum(guarded, 'suspicions') * 1.5).toBeLessThan(sum(plain, 'suspicions'));
  });
});
