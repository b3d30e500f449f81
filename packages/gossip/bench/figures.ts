/**
 * The figures of docs/gossip.md, in `@lattice/sim`, up to 1,000 members
 * (`npm run figures -w @lattice/gossip`): writes bench/figures.json, which scripts/plots.ts
 * turns into docs/img/gossip-*.svg. Deterministic: same seeds, same numbers.
 */
import { writeFileSync } from 'node:fs';
import { clusterFigures, epidemicPeriods, type FalsePositives, falsePositives, mean, swimFirstDetectionContinuous, swimFirstDetectionPeriods } from '../test/figures.js';

const only = process.env.FIGURES_SIZES?.split(',').map(Number);
const sizes = only ?? [10, 30, 100, 300, 1000];
const seedsFor = (n: number): number => (n >= 1000 ? 2 : n >= 300 ? 4 : n >= 100 ? 8 : 16);
const started = performance.now();
const wall = (): string => `${((performance.now() - started) / 1000).toFixed(0)} s`;

const clusters = [];
for (const n of sizes) {
  const runs = [];
  for (let seed = 1; seed <= seedsFor(n); seed++) runs.push(await clusterFigures(n, seed));
  const row = {
    n,
    seeds: runs.length,
    firstProbePeriods: mean(runs.map((r) => r.firstProbePeriods)),
    firstSuspicionPeriods: mean(runs.map((r) => r.firstSuspicionPeriods)),
    allDeadPeriods: mean(runs.map((r) => r.allDeadPeriods)),
    disseminationPeriods: mean(runs.map((r) => r.disseminationPeriods)),
    messagesPerMemberPerPeriod: mean(runs.map((r) => r.messagesPerMemberPerPeriod)),
    runs,
  };
  clusters.push(row);
  console.log(
    `n=${n} (${row.seeds} seeds): first ping ${row.firstProbePeriods.toFixed(2)} periods (SWIM ${swimFirstDetectionPeriods().toFixed(2)} whole / ${swimFirstDetectionContinuous().toFixed(2)} continuous), dead at all ${row.allDeadPeriods.toFixed(2)}; ` +
      `update at all ${row.disseminationPeriods.toFixed(2)} periods (epidemic ${epidemicPeriods(n).toFixed(2)}); ${row.messagesPerMemberPerPeriod.toFixed(2)} msgs/member/period [${wall()}]`,
  );
}

const total = (runs: FalsePositives[]) => ({ dead: runs.reduce((a, r) => a + r.dead, 0), membersDeclaredDead: runs.reduce((a, r) => a + r.membersDeclaredDead, 0), suspicions: runs.reduce((a, r) => a + r.suspicions, 0) });
const sweep = async (label: string, setting: { loss?: number; slow?: number; lagMs?: number }, seeds: number) => {
  const plain: FalsePositives[] = [];
  const lifeguard: FalsePositives[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    plain.push(await falsePositives({ size: 30, seed, periods: 300, lifeguard: false, ...setting }));
    lifeguard.push(await falsePositives({ size: 30, seed, periods: 300, lifeguard: true, ...setting }));
  }
  const row = { label, ...setting, size: 30, periods: 300, seeds, plain: total(plain), lifeguard: total(lifeguard) };
  console.log(`${label} (30 members, 300 periods, ${seeds} seeds): dead events plain ${row.plain.dead} / Lifeguard ${row.lifeguard.dead}; suspect events ${row.plain.suspicions} / ${row.lifeguard.suspicions} [${wall()}]`);
  return row;
};
const loss = [];
for (const rate of [0.01, 0.05, 0.1]) loss.push(await sweep(`loss ${rate * 100}%`, { loss: rate }, 6));
const slow = [];
for (const [count, lagMs] of [
  [1, 1_500],
  [3, 2_000],
  [5, 3_000],
  [5, 5_000],
] as const) {
  slow.push(await sweep(`${count} slow lagging up to ${lagMs / 1000} s`, { slow: count, lagMs }, 10));
}

const detectionCost = [];
for (const n of [30, 100]) {
  const plain = [];
  const guarded = [];
  for (let seed = 1; seed <= 8; seed++) {
    plain.push((await clusterFigures(n, seed, { lifeguard: false })).allDeadPeriods);
    guarded.push((await clusterFigures(n, seed, { lifeguard: true })).allDeadPeriods);
  }
  detectionCost.push({ n, seeds: 8, plainAllDeadPeriods: mean(plain), lifeguardAllDeadPeriods: mean(guarded) });
  console.log(`detection cost n=${n}: dead at all ${mean(plain).toFixed(2)} periods plain, ${mean(guarded).toFixed(2)} Lifeguard [${wall()}]`);
}

if (only === undefined) writeFileSync(new URL('./figures.json', import.meta.url), `${JSON.stringify({ clusters, loss, slow, detectionCost }, null, 1)}\n`);
console.log(`figures done in ${wall()}`);
