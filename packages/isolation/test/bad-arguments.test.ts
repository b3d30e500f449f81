import { InvalidArgumentError, seededRandom } from '@lattice/core';
import { codeOf } from '@lattice/test-kit';
import { describe, expect, it } from 'vitest';
import {
  check,
  createWorkload,
  type CycleAnomaly,
  describeTransaction,
  HistoryRecorder,
  InvalidCheckOptionsError,
  MalformedHistoryError,
  parseEdnHistory,
  parseJsonHistory,
  renderCycleSvg,
  renderReport,
  type Transaction,
  validateHistory,
} from '../src/index.js';

/** Calls with deliberately wrong types, as JavaScript callers (or generated data) would. */
// biome-ignore lint/suspicious/noExplicitAny: the point is to pass what the types forbid
type Loose = any;

const INVALID = InvalidArgumentError.code;
const OPTIONS = InvalidCheckOptionsError.code;
const MALFORMED = MalformedHistoryError.code;

/** Write skew: one G2-item cycle of two transactions, and a reader. */
const history: Transaction[] = [
  { process: 0, type: 'ok', call: 0, return: 1, ops: [['append', 'x', 1], ['r', 'y', []]] },
  { process: 1, type: 'ok', call: 0, return: 1, ops: [['append', 'y', 1], ['r', 'x', []]] },
  { process: 2, type: 'ok', call: 2, return: 3, ops: [['r', 'x', [1]], ['r', 'y', [1]]] },
];
const result = check(history);
const cycle = result.anomalies.find((a): a is CycleAnomaly => 'steps' in a)!;
const withProcess = (process: unknown): Loose => [{ ...history[0]!, process }];

describe('check', () => {
  it.each<[string, Loose, string]>([
    ['options that are not an object', 'serializable', INVALID],
    ['null options', null, INVALID],
    ['an unknown model', { model: 'kv' }, OPTIONS],
    ['an unknown consistency model', { consistency: 'linearizable' }, OPTIONS],
    ['strict that is not a boolean', { strict: 'yes' }, OPTIONS],
    ['session that is not a boolean', { session: 1 }, OPTIONS],
    ['wfrKeys that is not a boolean', { model: 'rw-register', wfrKeys: 'true' }, OPTIONS],
    ['sequentialKeys that is not a boolean', { model: 'rw-register', sequentialKeys: 0 }, OPTIONS],
    ['linearizableKeys that is not a boolean', { model: 'rw-register', linearizableKeys: null }, OPTIONS],
    ['a source that is not a string', { source: 5 }, OPTIONS],
    ['limits that are not an object', { limits: 10 }, OPTIONS],
    ['a limit that is not a positive integer', { limits: { startsPerComponent: 0 } }, OPTIONS],
    ['a limit that is NaN', { limits: { expansionsPerComponent: Number.NaN } }, OPTIONS],
  ])('refuses %s', (_, options, code) => {
    expect(codeOf(() => check(history, options))).toBe(code);
  });

  it.each<[string, Loose]>([
    ['a history that is not an array', 'txns'],
    ['a transaction that is not an object', [5]],
    ['a fractional process id', withProcess(1.5)],
    ['a negative process id', withProcess(-1)],
    ['a process id above 2^53 - 1 (two such ids would be one)', withProcess(2 ** 53)],
    ['an empty process id', withProcess('')],
    ['an infinite process id', withProcess(Number.POSITIVE_INFINITY)],
  ])('refuses %s as a MalformedHistoryError', (_, bad) => {
    expect(codeOf(() => check(bad))).toBe(MALFORMED);
    expect(codeOf(() => validateHistory(bad, 'list-append'))).toBe(MALFORMED);
  });

  it('accepts every non-negative safe integer and every non-empty string as a process id', () => {
    for (const process of [0, 7, Number.MAX_SAFE_INTEGER, 'c1', 'nemesis']) expect(check(withProcess(process)).valid).toBe(true);
  });
});

describe('validateHistory', () => {
  it('refuses an unknown model and a source that is not a string', () => {
    expect(codeOf(() => validateHistory(history, 'kv' as Loose))).toBe(OPTIONS);
    expect(codeOf(() => validateHistory(history, 'list-append', 5 as Loose))).toBe(OPTIONS);
  });
});

