/**
 * The long Jepsen-style run: `npm run soak -w @lattice/examples [-- <rounds> <seconds per round>]`
 * (default 20 rounds of 15 s). One 3-process cluster, kills, restarts and partitions; every
 * round's history is checked and summarised. Exits 1 on any violation or undecided check.
 */
import { KvCluster } from '../src/lattice-kv/cluster.js';
import { describeRound, runJepsenRound } from './lattice-kv-jepsen.js';

const rounds = Number(process.argv[2] ?? 20);
const seconds = Number(process.argv[3] ?? 15);
const firstSeed = Number(process.env['JEPSEN_SEED'] ?? 1000);
const cluster = await KvCluster.start({ nemesis: true });
let operations = 0;
let indeterminate = 0;
let bad = 0;
try {
  for (let round = 0; round < rounds; round++) {
    const seed = firstSeed + round;
    const report = await runJepsenRound({ cluster, seed, durationMs: seconds * 1000, keyPrefix: `soak${seed}`, keys: 8, checkTimeoutMs: 120_000 });
    operations += report.recorded;
    indeterminate += report.indeterminate;
    console.log(describeRound(report));
    if (report.result.verdict !== 'linearizable') {
      bad++;
      console.log(report.nemesis.join('\n'));
      if (report.result.counterexample !== undefined) console.log(JSON.stringify(report.result.counterexample.unplacedOperations));
    }
  }
} finally {
  await cluster.stop();
}
console.log(`lattice-kv Jepsen soak: ${rounds} rounds of ${seconds} s, ${operations} operations (${indeterminate} indeterminate), ${bad} rounds not linearizable`);
process.exit(bad === 0 ? 0 : 1);
