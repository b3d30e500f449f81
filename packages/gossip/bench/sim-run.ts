/**
 * The 1,000-member run (`npm run bench -w @lattice/gossip`): 1,000 SwimCores join through one
 * seed at once in `@lattice/sim` and run 10 virtual minutes (LAN profile, binary codec). Prints
 * wall and CPU time, when every member saw every other, and writes bench/results.json.
 */
import { writeFileSync } from 'node:fs';
import type { NodeId } from '@lattice/core';
import { Simulation } from '@lattice/sim';
import { SwimCore, swimMessageCodec } from '../src/index.js';

const n = Number(process.env.N ?? 1000);
const duration = Number(process.env.DURATION ?? 600_000);
const cores = new Map<NodeId, SwimCore>();
const started = performance.now();
const cpu = () => { const u = process.cpuUsage(); return ((u.user + u.system) / 1e6).toFixed(1); };
const codec = swimMessageCodec();
const sim = new Simulation({
  seed: 1,
  nodes: n,
  log: false,
  node: (ctx) => {
    const core = new SwimCore({ id: ctx.id, now: ctx.clock.monotonic(), random: ctx.random });
    cores.set(ctx.id, core);
    if (ctx.id !== 'n1') core.join(['n1']);
    return ctx.runCore({ core, codec });
  },
});
let convergedAt: number | undefined;
const check = () => {
  if ([...cores.values()].every((c) => c.stats().alive === n)) {
    convergedAt = sim.now();
    console.log(`converged at ${sim.now()} ms virtual, ${((performance.now() - started) / 1000).toFixed(1)} s wall, ${cpu()} s cpu`);
  } else sim.at(sim.now() + 1000, check);
};
sim.at(1000, check);
const result = await sim.run({ duration });
console.log(`${n} members, ${duration / 1000} s virtual: ${((performance.now() - started) / 1000).toFixed(1)} s wall, ${cpu()} s cpu, ${result.stats.events} events, ${result.stats.network.sent} sent`);
const stats = [...cores.values()].map((c) => c.stats());
console.log(`at the end every member sees between ${Math.min(...stats.map((s) => s.alive))} and ${Math.max(...stats.map((s) => s.alive))} alive`);
const wallSeconds = (performance.now() - started) / 1000;
const cpuSeconds = Number(cpu());
writeFileSync(
  new URL('./results.json', import.meta.url),
  `${JSON.stringify(
    [
      { case: `${n} SWIM members, ${duration / 60_000} virtual minutes in @lattice/sim: wall`, unit: 's', betterIs: 'lower', ours: Number(wallSeconds.toFixed(1)), peer: null },
      { case: `${n} SWIM members, ${duration / 60_000} virtual minutes in @lattice/sim: CPU`, unit: 's', betterIs: 'lower', ours: cpuSeconds, peer: null },
      { case: `${n} SWIM members: all see all after`, unit: 'virtual ms', betterIs: 'lower', ours: convergedAt ?? null, peer: null },
    ],
    null,
    2,
  )}\n`,
);