describe('the parsers', () => {
  it.each([
    ['parseJsonHistory', parseJsonHistory],
    ['parseEdnHistory', parseEdnHistory],
  ] as const)('%s refuses text that is not a string, options that are not an object and bad option values', (_, parse) => {
    expect(codeOf(() => parse(42 as Loose))).toBe(INVALID);
    expect(codeOf(() => parse(new Uint8Array([91, 93]) as Loose))).toBe(INVALID);
    expect(codeOf(() => parse('[]', 'list-append' as Loose))).toBe(INVALID);
    expect(codeOf(() => parse('[]', null as Loose))).toBe(INVALID);
    expect(codeOf(() => parse('[]', { model: 'kv' as Loose }))).toBe(OPTIONS);
    expect(codeOf(() => parse('[]', { source: 5 as Loose }))).toBe(OPTIONS);
  });

  it('parseJsonHistory refuses process ids that are not non-negative safe integers or strings', () => {
    for (const process of ['1.5', '-1', '9007199254740993', '1e400', '""']) {
      const text = `[{"process":${process},"type":"ok","call":0,"return":1,"ops":[["append","x",1]]}]`;
      expect(codeOf(() => parseJsonHistory(text)), text).toBe(MALFORMED);
    }
  });

  it('parseEdnHistory refuses process ids that are not non-negative safe integers, naming the line', () => {
    for (const process of ['1.5', '-1', '9007199254740993', '99999999999999999999']) {
      const text = `{:type :invoke, :f :txn, :value [[:append 1 2]], :process 0}\n{:type :invoke, :f :txn, :value [[:append 1 3]], :process ${process}}`;
      let message = '';
      expect(
        codeOf(() => {
          try {
            parseEdnHistory(text);
          } catch (error) {
            message = (error as Error).message;
            throw error;
          }
        }),
        process,
      ).toBe(MALFORMED);
      expect(message).toContain('<input>:2:');
    }
  });

  it('parseEdnHistory keeps two clients beyond 2^53 apart rather than skipping them as the nemesis', () => {
    const text = [
      '{:type :invoke, :f :txn, :value [[:append 1 2]], :process 9007199254740993}',
      '{:type :invoke, :f :txn, :value [[:append 1 3]], :process 9007199254740995}',
    ].join('\n');
    expect(codeOf(() => parseEdnHistory(text))).toBe(MALFORMED);
    // The nemesis (a keyword process) is still skipped.
    expect(parseEdnHistory('{:type :info, :f :start, :value nil, :process :nemesis}')).toEqual([]);
  });
});

describe('reports', () => {
  it('renderReport refuses a result, history or options of the wrong shape, and a history the result was not checked on', () => {
    expect(codeOf(() => renderReport(undefined as Loose, history))).toBe(INVALID);
    expect(codeOf(() => renderReport({} as Loose, history))).toBe(INVALID);
    expect(codeOf(() => renderReport(result, 'history' as Loose))).toBe(INVALID);
    expect(codeOf(() => renderReport(result, history.slice(0, 2)))).toBe(INVALID);
    expect(codeOf(() => renderReport(result, history, 'title' as Loose))).toBe(INVALID);
    expect(codeOf(() => renderReport(result, history, { title: 5 as Loose }))).toBe(INVALID);
    expect(codeOf(() => renderReport(result, history, { maxAnomalies: -1 }))).toBe(INVALID);
    expect(codeOf(() => renderReport(result, history, { maxAnomalies: Number.NaN }))).toBe(INVALID);
    expect(renderReport(result, history, { title: 'Write skew', maxAnomalies: 0 })).toContain('<title>Write skew</title>');
  });

  it('renderCycleSvg refuses anything but a cycle', () => {
    expect(codeOf(() => renderCycleSvg(null as Loose))).toBe(INVALID);
    expect(codeOf(() => renderCycleSvg({} as Loose))).toBe(INVALID);
    expect(codeOf(() => renderCycleSvg({ ...cycle, steps: [] }))).toBe(INVALID);
    expect(codeOf(() => renderCycleSvg({ ...cycle, steps: [{ ...cycle.steps[0]!, kind: 'xx' as Loose }] }))).toBe(INVALID);
    expect(codeOf(() => renderCycleSvg({ ...cycle, steps: [{ ...cycle.steps[0]!, from: 0.5 }] }))).toBe(INVALID);
    expect(renderCycleSvg(cycle)).toContain('<svg');
  });

  it('describeTransaction refuses a history that is not an array and an index outside it', () => {
    expect(codeOf(() => describeTransaction(null as Loose, 0))).toBe(INVALID);
    expect(codeOf(() => describeTransaction(history, 3))).toBe(INVALID);
    expect(codeOf(() => describeTransaction(history, -1))).toBe(INVALID);
    expect(codeOf(() => describeTransaction(history, 0.5))).toBe(INVALID);
    expect(codeOf(() => describeTransaction(history, '0' as Loose))).toBe(INVALID);
    expect(describeTransaction(history, 0)).toContain('process 0');
  });
});

