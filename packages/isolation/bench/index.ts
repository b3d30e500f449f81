/**
 * Time to check strictly serializable list-append (and rw-register) histories of 1,000 to
 * 100,000 transactions on 16 clients, with realtime and process edges: the curve should be
 * near-linear. No Elle exists for JavaScript, so rows have no peer: they are absolute times.
 *
 * Run: npm run bench -w @lattice/isolation
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchResult, medianMs, report, result } from '@lattice/bench-kit';
import { check, type DataModel } from '../src/index.js';
import { serializableHistory } from './generate.js';

const here = dirname(fileURLToPath(import.meta.url));
const rows: BenchResult[] = [];
const cases: [DataModel, number][] = [
  ['list-append', 1_000],
  ['list-append', 3_000],
  ['list-append', 10_000],
  ['list-append', 30_000],
  ['list-append', 100_000],
  ['rw-register', 10_000],
  ['rw-register', 100_000],
];
for (const [model, size] of cases) {
  const history = serializableHistory(model, size, 42);
  let edges = 0;
  const timed = await medianMs(() => {
    const r = check(history, { model, consistency: 'strict-serializable', session: true });
    if (!r.valid) throw new Error(`a serializable ${model} history of ${size} was flagged: ${r.anomalyTypes.join(', ')}`);
    edges = r.stats.edges;
  }, undefined, size >= 30_000 ? 3 : 5);
  rows.push(
    result({
      case: `check ${model} ${size.toLocaleString('en-US')} txns (strict, session)`,
      unit: 'ms',
      betterIs: 'lower',
      ours: Math.round(timed.ours),
      peer: null,
      note: `${Math.round((timed.ours * 1000) / size)} µs/txn, ${edges.toLocaleString('en-US')} edges`,
    }),
  );
}
report(join(here, 'results.json'), rows);
