// Profiling aid: `node --conditions=@lattice/source --import tsx [--cpu-prof] bench/prof-hlc.ts`.
// Stubs Date.now with a counter so the clock read (slow on VMs) does not hide the libraries' own cost.
import { makeClock, setClock, Timestamp } from '@actual-app/crdt';
import { HybridLogicalClock } from '../src/index.js';

let fake = Date.now();
Date.now = () => (fake += 1);
const hlc = new HybridLogicalClock({ node: 'bench-node-a', maxOffsetMs: Number.POSITIVE_INFINITY });
setClock(makeClock(new Timestamp(0, 0, '00bench-node-a')));
const remotes = Array.from({ length: 1024 }, (_, i) => ({ wallTime: fake + (i % 50) - 25, logical: i % 8, node: 'bench-node-b' }));
const peerRemotes = remotes.map((r) => new Timestamp(r.wallTime, r.logical, '00bench-node-b'));
let sink: unknown;
const n = 2e6;
// CPU time, not wall time: on a loaded machine wall time mostly measures waiting for a core.
const time = (f: () => void): number => {
  const t = process.cpuUsage();
  f();
  const used = process.cpuUsage(t);
  return ((used.user + used.system) * 1000) / n;
};
for (let r = 0; r < 5; r++) {
  const now = time(() => {
    for (let i = 0; i < n; i++) sink = hlc.now();
  });
  const peerNow = time(() => {
    for (let i = 0; i < n; i++) sink = Timestamp.send();
  });
  const update = time(() => {
    for (let i = 0; i < n; i++) sink = hlc.update(remotes[i & 1023]!);
  });
  const peerUpdate = time(() => {
    for (let i = 0; i < n; i++) sink = Timestamp.recv(peerRemotes[i & 1023]!);
  });
  console.log(
    `now ${now.toFixed(1)} ns (peer ${peerNow.toFixed(1)}), update ${update.toFixed(1)} ns (peer ${peerUpdate.toFixed(1)})`,
  );
}
if (sink === undefined) console.log('');
