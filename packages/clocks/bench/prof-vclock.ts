// Profiling aid: `node --conditions=@lattice/source --import tsx --cpu-prof bench/prof-vclock.ts`.
import { VectorClock } from '../src/index.js';

const size = Number(process.env.SIZE ?? 128);
const ids = Array.from({ length: size }, (_, i) => `node-${String(i).padStart(4, '0')}`);
const json: Record<string, number> = {};
for (let i = 0; i < size; i++) json[ids[i]!] = 1 + ((i * 31) % 97);
const a = VectorClock.from(json);
const b = VectorClock.fromJSON(JSON.stringify({ ...json, [ids[size - 1]!]: json[ids[size - 1]!]! + 1 }));
const c = VectorClock.fromJSON(JSON.stringify({ ...json, [ids[0]!]: json[ids[0]!]! + 5 }));
let sink: unknown;
const n = 200_000;
for (let r = 0; r < 5; r++) {
  let t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink = a.compare(b);
  const compare = Number(process.hrtime.bigint() - t) / n;
  t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink = VectorClock.join(b, c);
  const merge = Number(process.hrtime.bigint() - t) / n;
  const own = ids[size >> 1]!;
  const clock = a.clone();
  t = process.hrtime.bigint();
  for (let i = 0; i < n * 10; i++) clock.increment(own);
  const increment = Number(process.hrtime.bigint() - t) / (n * 10);
  console.log(`size ${size}: compare ${compare.toFixed(1)} ns, join ${merge.toFixed(1)} ns, increment ${increment.toFixed(2)} ns`);
}
if (sink === undefined) console.log('');
