/**
 * Long run: the weak stores over thousands of seeds (never an anomaly the store cannot produce,
 * and every one it can)
 * and larger strictly serializable histories (never flagged). Prints what it checked.
 *
 * Run: npm run soak -w @lattice/isolation [-- SEEDS]
 */
import { check, type AnomalyType, type DataModel } from '../src/index.js';
import { serializableHistory } from '../bench/generate.js';
import { ALLOWED, runWeakStore } from './helpers/stores.js';

const seeds = Number(process.argv[2] ?? 2000);
let failures = 0;
for (const model of ['list-append', 'rw-register'] as DataModel[]) {
  for (const { isolation, allowed } of ALLOWED[model]) {
    const seen = new Map<AnomalyType, number>();
    for (let seed = 1; seed <= seeds; seed++) {
      const history = runWeakStore({ isolation, model, seed, clients: 2 + (seed % 6), transactions: 40 + (seed % 120), keys: 1 + (seed % 6) });
      for (const type of check(history, { model }).anomalyTypes) {
        seen.set(type, (seen.get(type) ?? 0) + 1);
        if (!allowed.includes(type)) {
          failures++;
          console.log(`FAIL ${model} ${isolation} seed ${seed}: ${type}`);
        }
      }
    }
    console.log(`${model} ${isolation}: ${seeds} seeds, anomalies seen ${JSON.stringify(Object.fromEntries(seen))}`);
    // Exactly what the store allows: each allowed anomaly turns up somewhere in the seeds.
    for (const type of allowed) {
      if (seen.has(type)) continue;
      failures++;
      console.log(`FAIL ${model} ${isolation}: ${type} never appeared in ${seeds} seeds`);
    }
  }
  for (let seed = 1; seed <= 20; seed++) {
    const result = check(serializableHistory(model, 20_000, seed, 2 + (seed % 30), 4 + seed), { model, consistency: 'strict-serializable', session: true });
    if (!result.valid) {
      failures++;
      console.log(`FAIL ${model} serializable seed ${seed}: ${result.anomalyTypes.join(', ')}`);
    }
  }
  console.log(`${model}: 20 strictly serializable histories of 20,000 transactions, none flagged unless listed above`);
}
console.log(failures === 0 ? 'soak passed' : `soak FAILED: ${failures}`);
process.exitCode = failures === 0 ? 0 : 1;
