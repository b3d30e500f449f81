/**
 * The long run (`npm run soak -w @lattice/gossip`): thousands of seeded random runs, and the
 * figures at larger cluster sizes (up to 1,000 members), printed with their wall time.
 */
import { detection, dissemination, falsePositives, load, slowMembers } from './figures.js';
import { randomRun } from './random-runs.js';

const seeds = Number(process.env.GOSSIP_SOAK_SEEDS ?? 2_000);
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
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
  const runs = Array.from({ length: n >= 300 ? 2 : 20 }, (_, i) => detection(n, i + 1));
  const spread = Array.from({ length: n >= 300 ? 2 : 10 }, (_, i) => dissemination(n, i + 1));
  console.log(
    `n=${n}: first probe of a crashed member ${mean(runs.map((r) => r.firstProbe)).toFixed(2)} periods, dead at all ${mean(runs.map((r) => r.allDead)).toFixed(2)} periods; ` +
      `an update reaches all in ${mean(spread).toFixed(2)} periods; ${load(n, 1, 10).toFixed(2)} messages/member/period (${((performance.now() - started) / 1000).toFixed(1)} s wall)`,
  );
}

for (const loss of [0.01, 0.05, 0.1]) {
  const plain = Array.from({ length: 10 }, (_, i) => falsePositives(30, i + 1, loss, false, 300));
  const guarded = Array.from({ length: 10 }, (_, i) => falsePositives(30, i + 1, loss, true, 300));
  const sum = (rs: typeof plain, key: 'dead' | 'suspicions') => rs.reduce((a, r) => a + r[key], 0);
  console.log(`loss ${loss * 100}% (30 members, 300 periods, 10 seeds): dead events plain ${sum(plain, 'dead')} / Lifeguard ${sum(guarded, 'dead')}; suspect events plain ${sum(plain, 'suspicions')} / Lifeguard ${sum(guarded, 'suspicions')}`);
}

for (const [slow, lag] of [
  [1, 1_500],
  [3, 2_000],
  [5, 3_000],
] as const) {
  const plain = Array.from({ length: 10 }, (_, i) => slowMembers(30, slow, lag, i + 1, false));
  const guarded = Array.from({ length: 10 }, (_, i) => slowMembers(30, slow, lag, i + 1, true));
  const sum = (rs: typeof plain, key: 'dead' | 'suspicions') => rs.reduce((a, r) => a + r[key], 0);
  console.log(`${slow} slow members lagging up to ${lag} ms (30 members, 120 periods, 10 seeds): dead events plain ${sum(plain, 'dead')} / Lifeguard ${sum(guarded, 'dead')}; suspect events plain ${sum(plain, 'suspicions')} / Lifeguard ${sum(guarded, 'suspicions')}`);
}
