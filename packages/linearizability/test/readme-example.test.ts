import { describe, expect, it } from 'vitest';
import { check, type KvInput, type KvOutput, kvModel, type Operation, renderReport } from '../src/index.js';

describe('README example', () => {
  it('gives the verdict and counterexample the README shows', () => {
    const history: Operation<KvInput, KvOutput>[] = [
      { process: 0, call: 0, return: 4, input: { op: 'put', key: 'x', value: 'a' }, output: undefined },
      { process: 1, call: 1, return: 6, input: { op: 'append', key: 'x', value: 'b' }, output: undefined },
      { process: 2, call: 7, return: 8, input: { op: 'get', key: 'x' }, output: 'b' },
      { process: 0, call: 5, return: undefined, input: { op: 'put', key: 'y', value: 'z' }, output: undefined },
    ];
    const result = check(kvModel, history, { timeoutMs: 10_000 });
    expect(result.verdict).toBe('not linearizable');
    const { prefix, unplaced, state } = result.counterexample!;
    expect({ prefix, unplaced, state }).toEqual({ prefix: [0, 1], unplaced: [2], state: '{"x": "ab"}' });
    expect(renderReport(result, history, kvModel)).toContain('failing point');
  });
});
