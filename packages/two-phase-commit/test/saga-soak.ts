/**
 * The Saga part of `npm run soak`: in the deterministic world (test/saga-world.ts), every pair of
 * orchestrator crash points, every crash point × every single lost message, then 10,000 random
 * seeds of the bank (SAGA_SOAK_SEEDS overrides the count).
 */
import { bankAccounts, randomSagas, runSagaWorld, SCENARIO, SCENARIO_BANKS } from './saga-world.js';

const accounts = bankAccounts(SCENARIO_BANKS);
const base = { seed: 1, accounts, sagas: SCENARIO, maxAttempts: 1 } as const;
const seeds = Number(process.env['SAGA_SOAK_SEEDS'] ?? 10_000);
const fail = (what: string, problems: string[]): never => {
  console.error(`${what} failed: ${problems.join('; ')}`);
  process.exit(1);
};

let started = performance.now();
const clean = runSagaWorld(base);
let plans = 0;
for (let crash = 0; crash <= clean.boundaries; crash++) {
  for (let drop = -1; drop < clean.messages; drop++) {
    const run = runSagaWorld({ ...base, crashes: [crash], drops: drop < 0 ? [] : [drop] });
    if (run.problems.length > 0) fail(`crash ${crash}, drop ${drop}`, run.problems);
    plans++;
  }
  for (let second = crash + 1; second <= clean.boundaries + 40; second++) {
    const run = runSagaWorld({ ...base, crashes: [crash, second] });
    if (run.problems.length > 0) fail(`crashes ${crash} and ${second}`, run.problems);
    plans++;
  }
}
console.log(`saga: ${plans} enumerated fault plans (crash point × lost message, crash point × second crash point) in ${((performance.now() - started) / 1000).toFixed(1)} s: every saga committed or fully compensated, each request applied once`);

started = performance.now();
const totals = { committed: 0, compensated: 0, crashes: 0, duplicate: 0, nullCompensation: 0, hanging: 0 };
for (let seed = 1; seed <= seeds; seed++) {
  const run = runSagaWorld({ seed, accounts, sagas: randomSagas(seed, SCENARIO_BANKS, 8), random: { crash: 0.01, drop: 0.05, duplicate: 0.05, fail: 0.1 } });
  if (run.problems.length > 0) fail(`seed ${seed}`, run.problems);
  totals.committed += run.committed;
  totals.compensated += run.compensated;
  totals.crashes += run.crashes;
  totals.duplicate += run.barrier['duplicate'] ?? 0;
  totals.nullCompensation += run.barrier['null-compensation'] ?? 0;
  totals.hanging += run.barrier['hanging'] ?? 0;
}
console.log(
  `saga: ${seeds} random seeds in ${((performance.now() - started) / 1000).toFixed(1)} s: money conserved, every step exactly once; ${totals.committed} sagas committed, ${totals.compensated} compensated, ${totals.crashes} crashes; barrier: ${totals.duplicate} duplicates, ${totals.nullCompensation} null compensations, ${totals.hanging} hanging actions blocked`,
);
