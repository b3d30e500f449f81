// `npm run demo:tcp -w @lattice/examples`: the TCP cluster demo (vector clocks, an intruder, a crash and a recovery), with a ShiViz log.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTcpClusterDemo } from './tcp-cluster-demo.js';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'out');
const report = await runTcpClusterDemo();
mkdirSync(out, { recursive: true });
const shivizPath = join(out, 'tcp-cluster.shiviz.log');
writeFileSync(shivizPath, report.shiviz);
console.log(`ShiViz log of the run: ${shivizPath} (paste into the ShiViz visualiser)`);
