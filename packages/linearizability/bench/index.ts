/**
 * Checks the whole Porcupine corpus (102 etcd logs, 6 key-value histories partitioned per
 * key) and the 10-client key-value histories without partitioning. There is no maintained npm
 * linearizability checker to run side by side, so rows have no peer: they are absolute times.
 *
 * Run: npm run bench -w @lattice/linearizability
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchResult, medianMs, report, result } from '@lattice/bench-kit';
import { testdataPath } from '@lattice/testdata';
import {
  type CasRegisterInput,
  type CasRegisterOutput,
  casRegisterModel,
  check,
  type KvInput,
  type KvOutput,
  kvModel,
  type Operation,
  parseEdnKvHistory,
  parseJepsenLog,
} from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const verdicts = testdataPath('porcupine', 'verdicts.tsv');
if (verdicts === undefined) {
  console.error('porcupine corpus not found: set LATTICE_TESTDATA or place it at ../shared/testdata');
  process.exit(1);
}

const rows = readFileSync(verdicts, 'utf8').trim().split('\n').slice(1).map((line) => line.split('\t') as [string, string]);
const texts = rows.map(([file]) => ({ file, text: readFileSync(testdataPath('porcupine', file)!, 'utf8') }));

function parseAll() {
  const etcd: Operation<CasRegisterInput, CasRegisterOutput>[][] = [];
  const kv: { file: string; history: Operation<KvInput, KvOutput>[] }[] = [];
  for (const { file, text } of texts) {
    if (file.startsWith('kv/')) kv.push({ file, history: parseEdnKvHistory(text, { source: file }) });
    else etcd.push(parseJepsenLog(text, { source: file }));
  }
  return { etcd, kv };
}

const { etcd, kv } = parseAll();
const expected = new Map(rows.map(([file, verdict]) => [file, verdict.replace('-', ' ')]));
let steps = 0;

function checkEtcd(): void {
  for (const history of etcd) steps += check(casRegisterModel, history).steps;
}
function checkKv(): void {
  for (const { file, history } of kv) {
    const r = check(kvModel, history);
    if (r.verdict !== expected.get(file)) throw new Error(`${file}: expected ${expected.get(file)}, got ${r.verdict}`);
    steps += r.steps;
  }
}
function checkNoPartition(file: string): () => void {
  const history = kv.find((entry) => entry.file === file)!.history;
  return () => {
    const r = check(kvModel, history, { noPartition: true });
    if (r.verdict !== expected.get(file)) throw new Error(`${file}: expected ${expected.get(file)}, got ${r.verdict}`);
    steps += r.steps;
  };
}

const results: BenchResult[] = [];
async function time(name: string, fn: () => void, rounds: number, note: string): Promise<void> {
  steps = 0;
  fn();
  const perRun = steps;
  const { ours } = await medianMs(fn, undefined, rounds);
  results.push(result({ case: name, unit: 'ms', betterIs: 'lower', ours: Math.round(ours * 10) / 10, peer: null, note: `${note}; ${perRun} search steps` }));
}

await time('parse corpus (102 jepsen logs + 6 kv EDN)', parseAll, 7, `${texts.length} files`);
await time('check 102 etcd logs (cas register)', checkEtcd, 11, '102 histories');
await time('check 6 kv histories, per key', checkKv, 11, 'c01, c10, c50 ok/bad');
await time('whole corpus: check 108 histories', () => {
  checkEtcd();
  checkKv();
}, 11, 'kv partitioned per key');
await time('kv c10-ok without partitioning', checkNoPartition('kv/c10-ok.txt'), 7, '337 ops, one partition');
await time('kv c10-bad without partitioning', checkNoPartition('kv/c10-bad.txt'), 7, '405 ops, one partition');

report(join(here, 'results.json'), results);
