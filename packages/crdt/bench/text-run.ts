/** Runs only the text CRDT benchmarks and writes bench/results-text.json. */
import { fileURLToPath } from 'node:url';
import { report } from '@lattice/bench-kit';
import { textBenchmarks } from './text.js';

report(fileURLToPath(new URL('./results-text.json', import.meta.url)), await textBenchmarks());
