/**
 * Runs only the text CRDT rows of the benchmark (`npm run bench` runs them all) and writes
 * them to `bench/results.json`, replacing whatever a full run wrote there.
 */
import { fileURLToPath } from 'node:url';
import { report } from '@lattice/bench-kit';
import { textBenchmarks } from './text.js';

report(fileURLToPath(new URL('./results.json', import.meta.url)), await textBenchmarks());