describe('createWorkload', () => {
  it.each<[string, Loose, string]>([
    ['no options', undefined, INVALID],
    ['options that are not an object', 'list-append', INVALID],
    ['no random', {}, INVALID],
    ['a random that is not a Random', { random: Math.random }, INVALID],
    ['an unknown model', { random: seededRandom(1), model: 'kv' }, OPTIONS],
    ['keys that are not a positive integer', { random: seededRandom(1), keys: 0 }, OPTIONS],
    ['a string keys', { random: seededRandom(1), keys: '4' }, OPTIONS],
    ['a readFraction outside [0, 1]', { random: seededRandom(1), readFraction: 2 }, OPTIONS],
    ['a string readFraction', { random: seededRandom(1), readFraction: '0.5' }, OPTIONS],
    ['maxLength below minLength', { random: seededRandom(1), minLength: 3, maxLength: 2 }, OPTIONS],
  ])('refuses %s', (_, options, code) => {
    expect(codeOf(() => createWorkload(options))).toBe(code);
  });
});

describe('HistoryRecorder', () => {
  it('refuses wrong arguments to invoke and complete, and changes nothing', () => {
    const recorder = new HistoryRecorder();
    expect(codeOf(() => recorder.invoke(1.5, [['append', 'x', 1]], 0))).toBe(INVALID);
    expect(codeOf(() => recorder.invoke(-1, [['append', 'x', 1]], 0))).toBe(INVALID);
    expect(codeOf(() => recorder.invoke(2 ** 53, [['append', 'x', 1]], 0))).toBe(INVALID);
    expect(codeOf(() => recorder.invoke('', [['append', 'x', 1]], 0))).toBe(INVALID);
    expect(codeOf(() => recorder.invoke(null as Loose, [['append', 'x', 1]], 0))).toBe(INVALID);
    expect(codeOf(() => recorder.invoke(0, 'append' as Loose, 0))).toBe(INVALID);
    expect(codeOf(() => recorder.invoke(0, [['append', 'x', 1]], Number.NaN))).toBe(INVALID);
    expect(codeOf(() => recorder.invoke(0, [['append', 'x', 1]], '0' as Loose))).toBe(INVALID);
    const handle = recorder.invoke(0, [['append', 'x', 1]], 0);
    expect(codeOf(() => recorder.complete(handle, 'done' as Loose, 1))).toBe(INVALID);
    expect(codeOf(() => recorder.complete(handle, 'ok', Number.POSITIVE_INFINITY))).toBe(INVALID);
    expect(codeOf(() => recorder.complete(handle, 'ok', 1, 'result' as Loose))).toBe(INVALID);
    expect(codeOf(() => recorder.complete('0' as Loose, 'ok', 1))).toBe(INVALID);
    expect(codeOf(() => recorder.complete(handle + 1, 'ok', 1))).toBe(OPTIONS);
    expect(codeOf(() => recorder.history('kv' as Loose))).toBe(OPTIONS);
    recorder.complete(handle, 'ok', 1);
    expect(recorder.history()).toEqual([{ process: 0, type: 'ok', call: 0, return: 1, ops: [['append', 'x', 1]] }]);
  });
});
