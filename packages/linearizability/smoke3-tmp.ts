import { readFileSync } from 'node:fs';
import { check, kvModel, parseEdnKvHistory } from './src/index.ts';
const root = '/work/shared/testdata/porcupine/';
const h = parseEdnKvHistory(readFileSync(root + 'kv/c50-ok.txt', 'utf8'));
for (let i=0;i<4;i++){ const t = performance.now(); const r = check(kvModel, h); console.log(r.verdict, r.steps, (performance.now()-t).toFixed(0)); }
