/** `npm run soak`: 10,000 random schedules of the bank world (SOAK_SEEDS overrides the count). */
import { bankAccounts, randomTransfers, runWorld } from './world.js';

const PARTICIPANTS = ['p1', 'p2', 'p3'];
const accounts = bankAccounts(PARTICIPANTS);
const seeds = Number(process.env['SOAK_SEEDS'] ?? 10_000);
let committed = 0;
let aborted = 0;
let crashes = 0;
const started = performance.now();
for (let seed = 1; seed <= seeds; seed++) {
  const result = runWorld({ seed, accounts, transfers: randomTransfers(seed, PARTICIPANTS, 8, 1500), random: { crash: 0.02, drop: 0.05 } });
  if (result.problems.length > 0) {
    console.error(`seed ${seed} failed: ${result.problems.join('; ')}`);
    process.exit(1);
  }
  committed += result.committed;
  aborted += result.aborted;
  crashes += result.crashes;
}
console.log(
  `${seeds} seeds in ${((performance.now() - started) / 1000).toFixed(1)} s: one outcome per gid everywhere, balance conserved, nothing left prepared; ${committed} transfers committed, ${aborted} aborted, ${crashes} crashes`,
);
