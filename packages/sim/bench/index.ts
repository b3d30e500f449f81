// Simulation speed: virtual seconds simulated per wall-clock second for a 5-node cluster exchanging
// heartbeats every 50 ms (each node sends to the 4 others: 400 messages per virtual second), with
// the event log on and off, and under a full fault schedule; and whole ABD register runs checked
// for linearizability per second. No npm peer simulates a TypeScript cluster, so there is no ratio.
import { fileURLToPath } from 'node:url';
import { type BenchResult, opsPerSecond, report, result } from '@lattice/bench-kit';
import { check, registerModel } from '@lattice/linearizability';
import { type FaultScheduleOptions, Simulation } from '../src/index.js';
import { heartbeatNode } from '../test/support/heartbeat.js';
import { runRegister } from '../test/support/register-run.js';

const SECONDS_PER_BATCH = 60;
let seed = 0;
// CPU time spent inside the workloads, to report beside wall time: on a shared machine the wall
// figure also counts time the process spent waiting for a core.
let cpuMicros = 0;
let virtualSecondsRun = 0;

function heartbeats(log: boolean, faults: FaultScheduleOptions | false, settleTicks = 2) {
  return async (virtualSeconds: number): Promise<void> => {
    const sim = new Simulation({ seed: ++seed, nodes: 5, node: (ctx) => heartbeatNode(ctx, 50), log, faults, settleTicks });
    const cpu = process.cpuUsage();
    const run = await sim.run({ duration: virtualSeconds * 1000 });
    const used = process.cpuUsage(cpu);
    cpuMicros += used.user + used.system;
    virtualSecondsRun += virtualSeconds;
    if (run.stats.events < virtualSeconds * 300) throw new Error(`suspiciously few events: ${run.stats.events}`);
  };
}

const rows: BenchResult[] = [];
const cases: [string, (n: number) => Promise<void>][] = [
  ['heartbeats 5 nodes/50 ms, event log on', heartbeats(true, false)],
  ['heartbeats 5 nodes/50 ms, event log off', heartbeats(false, false)],
  ['heartbeats 5 nodes/50 ms, log on, settleTicks 1', heartbeats(true, false, 1)],
  ['heartbeats 5 nodes/50 ms, all faults, log on', heartbeats(true, { meanIntervalMs: 300 })],
];
// The JIT needs a few hundred thousand events to settle: warm every case up before timing any.
for (const [, workload] of cases) await opsPerSecond(workload, undefined, { iterations: SECONDS_PER_BATCH, rounds: 1, warmup: 3 });
for (const [name, workload] of cases) {
  cpuMicros = 0;
  virtualSecondsRun = 0;
  const { ours } = await opsPerSecond(workload, undefined, { iterations: SECONDS_PER_BATCH, rounds: 9, warmup: 1 });
  const perCpuSecond = Math.round(virtualSecondsRun / (cpuMicros / 1e6));
  rows.push(result({ case: name, unit: 'virtual s/s', betterIs: 'higher', ours: Math.round(ours), peer: null, note: `wall clock; ${perCpuSecond} per CPU second; ${SECONDS_PER_BATCH} virtual s per batch` }));
}

const { ours: runsPerSecond } = await opsPerSecond(
  async (runs) => {
    for (let i = 0; i < runs; i++) {
      const run = await runRegister(++seed);
      if (check(registerModel, run.history).verdict !== 'linearizable') throw new Error(`seed ${seed} not linearizable`);
    }
  },
  undefined,
  { iterations: 10, rounds: 5, warmup: 1 },
);
rows.push(result({ case: 'ABD register run + linearizability check', unit: 'runs/s', betterIs: 'higher', ours: Math.round(runsPerSecond * 10) / 10, peer: null, note: '3 nodes, 3 clients x 25 ops, all faults' }));

report(fileURLToPath(new URL('./results.json', import.meta.url)), rows);
