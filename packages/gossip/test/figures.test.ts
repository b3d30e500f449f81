import { describe, expect, it } from 'vitest';
import { type ClusterFigures, clusterFigures, epidemicPeriods, type FalsePositives, falsePositives, mean, swimFirstDetectionContinuous, swimFirstDetectionPeriods } from './figures.js';

const seeds = (count: number): number[] => Array.from({ length: count }, (_, i) => i + 1);
const sum = (runs: readonly FalsePositives[], key: keyof FalsePositives): number => runs.reduce((a, r) => a + r[key], 0);

describe('figures in @lattice/sim (printed; bounds asserted; the full curves to 1,000 members: bench/figures.ts)', () => {
  const bySize = new Map<number, ClusterFigures[]>();
  const figuresOf = async (n: number): Promise<ClusterFigures[]> => {
    let runs = bySize.get(n);
    if (runs === undefined) {
      runs = [];
      for (const seed of seeds(n >= 100 ? 8 : 16)) runs.push(await clusterFigures(n, seed));
      bySize.set(n, runs);
    }
    return runs;
  };

  it('first detection of a crash: about one period from a random instant (SWIM: T′/(1 − e^−q_f) = 1.58 whole periods), independent of n', async () => {
    const rows: string[] = [];
    const firsts: number[] = [];
    for (const n of [10, 30, 100]) {
      const runs = await figuresOf(n);
      const first = mean(runs.map((r) => r.firstProbePeriods));
      firsts.push(first);
      rows.push(`n=${n}: first ping ${first.toFixed(2)} periods, first suspicion ${mean(runs.map((r) => r.firstSuspicionPeriods)).toFixed(2)}, dead at all ${mean(runs.map((r) => r.allDeadPeriods)).toFixed(2)} (${runs.length} seeds)`);
      expect(Math.max(...runs.map((r) => r.allDeadPeriods))).toBeLessThan(40);
    }
    console.log(`detection (SWIM: ${swimFirstDetectionPeriods().toFixed(2)} whole periods, ${swimFirstDetectionContinuous().toFixed(2)} in continuous time)\n  ${rows.join('\n  ')}`);
    // The wait is about exponential (sd ≈ 1 period a run): over 40 runs the mean sits near the
    // continuous-time expectation, below the paper's whole-period count, and n does not move it.
    const overall = mean(firsts);
    expect(overall).toBeGreaterThan(0.5 * swimFirstDetectionContinuous());
    expect(overall).toBeLessThan(swimFirstDetectionPeriods());
    expect(Math.max(...firsts) - Math.min(...firsts)).toBeLessThan(1.5);
  });

  it('dissemination time grows like log n, not like n', async () => {
    const figures: { n: number; periods: number }[] = [];
    for (const n of [10, 30, 100]) figures.push({ n, periods: mean((await figuresOf(n)).map((r) => r.disseminationPeriods)) });
    console.log(`dissemination\n  ${figures.map((f) => `n=${f.n}: ${f.periods.toFixed(2)} periods (push epidemic, fan-out 3: ${epidemicPeriods(f.n).toFixed(2)})`).join('\n  ')}`);
    const [small, , large] = figures;
    expect(large!.periods).toBeGreaterThan(small!.periods);
    // log(100)/log(10) = 2: allow noise, not linear growth (10×); and never slower than the epidemic bound.
    expect(large!.periods / small!.periods).toBeLessThan(4);
    for (const f of figures) expect(f.periods).toBeLessThan(epidemicPeriods(f.n) * 1.5);
  });

  it('message load per member per period stays constant as n grows', async () => {
    const figures: { n: number; perPeriod: number }[] = [];
    for (const n of [10, 30, 100]) figures.push({ n, perPeriod: mean((await figuresOf(n)).map((r) => r.messagesPerMemberPerPeriod)) });
    console.log(`load\n  ${figures.map((f) => `n=${f.n}: ${f.perPeriod.toFixed(2)} messages/member/period`).join('\n  ')}`);
    const values = figures.map((f) => f.perPeriod);
    expect(Math.max(...values) / Math.min(...values)).toBeLessThan(1.25);
    for (const value of values) expect(value).toBeLessThan(3);
  });

  it('false positives under 1%, 5%, 10% message loss, with and without Lifeguard', async () => {
    const rows: string[] = [];
    let plainDead = 0;
    let guardedDead = 0;
    for (const loss of [0.01, 0.05, 0.1]) {
      const plain: FalsePositives[] = [];
      const guarded: FalsePositives[] = [];
      for (const seed of seeds(3)) {
        plain.push(await falsePositives({ size: 20, seed, loss, lifeguard: false, periods: 150 }));
        guarded.push(await falsePositives({ size: 20, seed, loss, lifeguard: true, periods: 150 }));
      }
      plainDead += sum(plain, 'dead');
      guardedDead += sum(guarded, 'dead');
      rows.push(`loss ${loss * 100}%: dead events plain ${sum(plain, 'dead')}, Lifeguard ${sum(guarded, 'dead')}; suspect events plain ${sum(plain, 'suspicions')}, Lifeguard ${sum(guarded, 'suspicions')}`);
      if (loss <= 0.01) expect(sum(guarded, 'dead')).toBe(0);
    }
    console.log(`false positives under loss (20 members, 150 periods, 3 seeds)\n  ${rows.join('\n  ')}`);
    expect(guardedDead).toBeLessThanOrEqual(plainDead);
  });

  it("false positives with CPU-starved members (the Lifeguard paper's setting): Lifeguard suspects less and declares no one dead", async () => {
    const plain: FalsePositives[] = [];
    const guarded: FalsePositives[] = [];
    for (const seed of seeds(4)) {
      plain.push(await falsePositives({ size: 30, seed, slow: 5, lagMs: 3_000, lifeguard: false, periods: 120 }));
      guarded.push(await falsePositives({ size: 30, seed, slow: 5, lagMs: 3_000, lifeguard: true, periods: 120 }));
    }
    console.log(
      `slow members (30 members, 5 handling each message up to 3 s late, 120 periods, 4 seeds)\n  dead events plain ${sum(plain, 'dead')}, Lifeguard ${sum(guarded, 'dead')}; suspect events plain ${sum(plain, 'suspicions')}, Lifeguard ${sum(guarded, 'suspicions')}`,
    );
    expect(sum(plain, 'dead')).toBeGreaterThan(0);
    expect(sum(guarded, 'dead')).toBe(0);
    expect(sum(guarded, 'suspicions') * 1.5).toBeLessThan(sum(plain, 'suspicions'));
  });

  it('Lifeguard detects a real crash at a modest cost: dead at every member within 2.5× plain SWIM', async () => {
    const plain: ClusterFigures[] = [];
    const guarded = await figuresOf(30);
    for (const seed of seeds(guarded.length)) plain.push(await clusterFigures(30, seed, { lifeguard: false }));
    const p = mean(plain.map((r) => r.allDeadPeriods));
    const g = mean(guarded.map((r) => r.allDeadPeriods));
    console.log(`detection cost of Lifeguard (30 members, ${plain.length} seeds): dead at all ${p.toFixed(2)} periods plain, ${g.toFixed(2)} with Lifeguard (${(g / p).toFixed(2)}×)`);
    expect(g).toBeGreaterThanOrEqual(p * 0.9);
    expect(g).toBeLessThan(p * 2.5);
  });
});
