/**
 * Long checks, not part of `npm test`: `npm run soak -w @lattice/linearizability`.
 *
 * 1. The checker against brute force on many more and larger random histories.
 * 2. The Knossos models (mutex, multi-register, set, queues) against a brute-force oracle of
 *    their own on longer generated histories.
 * 3. The 50-client key-value histories checked exhaustively (every partition), with a budget.
 */
import { readFileSync } from 'node:fs';
import { testdataPath } from '@lattice/testdata';
import fc from 'fast-check';
import { casRegisterModel, check, fifoQueueModel, kvModel, type Model, multiRegisterModel, mutexModel, parseEdnKvHistory, setModel, unorderedQueueModel } from '../src/index.js';
import { fifoQueueSpec, historyArbitrary as knossosHistories, multiRegisterSpec, mutexSpec, type OracleSpec, oracle, setSpec, unorderedQueueSpec } from './helpers/knossos-oracle.js';
import { bruteForce, casInput, casOutput, historyArbitrary, kvInput, kvOutput } from './helpers/reference.js';

const runs = Number(process.env.SOAK_RUNS ?? 20_000);
let started = performance.now();
fc.assert(
  fc.property(historyArbitrary(casInput, casOutput, 9), (history) => {
    const expected = bruteForce(casRegisterModel, history) ? 'linearizable' : 'not linearizable';
    return check(casRegisterModel, history).verdict === expected;
  }),
  { numRuns: runs },
);
console.log(`compare-and-set register: ${runs} random histories of up to 9 operations agree with brute force (${Math.round(performance.now() - started)} ms)`);

started = performance.now();
fc.assert(
  fc.property(historyArbitrary(kvInput, kvOutput, 9), (history) => {
    const expected = bruteForce(kvModel, history) ? 'linearizable' : 'not linearizable';
    return check(kvModel, history).verdict === expected && check(kvModel, history, { noPartition: true }).verdict === expected;
  }),
  { numRuns: runs },
);
console.log(`key-value store: ${runs} random histories of up to 9 operations agree with brute force, partitioned and not (${Math.round(performance.now() - started)} ms)`);

const knossos: [string, Model<unknown, never, unknown>, OracleSpec<unknown, never, unknown>][] = [
  ['mutex', mutexModel as Model<unknown, never, unknown>, mutexSpec as OracleSpec<unknown, never, unknown>],
  ['multi-register', multiRegisterModel as Model<unknown, never, unknown>, multiRegisterSpec as OracleSpec<unknown, never, unknown>],
  ['set', setModel as Model<unknown, never, unknown>, setSpec as OracleSpec<unknown, never, unknown>],
  ['unordered-queue', unorderedQueueModel as Model<unknown, never, unknown>, unorderedQueueSpec as OracleSpec<unknown, never, unknown>],
  ['fifo-queue', fifoQueueModel as Model<unknown, never, unknown>, fifoQueueSpec as OracleSpec<unknown, never, unknown>],
];
for (const [name, model, spec] of knossos) {
  started = performance.now();
  let linearizable = 0;
  fc.assert(
    fc.property(knossosHistories(spec, 8), (history) => {
      const expected = oracle(spec, history);
      if (expected) linearizable++;
      return check(model, history).verdict === (expected ? 'linearizable' : 'not linearizable');
    }),
    { numRuns: runs },
  );
  console.log(`${name}: ${runs} generated histories of up to 8 operations (${linearizable} linearizable) agree with the brute-force oracle (${Math.round(performance.now() - started)} ms)`);
}

for (const file of ['kv/c50-ok.txt', 'kv/c50-bad.txt']) {
  const path = testdataPath('porcupine', file);
  if (path === undefined) {
    console.log(`[skip] ${file}: corpus not found`);
    continue;
  }
  started = performance.now();
  const result = check(kvModel, parseEdnKvHistory(readFileSync(path, 'utf8'), { source: file }), { exhaustive: true, timeoutMs: 60_000 });
  const counts = result.partitions.map((p) => p.verdict);
  console.log(
    `${file} exhaustively: ${result.verdict}; partitions ${counts.filter((v) => v === 'linearizable').length} linearizable, ${counts.filter((v) => v === 'not linearizable').length} not, ${counts.filter((v) => v === 'unknown').length} unknown (${Math.round(performance.now() - started)} ms, ${result.steps} steps)`,
  );
  if (result.verdict !== (file.endsWith('-ok.txt') ? 'linearizable' : 'not linearizable')) process.exitCode = 1;
}
