// Writes docs/clocks-shiviz-sample.log: `npm run shiviz-sample -w @lattice/clocks`.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkShivizLog } from '../src/index.js';
import { threeNodeExchange } from './shiviz-exchange.js';

const text = threeNodeExchange();
const problems = checkShivizLog(text);
if (problems.length > 0) throw new Error(`sample log breaks the ShiViz rules:\n${problems.join('\n')}`);
const target = fileURLToPath(new URL('../../../docs/clocks-shiviz-sample.log', import.meta.url));
writeFileSync(target, text);
console.log(`wrote ${target} (${text.split('\n').length} lines)`);
