import { readFileSync } from 'node:fs';
import { check, kvModel, parseEdnKvHistory, partitionByKey } from './src/index.ts';
const root = '/work/shared/testdata/porcupine/';
for (const f of ['kv/c50-ok.txt', 'kv/c50-bad.txt']) {
const h = parseEdnKvHistory(readFileSync(root + f, 'utf8'));
for (const part of partitionByKey(h)) {
  const t = performance.now();
  const r = check(kvModel, part, { timeoutMs: 3000 });
  const maxConc = (() => { let m=0; for (const o of part) { let c=0; for (const p of part) if (p.call <= o.call && (p.return ?? 1e18) >= o.call) c++; m=Math.max(m,c);} return m; })();
  console.log(f, part[0]!.input.key, part.length, maxConc, r.verdict, r.steps, (performance.now()-t).toFixed(0));
}}
