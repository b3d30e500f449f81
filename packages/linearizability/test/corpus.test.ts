import { readFileSync } from 'node:fs';
import { corpusMissing, testdataPath } from '@lattice/testdata';
import { describe, expect, it } from 'vitest';
import { casRegisterModel, check, kvModel, parseEdnKvHistory, parseJepsenLog } from '../src/index.js';

const missing = corpusMissing('porcupine linearizability histories');

function verdicts(): [string, string][] {
  const path = testdataPath('porcupine', 'verdicts.tsv');
  if (path === undefined) return [];
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t') as [string, string]);
}

describe.skipIf(missing)('porcupine corpus: every history gets its verdict from verdicts.tsv', () => {
  const rows = verdicts();

  it('lists every history', () => {
    expect(rows.length).toBe(108);
  });

  it.each(rows)('%s is %s', (file, expected) => {
    const text = readFileSync(testdataPath('porcupine', file)!, 'utf8');
    const result = file.startsWith('kv/')
      ? check(kvModel, parseEdnKvHistory(text, { source: file }))
      : check(casRegisterModel, parseJepsenLog(text, { source: file }));
    expect(result.verdict).toBe(expected.replace('-', ' '));
    if (result.verdict === 'not linearizable') {
      const cx = result.counterexample!;
      expect(cx.unplaced).toContain(cx.failedAt);
      // The prefix never contains an operation reported as unplaced.
      expect(cx.prefix.filter((i) => cx.unplaced.includes(i))).toEqual([]);
    }
  });

  it.each(['kv/c10-ok.txt', 'kv/c10-bad.txt'])('%s gets its verdict without partitioning too', (file) => {
    const text = readFileSync(testdataPath('porcupine', file)!, 'utf8');
    const result = check(kvModel, parseEdnKvHistory(text, { source: file }), { noPartition: true });
    expect(result.partitions).toHaveLength(1);
    expect(result.verdict).toBe(file.endsWith('-ok.txt') ? 'linearizable' : 'not linearizable');
  });

  it('kv/c10-bad.txt checked exhaustively reports a counterexample per failing partition it finishes', () => {
    const text = readFileSync(testdataPath('porcupine', 'kv/c10-bad.txt')!, 'utf8');
    const result = check(kvModel, parseEdnKvHistory(text), { exhaustive: true });
    expect(result.verdict).toBe('not linearizable');
    const failing = result.partitions.filter((p) => p.verdict === 'not linearizable').length;
    expect(result.counterexamples).toHaveLength(failing);
    expect(result.partitions.every((p) => p.verdict !== 'unknown')).toBe(true);
  });
});
