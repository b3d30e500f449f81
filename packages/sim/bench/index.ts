// Simulation speed: virtual seconds simulated per wall-clock second for a 5-node cluster exchanging
// heartbeats every 50 ms (each node sends to the 4 others: 400 messages, ~500 events per virtual
// second), with the event log on and off, with one settle turn, and under a full fault schedule;
// whole ABD register runs checked for linearizability per second; and whole Raft runs (RaftCore
// as a protocol core on the simulated disk, no settle turns) per second. No npm peer simulates a
// TypeScript cluster, so there is no ratio.
//
// The cases are interleaved round by round (not run one after the other), so a change in machine
// load hits them all alike; CPU time is reported beside wall time because on a shared machine the
// wall figure also counts the time the process waited for a core.
import { fileURLToPath } from 'node:url';
import { type BenchResult, median, opsPerSecond, report, result } from '@lattice/bench-kit';
import { check, registerModel } from '@lattice/linearizability';
import { type FaultScheduleOptions, Simulation } from '../src/index.js';
import { heartbeatNode } from '../test/support/heartbeat.js';
import { runRaft } from '../test/support/raft-run.js';
import { runRegister } from '../test/support/register-run.js';

const VIRTUAL_SECONDS = 60;
const ROUNDS = 9;
let seed = 0;

interface Case {
  name: string;
  log: boolean;
  faults: FaultScheduleOptions | false;
  settleTicks: number;
  wall: number[];
  cpu: number[];
}

const cases: Case[] = [
  { name: 'heartbeats 5 nodes/50 ms, event log on', log: true, faults: false, settleTicks: 2, wall: [], cpu: [] },
  { name: 'heartbeats 5 nodes/50 ms, event log off', log: false, faults: false, settleTicks: 2, wall: [], cpu: [] },
  { name: 'heartbeats 5 nodes/50 ms, log on, settleTicks 1', log: true, faults: false, settleTicks: 1, wall: [], cpu: [] },
  { name: 'heartbeats 5 nodes/50 ms, all faults, log on', log: true, faults: { meanIntervalMs: 300 }, settleTicks: 2, wall: [], cpu: [] },
];

async function batch(c: Case): Promise<{ wall: number; cpu: number }> {
  const sim = new Simulation({ seed: ++seed, nodes: 5, node: (ctx) => heartbeatNode(ctx, 50), log: c.log, faults: c.faults, settleTicks: c.settleTicks });
  const cpuStart = process.cpuUsage();
  const wallStart = process.hrtime.bigint();
  const run = await sim.run({ duration: VIRTUAL_SECONDS * 1000 });
  const wall = Number(process.hrtime.bigint() - wallStart) / 1e9;
  const used = process.cpuUsage(cpuStart);
  if (run.stats.events < VIRTUAL_SECONDS * 300) throw new Error(`suspiciously few events: ${run.stats.events}`);
  return { wall: VIRTUAL_SECONDS / wall, cpu: VIRTUAL_SECONDS / ((used.user + used.system) / 1e6) };
}

// The JIT needs a few hundred thousand events to settle: warm every case up before timing any.
for (let i = 0; i < 3; i++) for (const c of cases) await batch(c);
for (let round = 0; round < ROUNDS; round++) {
  for (const c of round % 2 === 0 ? cases : [...cases].reverse()) {
    const { wall, cpu } = await batch(c);
    c.wall.push(wall);
    c.cpu.push(cpu);
  }
}

const rows: BenchResult[] = cases.map((c) =>
  result({
    case: c.name,
    unit: 'virtual s/s',
    betterIs: 'higher',
    ours: Math.round(median(c.wall)),
    peer: null,
    note: `wall clock; ${Math.round(median(c.cpu))} per CPU second; median of ${ROUNDS} x ${VIRTUAL_SECONDS} virtual s`,
  }),
);

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

const { ours: raftRunsPerSecond } = await opsPerSecond(
  async (runs) => {
    for (let i = 0; i < runs; i++) {
      const { result, seen } = await runRaft(++seed);
      if (seen.violations.length > 0 || result.stats.settles !== 0) throw new Error(`seed ${seed}: ${seen.violations.join('; ') || 'settled'}`);
    }
  },
  undefined,
  { iterations: 5, rounds: 5, warmup: 1 },
);
rows.push(result({ case: 'Raft run (protocol cores, synchronous)', unit: 'runs/s', betterIs: 'higher', ours: Math.round(raftRunsPerSecond * 10) / 10, peer: null, note: '5 nodes, 4 virtual s, all faults until 2.5 s, checked for safety' }));

report(fileURLToPath(new URL('./results.json', import.meta.url)), rows);
