import { isLatticeError } from '@lattice/core';
import { registerModel } from '@lattice/linearizability';
import { describe, expect, it } from 'vitest';
import { assertLinearizable, FAULT_KINDS, type FaultScheduleOptions, NotLinearizableError, simulationSeeds } from '../src/index.js';
import { type RegisterRunOptions, runRegister } from './support/register-run.js';

// `SIM_SEED=1234 npx vitest run test/abd.test.ts` replays one seed (the failure message prints it).
const SEEDS = simulationSeeds({ count: 40 });
const NO_CLOCK_FAULTS: FaultScheduleOptions = {
  kinds: FAULT_KINDS.filter((kind) => kind !== 'clock-jump' && kind !== 'clock-drift'),
  meanIntervalMs: 150,
  durationMs: { min: 30, max: 400 },
};
const PERFECT_CLOCKS = { maxSkewMs: 0, maxDriftPpm: 0 };
const CRASH_HEAVY: FaultScheduleOptions = { kinds: { crash: 3, partition: 1, delay: 1 }, meanIntervalMs: 100, durationMs: { min: 20, max: 200 } };

/** Runs seeds in order until one fails the check; returns that seed and its error, or undefined. */
async function firstFailingSeed(seeds: number[], options: RegisterRunOptions): Promise<{ seed: number; error: Error } | undefined> {
  for (const seed of seeds) {
    const result = await runRegister(seed, options);
    try {
      assertLinearizable(result, registerModel, { timeoutMs: 20_000 });
    } catch (error) {
      return { seed, error: error as Error };
    }
  }
  return undefined;
}

describe('ABD register under faults', () => {
  it(`is linearizable for each of ${SEEDS.length} seeds with every kind of fault`, async () => {
    let crashes = 0;
    let unknown = 0;
    let operations = 0;
    for (const seed of SEEDS) {
      const result = await runRegister(seed);
      assertLinearizable(result, registerModel, { timeoutMs: 20_000 });
      crashes += result.stats.crashes;
      unknown += result.stats.info;
      operations += result.history.length;
    }
    // The runs must have been hostile, or passing proves little.
    if (SEEDS.length >= 10) {
      expect(crashes).toBeGreaterThan(SEEDS.length / 2);
      expect(unknown).toBeGreaterThan(5);
    }
    expect(operations).toBeGreaterThan(SEEDS.length * 60);
  });

  it('is linearizable under crash-heavy schedules, since replicas sync before acknowledging', async () => {
    for (const seed of SEEDS.slice(0, 15)) {
      assertLinearizable(await runRegister(seed, { faults: CRASH_HEAVY }), registerModel, { timeoutMs: 20_000 });
    }
  });
});

describe('broken variants are caught', () => {
  it('reads from one replica: caught within 10 seeds, with the seed and replay command in the error', async () => {
    const found = await firstFailingSeed(simulationSeeds({ count: 10, env: {} }), { abd: { readFrom: 'local' } });
    expect(found).toBeDefined();
    const { seed, error } = found!;
    expect(isLatticeError(error, NotLinearizableError.code)).toBe(true);
    expect(error.message).toContain(`seed: ${seed}`);
    expect(error.message).toContain(`replay: SIM_SEED=${seed} npx vitest run test/abd.test.ts`);
    expect(error.message).toContain('could not be placed');
  });

  it('acknowledges without fsync: crashes lose acknowledged writes, caught within 20 seeds', async () => {
    const found = await firstFailingSeed(simulationSeeds({ count: 20, env: {} }), { abd: { persist: false }, faults: CRASH_HEAVY });
    expect(found).toBeDefined();
    expect(isLatticeError(found!.error, NotLinearizableError.code)).toBe(true);
  });

  it('tags writes with wall clocks: linearizable while clocks agree, caught within 5 seeds once they are skewed or jump', async () => {
    const wallClock: RegisterRunOptions = { abd: { timestamps: 'wall-clock' } };
    for (const seed of SEEDS.slice(0, 15)) {
      assertLinearizable(await runRegister(seed, { ...wallClock, faults: NO_CLOCK_FAULTS, clocks: PERFECT_CLOCKS }), registerModel, { timeoutMs: 20_000 });
    }
    const seeds = simulationSeeds({ count: 5, env: {} });
    expect(await firstFailingSeed(seeds, { ...wallClock, faults: NO_CLOCK_FAULTS, clocks: { maxSkewMs: 100, maxDriftPpm: 0 } })).toBeDefined();
    expect(await firstFailingSeed(seeds, { ...wallClock, faults: { kinds: ['clock-jump'], meanIntervalMs: 150 }, clocks: PERFECT_CLOCKS })).toBeDefined();
  });
});
