import { describe, expect, it } from 'vitest';
import { leaseRun } from './lease-runs.js';
import { electionStormRun, figure8Run, type RunSummary, randomRun } from './random-runs.js';

function runSeeds(count: number, run: (seed: number) => RunSummary): RunSummary[] {
  const results: RunSummary[] = [];
  for (let seed = 1; seed <= count; seed++) {
    try {
      results.push(run(seed));
    } catch (error) {
      throw new Error(`seed ${seed}: ${(error as Error).message}`, { cause: error });
    }
  }
  return results;
}

describe('RaftCore under random faults', () => {
  it('keeps every safety invariant and converges, for 200 seeds of mixed faults', () => {
    const results = runSeeds(200, (seed) => randomRun(seed));
    expect(results.reduce((n, r) => n + r.committed, 0)).toBeGreaterThan(200);
  });

  it('keeps every safety invariant in 100 seeds of the Figure 8 schedule (leaders crashing constantly)', () => {
    const results = runSeeds(100, (seed) => figure8Run(seed));
    expect(results.reduce((n, r) => n + r.leaders, 0)).toBeGreaterThan(500);
  });

  it('elects at most one leader per term in 60 seeds of the election storm (voters crashing right after voting)', () => {
    const results = runSeeds(60, (seed) => electionStormRun(seed));
    expect(results.reduce((n, r) => n + r.crashes, 0)).toBeGreaterThan(500);
  });

  it('serves only linearizable lease reads in 40 seeds of leader isolation', () => {
    let operations = 0;
    for (let seed = 1; seed <= 40; seed++) operations += leaseRun(seed).operations;
    expect(operations).toBeGreaterThan(2000);
  });
});
