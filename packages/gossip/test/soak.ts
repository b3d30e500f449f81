/**
 * The long run (`npm run soak -w @lattice/gossip`): thousands of seeded random runs, then the
 * figures in `@lattice/sim` at every size up to 1,000 members and the false-positive sweeps,
 * printed with their wall time (bench/figures.ts runs the same and writes them for the plots).
 */
import { clusterFigures, falsePositives, mean } from './figures.js';
import { randomRun } from './random-runs.js';

const seeds = Number(process.env.GOSSIP_SOAK_SEEDS ?? 2_000);
let started = performance.now();
let messages = 0;
for (let seed = 1; seed <= seeds; seed++) {
  const result = randomRun(seed);
  if (result.problems.length > 0) {
    console.error(`gossip soak: random run failed at seed ${seed}: ${result.problems.join('; ')}`);
    process.exit(1);
  }
  messages += result.messages;
}
console.log(`gossip soak: ${seeds} random runs, ${messages} messages, 0 problems (${((performance.now() - started) / 1000).toFixed(1)} s)`);

for (const n of (process.env.GOSSIP_SOAK_SIZES ?? '10,30,100,300,1000').split(',').map(Number)) {
  started = performance.now();
  const runs = [];
  for (let seed = 1; seed <= (n >= 1000 ? 2 : n >= 300 ? 4 : 20); seed++) runs.push(await clusterFigures(n, seed));
  console.log(
    `n=${n} (${runs.length} seeds): first ping to a crashed member ${mean(runs.map((r) => r.firstProbePeriods)).toFixed(2)} periods, dead at all ${mean(runs.map((r) => r.allDeadPeriods)).toFixed(2)}; ` +
      `an update reaches all in ${mean(runs.map((r) => r.disseminationPeriods)).toFixed(2)} periods; ${mean(runs.map((r) => r.messagesPerMemberPerPeriod)).toFixed(2)} messages/member/period (${((performance.now() - started) / 1000).toFixed(1)} s wall)`,
  );
}

for (const [slow, lagMs] of [
  [1, 1_500],
  [3, 2_000],
  [5, 3_000],
] as const) {
  let plain = 0;
  let guarded = 0;
  for (let seed = 1; seed <= 10; seed++) {
    plain += (await falsePositives({ size: 30, seed, slow, lagMs, lifeguard: false, periods: 300 })).dead;
    guarded += (await falsePositives({ size: 30, seed, slow, lagMs, lifeguard: true, periods: 300 })).dead;
  }
  console.log(`${slow} slow members lagging up to ${lagMs} ms (30 members, 300 periods, 10 seeds): dead events plain ${plain} / Lifeguard ${guarded}`);
}
