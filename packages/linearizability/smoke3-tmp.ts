import { readFileSync } from 'node:fs';
import { check, casRegisterModel, parseJepsenLog } from './src/index.ts';
const root = '/work/shared/testdata/porcupine/';
const h = parseJepsenLog(readFileSync(root + 'jepsen/etcd_002.log', 'utf8'));
for (let i=0;i<4;i++){ const t = performance.now(); const r = check(casRegisterModel, h); console.log(r.verdict, r.steps, (performance.now()-t).toFixed(0)); }
