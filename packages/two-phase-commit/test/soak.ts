/**
 * `npm run soak`: every coordinator crash point × every participant crash point × every single
 * message loss for the three-way transfer, then 10,000 random schedules of the bank world
 * (SOAK_SEEDS overrides the count) — all of it four times: with participants that log
 * "prepared", and with participants on durable prepares (`durablePrepare`), each without and
 * with participant compaction (`compaction`).
 */
import { bankAccounts, COORDINATOR, randomTransfers, runWorld, threeWay } from './world.js';

const PARTICIPANTS = ['p1', 'p2', 'p3'];
const accounts = bankAccounts(PARTICIPANTS);
const seeds = Number(process.env['SOAK_SEEDS'] ?? 10_000);
const modes = [
  ['logged prepares', {}],
  ['durable prepares', { durablePrepare: true }],
  ['logged prepares, compaction', { compaction: true }],
  ['durable prepares, compaction', { durablePrepare: true, compaction: true }],
] as const;
for (const [name, mode] of modes) {
  const clean = runWorld({ seed: 1, accounts, transfers: threeWay, ...mode });
  let enumerated = 0;
  for (let c = 0; c <= clean.boundaries[COORDINATOR]!; c++) {
    for (const p of PARTICIPANTS) {
      for (let at = 0; at <= clean.boundaries[p]!; at++) {
        for (let d = -1; d < clean.messages; d++) {
          const crashes = [{ node: COORDINATOR, at: c }, { node: p, at }];
          const result = runWorld({ seed: 1, accounts, transfers: threeWay, crashes, drops: d < 0 ? [] : [d], ...mode });
          if (result.problems.length > 0) {
            console.error(`${name}: crashes ${JSON.stringify(crashes)}, drop ${d} failed: ${result.problems.join('; ')}`);
            process.exit(1);
          }
          enumerated++;
        }
      }
    }
  }
  console.log(`${name}: ${enumerated} enumerated fault plans (coordinator crash point × participant crash point × lost message): all atomic`);
  let committed = 0;
  let aborted = 0;
  let crashes = 0;
  const started = performance.now();
  for (let seed = 1; seed <= seeds; seed++) {
    const result = runWorld({ seed, accounts, transfers: randomTransfers(seed, PARTICIPANTS, 8, 1500), random: { crash: 0.02, drop: 0.05 }, ...mode });
    if (result.problems.length > 0) {
      console.error(`${name}: seed ${seed} failed: ${result.problems.join('; ')}`);
      process.exit(1);
    }
    committed += result.committed;
    aborted += result.aborted;
    crashes += result.crashes;
  }
  console.log(
    `${name}: ${seeds} seeds in ${((performance.now() - started) / 1000).toFixed(1)} s: one outcome per gid everywhere, balance conserved, nothing left prepared; ${committed} transfers committed, ${aborted} aborted, ${crashes} crashes`,
  );
}
