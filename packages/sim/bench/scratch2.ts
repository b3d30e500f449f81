import { Simulation } from '../src/index.js';
async function once(duration: number, log: boolean, ticks: number) {
const sim = new Simulation({
  seed: 1, nodes: 5, log, settleTicks: ticks,
  node: (ctx) => {
    const lastSeen = new Map<string, number>();
    ctx.endpoint.onMessage((m) => { lastSeen.set(m.from, ctx.clock.monotonic()); });
    const payload = new Uint8Array([1]);
    const beat = () => {
      for (const peer of ctx.nodes) if (peer !== ctx.id) void ctx.endpoint.send(peer, payload);
      ctx.timers.setTimeout(beat, 50);
    };
    beat();
    return { lastSeen };
  },
});
const t = performance.now();
const r = await sim.run({ duration });
const wall = (performance.now() - t) / 1000;
console.log(log, ticks, 'virtual s per wall s', (duration/1000 / wall).toFixed(0), r.stats.events, (wall*1e6/r.stats.events).toFixed(2), 'us/event');
}
for (const [log, ticks] of [[true,3],[true,3]] as const) await once(300_000, log, ticks);
