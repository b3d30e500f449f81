import { isLatticeError } from '@lattice/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check, InvalidCheckOptionsError, MalformedHistoryError, parseEdnHistory, parseJsonHistory, type Transaction } from '../src/index.js';

function malformed(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isLatticeError(error, MalformedHistoryError.code)) return (error as Error).message;
    throw error;
  }
  throw new Error('expected a MalformedHistoryError');
}

describe('parseEdnHistory', () => {
  it('pairs invocations with completions per process, keeps times, and turns open invocations into info', () => {
    const text = `{:type :invoke, :f :txn, :value [[:append :x 1] [:r :y nil]], :process 0, :time 10}
{:type :invoke, :f :txn, :value [[:w 5 "a"]], :process 1, :time 11}
{:type :info, :f :start-partition, :value nil, :process :nemesis, :time 12}
{:type :ok, :f :txn, :value [[:append :x 1] [:r :y [3 4]]], :process 0, :time 20}
{:type :invoke, :f :txn, :value [[:r :x nil]], :process 2, :time 21}
{:type :info, :f :txn, :value [[:w 5 "a"]], :process 1, :time 30}
`;
    // A w micro-operation is not list-append: the model decides what is accepted.
    expect(malformed(() => parseEdnHistory(text))).toContain("a list-append micro-operation is 'append' or 'r'");
    const listOnly = text.replace('[[:w 5 "a"]]', '[[:append 5 "a"]]').replace('[[:w 5 "a"]]', '[[:append 5 "a"]]');
    expect(parseEdnHistory(listOnly, { source: 'h.edn' })).toEqual<Transaction[]>([
      { process: 0, type: 'ok', call: 10, return: 20, ops: [['append', 'x', 1], ['r', 'y', [3, 4]]] },
      { process: 1, type: 'info', call: 11, ops: [['append', 5, 'a']] },
      { process: 2, type: 'info', call: 21, ops: [['r', 'x', null]] },
    ]);
  });

  it('reads a vector of maps, uses positions without :time, and keeps completions without invocations', () => {
    const text = '[{:type :ok, :value [[:append 1 2]], :process 0} {:type :ok, :value [[:r 1 [2]]], :process 1}]';
    expect(parseEdnHistory(text)).toEqual([
      { process: 0, type: 'ok', call: 0, return: 0, ops: [['append', 1, 2]] },
      { process: 1, type: 'ok', call: 1, return: 1, ops: [['r', 1, [2]]] },
    ]);
  });

  it('names the file and line of malformed entries', () => {
    expect(malformed(() => parseEdnHistory('{:type :ok, :value [[:append 1 2]], :process 0}\n[1 2', { source: 'h.edn' }))).toBe("h.edn:2: unclosed collection (expected ']')");
    expect(malformed(() => parseEdnHistory('{:type :done, :process 0}', { source: 'h.edn' }))).toContain('h.edn:1: :type must be');
    expect(malformed(() => parseEdnHistory('{:type :ok, :process 0, :value [[:cas 1 2]]}'))).toContain('expected :append, :w or :r');
    expect(malformed(() => parseEdnHistory('{:type :ok, :process 0, :value [[:append [1] 2]]}'))).toContain('key that is not');
    expect(malformed(() => parseEdnHistory('{:type :invoke, :process 0, :value []}\n{:type :invoke, :process 0, :value []}'))).toContain('still open');
    expect(malformed(() => parseEdnHistory('{:type :ok, :process 0}'))).toContain('without micro-operations');
    expect(malformed(() => parseEdnHistory('"unterminated'))).toContain('unterminated string');
    expect(malformed(() => parseEdnHistory('{:a}'))).toContain('odd number');
  });

  it('survives hostile nesting without exhausting the stack', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(malformed(() => parseEdnHistory(deep))).toContain('a history entry is a map');
    expect(malformed(() => parseEdnHistory('['.repeat(200_000)))).toContain('unclosed collection');
  });

  it('any text either parses or fails with a MalformedHistoryError', () => {
    const pieces = fc.constantFrom('{', '}', '[', ']', '(', ')', '#{', '#_', '#inst', ':type', ':ok', ':invoke', ':value', ':process', ':append', ':r', ':w', '0', '1', '-2', '3.5', 'nil', '"s"', '\\a', ' ', '\n', ';c\n', '9007199254740993');
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 40 }), fc.constantFrom('list-append', 'rw-register' as const), (parts, model) => {
        try {
          parseEdnHistory(parts.join(''), { model });
        } catch (error) {
          expect(isLatticeError(error, MalformedHistoryError.code), String(error)).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('parseJsonHistory and check on garbage', () => {
  it('reads an array or { transactions }', () => {
    const history: Transaction[] = [{ process: 0, type: 'ok', call: 0, return: 1, ops: [['append', 'x', 1]] }];
    expect(parseJsonHistory(JSON.stringify(history))).toEqual(history);
    expect(parseJsonHistory(JSON.stringify({ transactions: history }))).toEqual(history);
  });

  it('names what is wrong and where', () => {
    const cases: [unknown, string][] = [
      [{}, 'a history is an array'],
      [[null], 'transaction 0 is not an object'],
      [[{ type: 'ok', call: 0, return: 1, ops: [] }], 'process must be'],
      [[{ process: 0, type: 'done', call: 0, return: 1, ops: [] }], "type must be 'ok', 'fail' or 'info'"],
      [[{ process: 0, type: 'ok', call: 0, ops: [] }], 'an ok transaction needs a return time'],
      [[{ process: 0, type: 'ok', call: 5, return: 1, ops: [] }], 'returned (1) before it was called (5)'],
      [[{ process: 0, type: 'ok', call: 0, return: 1, ops: 'x' }], 'ops must be an array'],
      [[{ process: 0, type: 'ok', call: 0, return: 1, ops: [['append', 'x']] }], 'transaction 0, op 0: a micro-operation is [f, key, value]'],
      [[{ process: 0, type: 'ok', call: 0, return: 1, ops: [['append', { k: 1 }, 1]] }], 'the key must be'],
      [[{ process: 0, type: 'ok', call: 0, return: 1, ops: [['r', 'x', 3]] }], 'a list-append read returns a list or null'],
      [[{ process: 0, type: 'ok', call: 0, return: 1, ops: [['r', 'x', [[1]]]] }], 'a list element must be'],
      [[{ process: 0, type: 'ok', call: Number.NaN, return: 1, ops: [] }], 'call must be a finite number'],
    ];
    for (const [input, message] of cases) {
      expect(malformed(() => parseJsonHistory(JSON.stringify(input) ?? 'null', { source: 'h.json' }))).toContain(message);
      expect(malformed(() => check(input as Transaction[]))).toContain(message);
    }
    expect(malformed(() => parseJsonHistory('[{', { source: 'h.json' }))).toMatch(/^h\.json: not JSON/);
    expect(malformed(() => check([{ process: 0, type: 'ok', call: 0, return: 1, ops: [['r', 'x', [1]]] }], { model: 'rw-register' }))).toContain('an rw-register read returns');
  });

  it('arbitrary JSON values are a history or a MalformedHistoryError, never another error', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), fc.constantFrom('list-append', 'rw-register' as const), (value, model) => {
        try {
          check([value, { process: 0, type: 'ok', call: 0, return: 1, ops: [value] }] as unknown as Transaction[], { model });
        } catch (error) {
          expect(isLatticeError(error, MalformedHistoryError.code), String(error)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('bad options are an InvalidCheckOptionsError', () => {
    const bad = (options: object) => {
      try {
        check([], options);
      } catch (error) {
        return isLatticeError(error, InvalidCheckOptionsError.code);
      }
      return false;
    };
    expect(bad({ model: 'kv' })).toBe(true);
    expect(bad({ consistency: 'linearizable' })).toBe(true);
  });
});
