import { HybridLogicalClock } from '../src/index.js';
let fake = Date.now();
const clock = { now: () => (fake += 1), monotonic: () => 0 };
const hlc = new HybridLogicalClock({ node: 'bench-node-a', clock, maxOffsetMs: Infinity });
const remotes = Array.from({ length: 1024 }, (_, i) => ({ wallTime: fake + (i % 50) - 25, logical: i % 8, node: 'bench-node-b' }));
let sink: unknown;
for (let r = 0; r < 5; r++) {
  let t = process.hrtime.bigint();
  for (let i = 0; i < 2e6; i++) sink = hlc.now();
  const a = Number(process.hrtime.bigint() - t) / 2e6;
  t = process.hrtime.bigint();
  for (let i = 0; i < 2e6; i++) sink = hlc.update(remotes[i & 1023]!);
  console.log('now ns', a.toFixed(1), 'update ns', (Number(process.hrtime.bigint() - t) / 2e6).toFixed(1));
}
if (!sink) console.log();
