/**
 * The long run of the Raft core's random-fault schedules (`npm run soak -w @lattice/raft`):
 * thousands of seeds of mixed faults, of the Figure 8 schedule, of an election storm and of
 * writes held in flight while leaders crash, each checking the safety
 * invariants after every step. Prints what it checked; exits non-zero with the failing seed.
 */
import { leaseRun } from './lease-runs.js';
import { simKvRun } from './sim-kv.js';
import { asyncWritesRun, electionStormRun, figure8Run, randomRun } from './random-runs.js';

const seeds = Number(process.env.RAFT_SOAK_SEEDS ?? 5_000);
const started = Date.now();
let committed = 0;
let leaders = 0;
let crashes = 0;
for (let seed = 1; seed <= seeds; seed++) {
  for (const run of [randomRun, figure8Run, electionStormRun, asyncWritesRun]) {
    try {
      const result = run(seed);
      committed += result.committed;
      leaders += result.leaders;
      crashes += result.crashes;
    } catch (error) {
      console.error(`raft soak: ${run.name} failed at seed ${seed}: ${(error as Error).message}`);
      process.exit(1);
    }
  }
}
let reads = 0;
const leaseSeeds = Math.ceil(seeds / 5);
for (let seed = 1; seed <= leaseSeeds; seed++) {
  try {
    reads += leaseRun(seed).operations;
  } catch (error) {
    console.error(`raft soak: leaseRun failed at seed ${seed}: ${(error as Error).message}`);
    process.exit(1);
  }
}
console.log(`raft soak: ${leaseSeeds} seeds of lease reads under leader isolation, ${reads} operations, linearizable`);
console.log(`raft soak: ${seeds} seeds x 4 schedules, ${committed} entries committed, ${leaders} leaderships, ${crashes} crashes, 0 invariant violations (${((Date.now() - started) / 1000).toFixed(1)} s)`);

const simSeeds = Number(process.env.RAFT_SOAK_SIM_SEEDS ?? 10_000);
let simOperations = 0;
const simStarted = Date.now();
for (let seed = 1; seed <= simSeeds; seed++) {
  try {
    simOperations += (await simKvRun({ seed: 1_000_000 + seed })).history.length;
  } catch (error) {
    console.error(`raft soak: the simulated KV failed at seed ${1_000_000 + seed}: ${(error as Error).message}`);
    process.exit(1);
  }
}
console.log(`raft soak: ${simSeeds} seeds of the KV on FileWal in the simulator, ${simOperations} operations, 0 linearizability violations (${((Date.now() - simStarted) / 1000).toFixed(1)} s)`);
