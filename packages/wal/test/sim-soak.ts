/**
 * Crash soak of FileWal on the simulated disk: `npm run soak -w @lattice/wal` runs it before
 * the SIGKILL soak (SIM_SOAK_SEEDS for more or fewer; default 10,000 seeds, 6 rounds each: 2,000
 * passed while a recovery bug that seed 200745 finds was still there). Every
 * seed is a crash schedule (see sim-crash-harness.ts): random appends, truncations, compactions
 * and metadata writes, crashes at random disk operations with unsynced bytes and directory
 * entries lost and torn writes, crashed recoveries, and a check of every acknowledged record
 * after each reopen. Prints what it checked; exits non-zero on the first violation, naming the
 * seed (rerun one with SIM_SOAK_FIRST=<seed> SIM_SOAK_SEEDS=1).
 */
import { runSimCrashSeed } from './sim-crash-harness.js';

const count = Number(process.env['SIM_SOAK_SEEDS'] ?? 10_000);
const first = Number(process.env['SIM_SOAK_FIRST'] ?? 100_000);
const started = performance.now();
const totals = { rounds: 0, acknowledged: 0, verified: 0, crashesInRecovery: 0, tornWrites: 0, truncations: 0, compactions: 0 };
try {
  for (let seed = first; seed < first + count; seed++) {
    const report = await runSimCrashSeed(seed, { rounds: 6, operations: 60 });
    for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += report[key];
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `sim crash soak OK: ${count} seeds (${first}..${first + count - 1}), ${totals.rounds} crashes at random disk operations ` +
      `(+${totals.crashesInRecovery} during recovery, ${totals.tornWrites} torn writes), ${totals.acknowledged} acknowledged appends, ` +
      `${totals.truncations} truncations, ${totals.compactions} compactions, ${totals.verified} records verified after reopen, in ${seconds} s`,
  );
} catch (error) {
  console.error('sim crash soak FAILED:', error);
  process.exitCode = 1;
}
