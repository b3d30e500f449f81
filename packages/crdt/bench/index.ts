/**
 * `npm run bench -w @lattice/crdt`: the counter/register/set/map catalogue against
 * `delta-crdts`, the delta sync over a `MemoryNetwork`, then the text CRDT against its peers; writes `bench/results.json`.
 */
import { fileURLToPath } from 'node:url';
import { report } from '@lattice/bench-kit';
import { catalogueBenchmarks } from './catalogue.js';
import { syncBenchmarks } from './sync.js';
import { textBenchmarks } from './text.js';

const rows = [...(await catalogueBenchmarks()), ...(await syncBenchmarks()), ...(await textBenchmarks())];
report(fileURLToPath(new URL('./results.json', import.meta.url)), rows);
