
import fc from 'fast-check';
import type { Crdt, } from '../src/index.js';
import { canonical, specs, syncCluster } from './specs.js';
import { checkHistory, histories } from './text-histories.js';

const runs = Number(process.env['SOAK_RUNS'] ?? 60);
const NODES = ['a', 'b', 'c', 'd', 'e'];
let scenarios = 0;
let operations = 0;
let messages = 0;
let dropped = 0;

for (const spec of specs) {
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 2 ** 30 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: NODES.length - 1 }), spec.op, fc.integer({ min: 0, max: 60 })), { minLength: 20, maxLength: 150, size: 'max' }),
      fc.integer({ min: 1, max: 64 }),
      async (seed, ops, maxLogEntries) => {
        const { clock, network, syncs } = await syncCluster(spec, NODES, seed, {
          intervalMs: 50 + (seed % 100),
          maxLogEntries,
          maxDeltasPerMessage: 1 + (seed % 16),
        });
        const faults = { dropRate: 0.4, duplicateRate: 0.2, reorderRate: 0.5, latency: { min: 0, max: 80 } };
        network.configure(faults);
        const deltas: Crdt[] = [];
        for (const [index, [node, op, wait]] of ops.entries()) {
          if (index === Math.floor(ops.length / 3)) network.partition({ left: ['a', 'b'], right: ['c', 'd'] });
          if (index === Math.floor(ops.length / 2)) network.isolate('e');
          deltas.push(syncs[node]!.update(op).clone());
          await clock.advanceAsync(wait);
        }
        network.heal();
        network.configure(faults);
        const target = canonical(deltas.reduce((acc, delta) => acc.join(delta), syncs[0]!.replica.empty()));
        for (let round = 0; round < 400 && !syncs.every((s) => canonical(s.replica) === target); round++) await clock.advanceAsync(50);
        for (const sync of syncs) {
          if (canonical(sync.replica) !== target) throw new Error(`${spec.name}: replica ${sync.protocol.origin} did not converge (seed ${seed})`);
          await sync.close();
        }
        scenarios++;
        operations += ops.length;
        messages += network.stats().sent;
        dropped += network.stats().dropped;
        await network.close();
      },
    ),
    { numRuns: runs },
  );
  console.log(`${spec.name}: ${runs} scenarios converged (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
console.log(`soak: ${scenarios} scenarios, ${operations} operations, ${messages} messages sent, ${dropped} dropped; every replica converged to the join of all deltas`);

// Text CRDT: random histories of 2-6 replicas, short ones in bulk and long ones that span several
// index leaves. A failure prints fast-check's seed and path; SOAK_SEED replays a run.
const textRuns = Number(process.env['SOAK_TEXT_RUNS'] ?? 10000);
const seed = process.env['SOAK_SEED'] === undefined ? undefined : Number(process.env['SOAK_SEED']);
for (const [maxSteps, count] of [
  [60, textRuns],
  [400, Math.ceil(textRuns / 10)],
] as const) {
  const started = Date.now();
  fc.assert(fc.property(histories(maxSteps), checkHistory), { numRuns: count, ...(seed === undefined ? {} : { seed }) });
  console.log(
    `text: ${count} histories of up to ${maxSteps} steps on 2-6 replicas converged to the in-order replica's text and encoded state (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
}
