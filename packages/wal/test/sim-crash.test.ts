import { describe, expect, it } from 'vitest';
import { runSimCrashSeed } from './sim-crash-harness.js';

// The soak (`npm run soak -w @lattice/wal`) runs thousands of seeds; these run in `npm test`.
const SEEDS = 300;

describe('FileWal on the simulated disk: seeded crash schedules', () => {
  it(`keeps every acknowledged record, in order and intact, through crashes at random disk operations (${SEEDS} seeds)`, { timeout: 120_000 }, async () => {
    let acknowledged = 0;
    let verified = 0;
    let crashesInRecovery = 0;
    let tornWrites = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const report = await runSimCrashSeed(seed);
      acknowledged += report.acknowledged;
      verified += report.verified;
      crashesInRecovery += report.crashesInRecovery;
      tornWrites += report.tornWrites;
    }
    // The schedules must really exercise the log: acknowledged appends, recoveries crashed, torn writes.
    expect(acknowledged).toBeGreaterThan(SEEDS * 10);
    expect(verified).toBeGreaterThan(SEEDS * 10);
    expect(crashesInRecovery).toBeGreaterThan(SEEDS / 20);
    expect(tornWrites).toBeGreaterThan(SEEDS / 10);
  });
});
