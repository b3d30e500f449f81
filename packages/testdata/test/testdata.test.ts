import { describe, expect, it } from 'vitest';
import { corpusMissing, loadEditingTrace, readTestdata, testdataPath } from '../src/index.js';

describe.skipIf(corpusMissing('testdata resolver'))('testdata resolver', () => {
  it('finds the corpora and reads gzipped traces', () => {
    expect(testdataPath('porcupine', 'verdicts.tsv')).toBeDefined();
    expect(readTestdata('porcupine', 'verdicts.tsv').length).toBeGreaterThan(0);
    const trace = loadEditingTrace('seph-blog1');
    expect(trace.txns.length).toBeGreaterThan(1000);
    expect(trace.endContent.length).toBeGreaterThan(1000);
  });

  it('reports absent files as undefined, not as a crash', () => {
    expect(testdataPath('no', 'such', 'file')).toBeUndefined();
    expect(() => readTestdata('no-such-file')).toThrow(/not found/);
  });
});
