import * as fs from 'node:fs/promises';
// Long simulation run, outside `npm test`: `npm run soak` (SOAK_SEEDS=2000 npm run soak for more).
// Checks the ABD register over many seeds under every fault (normal and crash-heavy mixes),
// Raft as a synchronous protocol core (safety, recovery, replay, no settle turns),
// checks each seed's run is reproducible, and that the broken variants (local reads, acks
// without fsync, wall-clock tags under skew) are caught. On a failure
// it writes the run's event log, ShiViz log and space-time diagram to .lattice-tmp/sim-<seed>/.
import { join } from 'node:path';
import { registerModel } from '@lattice/linearizability';
import { assertLinearizable, simulationSeeds } from '../src/index.js';
import { saveRun } from '../src/index.js';
import { runRaft } from './support/raft-run.js';
import { type RegisterRunOptions, runRegister } from './support/register-run.js';

const count = Number(process.env.SOAK_SEEDS ?? 500);
const seeds = simulationSeeds({ count, first: 1_000 });
const crashHeavy: RegisterRunOptions = { faults: { kinds: { crash: 3, partition: 1, delay: 1 }, meanIntervalMs: 100, durationMs: { min: 20, max: 200 } } };
const fiveNodes: RegisterRunOptions = { nodes: 5, clients: 5 };

const started = performance.now();
let runs = 0;
let operations = 0;
let unknown = 0;
let crashes = 0;
let failures = 0;
for (const [label, options] of [['mixed', {}], ['crash-heavy', crashHeavy], ['five-nodes', fiveNodes]] as const) {
  for (const seed of seeds) {
    const result = await runRegister(seed, options);
    runs++;
    operations += result.history.length;
    unknown += result.stats.info;
    crashes += result.stats.crashes;
    try {
      assertLinearizable(result, registerModel, { timeoutMs: 60_000 });
    } catch (error) {
      failures++;
      const saved = await saveRun(result, join('.lattice-tmp', `sim-${label}-${seed}`), fs);
      console.error(`${label}: ${(error as Error).message}\n  artifacts: ${saved.dir}`);
    }
    if (seed % 50 === 0) {
      const again = await runRegister(seed, options);
      if (again.log().join('\n') !== result.log().join('\n')) {
        failures++;
        console.error(`${label}: seed ${seed} did not replay identically`);
      }
    }
  }
}

let caughtLocal = 0;
let caughtNoSync = 0;
let caughtWallClock = 0;
for (const seed of seeds.slice(0, 100)) {
  const local = await runRegister(seed, { abd: { readFrom: 'local' } });
  try {
    assertLinearizable(local, registerModel, { timeoutMs: 60_000 });
  } catch {
    caughtLocal++;
  }
  const noSync = await runRegister(seed, { ...crashHeavy, abd: { persist: false } });
  try {
    assertLinearizable(noSync, registerModel, { timeoutMs: 60_000 });
  } catch {
    caughtNoSync++;
  }
  const wallClock = await runRegister(seed, { abd: { timestamps: 'wall-clock' }, clocks: { maxSkewMs: 100, maxDriftPpm: 0 } });
  try {
    assertLinearizable(wallClock, registerModel, { timeoutMs: 60_000 });
  } catch {
    caughtWallClock++;
  }
}

// Raft as a synchronous protocol core: safety on every seed, replay and no settling on a sample.
let raftRuns = 0;
let raftCommands = 0;
let raftFailures = 0;
for (const seed of seeds) {
  const { result, seen } = await runRaft(seed);
  raftRuns++;
  raftCommands += seen.commands;
  const problems = [...seen.violations];
  if (result.stats.settles !== 0) problems.push(`${result.stats.settles} settle turns`);
  if (seen.commands === 0) problems.push('nothing committed after the faults stopped');
  if (seed % 25 === 0 && (await runRaft(seed)).result.log().join('\n') !== result.log().join('\n')) problems.push('did not replay identically');
  if (problems.length > 0) {
    raftFailures++;
    const saved = await saveRun(result, join('.lattice-tmp', `sim-raft-${seed}`), fs);
    console.error(`raft seed ${seed}: ${problems.join('; ')}\n  artifacts: ${saved.dir}`);
  }
}
failures += raftFailures;

const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`ABD register: ${runs} runs (${seeds.length} seeds x mixed/crash-heavy/5-node), ${operations} operations (${unknown} with unknown outcome), ${crashes} crashes, ${failures} failures`);
console.log(
  `broken variants over ${Math.min(100, seeds.length)} seeds: local reads caught in ${caughtLocal}, acks without fsync caught in ${caughtNoSync}, wall-clock tags under 100 ms skew caught in ${caughtWallClock}`,
);
console.log(`Raft core: ${raftRuns} runs of 5 nodes under every fault, ${raftCommands} commands committed, ${raftFailures} failures (safety, replay, settle turns, recovery)`);
console.log(`${seconds} s`);
if (failures > 0 || caughtLocal === 0 || caughtNoSync === 0 || caughtWallClock === 0) process.exit(1);
