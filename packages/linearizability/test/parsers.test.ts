import { isLatticeError } from '@lattice/core';
import { describe, expect, it } from 'vitest';
import { MalformedHistoryError, parseEdnKvHistory, parseEdnRegisterHistory, parseJepsenLog } from '../src/index.js';

function caught(fn: () => unknown): MalformedHistoryError {
  try {
    fn();
  } catch (error) {
    if (isLatticeError(error, MalformedHistoryError.code)) return error as MalformedHistoryError;
    throw error;
  }
  throw new Error('expected a MalformedHistoryError');
}

const log = (...lines: string[]): string => `${lines.join('\n')}\n`;

describe('parseJepsenLog', () => {
  it('parses invocations and completions, with tabs or spaces', () => {
    const history = parseJepsenLog(
      log(
        'INFO  jepsen.util - 0\t:invoke\t:read\tnil',
        'INFO  jepsen.util - 1   :invoke :write  3',
        'INFO  jepsen.util - 0\t:ok\t:read\tnil',
        'INFO  jepsen.util - 1\t:ok\t:write\t3',
        'INFO  jepsen.util - 2\t:invoke\t:cas\t[3 4]',
        'INFO  jepsen.util - 2\t:ok\t:cas\t[3 4]',
        'INFO  jepsen.util - 3\t:invoke\t:cas\t[1 2]',
        'INFO  jepsen.util - 3\t:fail\t:cas\t[1 2]',
        'INFO  jepsen.util - 0\t:invoke\t:read\tnil',
        'INFO  jepsen.util - 0\t:ok\t:read\t4',
      ),
    );
    expect(history).toEqual([
      { process: 0, call: 1, return: 3, input: { op: 'read' }, output: null },
      { process: 1, call: 2, return: 4, input: { op: 'write', value: 3 }, output: undefined },
      { process: 2, call: 5, return: 6, input: { op: 'cas', from: 3, to: 4 }, output: true },
      { process: 3, call: 7, return: 8, input: { op: 'cas', from: 1, to: 2 }, output: false },
      { process: 0, call: 9, return: 10, input: { op: 'read' }, output: 4 },
    ]);
  });

  it('gives timed-out and open operations an unknown outcome, and timed-out reads no value', () => {
    const history = parseJepsenLog(
      log(
        'INFO  jepsen.util - 0\t:invoke\t:write\t1',
        'INFO  jepsen.util - 1\t:invoke\t:read\tnil',
        'INFO  jepsen.util - 2\t:invoke\t:cas\t[1 2]',
        'INFO  jepsen.util - 0\t:info\t:write\t:timed-out',
        'INFO  jepsen.util - 1\t:fail\t:read\t:timed-out',
        'INFO  jepsen.util - 0\t:invoke\t:read\tnil',
      ),
    );
    expect(history.map((op) => [op.return, op.output])).toEqual([
      [undefined, undefined],
      [5, undefined],
      [undefined, undefined],
      [undefined, undefined],
    ]);
  });

  it('skips log noise', () => {
    const history = parseJepsenLog(
      log('2015-01-01 starting up', 'INFO  jepsen.core - Worker 0 starting', 'INFO  jepsen.util - 0\t:invoke\t:read\tnil', 'INFO  jepsen.util - 0\t:ok\t:read\t1', ''),
    );
    expect(history).toHaveLength(1);
  });

  it.each([
    ['INFO  jepsen.util - 0\t:invoke\t:frobnicate\t1', 1, /unknown operation :frobnicate/],
    ['INFO  jepsen.util - x\t:invoke\t:read\tnil', 1, /bad process id/],
    ['INFO  jepsen.util - 0\t:begin\t:read\tnil', 1, /unknown event type/],
    ['INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2', 1, /malformed value/],
    ['INFO  jepsen.util - 0\t:invoke\t:cas\t5', 1, /cas needs \[FROM TO\]/],
    ['INFO  jepsen.util - 0\t:ok\t:read\t1', 1, /no open operation/],
    ['INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:invoke\t:read\tnil', 2, /still open/],
    ['INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:write\t1', 2, /is :read/],
  ])('names the line of a malformed event: %s', (text, line, message) => {
    const error = caught(() => parseJepsenLog(text, { source: 'etcd.log' }));
    expect(error.line).toBe(line);
    expect(error.source).toBe('etcd.log');
    expect(error.message).toMatch(new RegExp(`^etcd.log:${line}: `));
    expect(error.message).toMatch(message);
  });
});

describe('parseEdnKvHistory', () => {
  it('parses one map a line', () => {
    const history = parseEdnKvHistory(`{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}
{:process 1, :type :invoke, :f :get, :key "0", :value nil}
{:process 0, :type :ok, :f :append, :key "0", :value "x 0 0 y"}
{:process 1, :type :ok, :f :get, :key "0", :value "x 0 0 y"}
{:process 2, :type :invoke, :f :put, :key "1", :value "z"}
`);
    expect(history).toEqual([
      { process: 0, call: 0, return: 2, input: { op: 'append', key: '0', value: 'x 0 0 y' }, output: undefined },
      { process: 1, call: 1, return: 3, input: { op: 'get', key: '0' }, output: 'x 0 0 y' },
      { process: 2, call: 4, return: undefined, input: { op: 'put', key: '1', value: 'z' }, output: undefined },
    ]);
  });

  it('accepts a history wrapped in one vector, comments, and drops :fail and nemesis events', () => {
    const history = parseEdnKvHistory(`[; a comment
 {:process :nemesis, :type :info, :f :start, :value nil}
 {:process 0, :type :invoke, :f :put, :key "k", :value "a", :time 12}
 {:process 0, :type :fail, :f :put, :key "k", :value "a"}
 {:process 0, :type :invoke, :f :get, :key "k", :value nil}
 {:process 0, :type :info, :f :get, :key "k", :value nil}
]`);
    expect(history).toEqual([{ process: 0, call: 2, return: undefined, input: { op: 'get', key: 'k' }, output: undefined }]);
  });

  it.each([
    ['{:process 0, :type :invoke, :f :get, :key "k"', 1, /unclosed collection/],
    ['\n\n[1 2]', 3, /expected an operation map/],
    ['{:process 0, :type :begin, :f :get, :key "k"}', 1, /:type must be/],
    ['{:process 0, :type :invoke, :f :cas, :key "k"}', 1, /unknown key-value operation :cas/],
    ['{:process 0, :type :invoke, :f :get}', 1, /missing or bad :key/],
    ['{:process 0, :type :invoke, :f :put, :key "k", :value [1]}', 1, /needs a string :value/],
    ['{:process 0, :type :ok, :f :get, :key "k", :value ""}', 1, /no open operation/],
    ['{:process 0, :type :invoke, :f :get, :key "k"}\n{:process 0, :type :ok, :f :get, :key "j", :value ""}', 2, /completion for key "j"/],
    ['{:process 0, :type :invoke :f}', 1, /odd number/],
    ['{:process 0, :type :invoke, :f :get, :key "k\\q"}', 1, /bad escape/],
  ])('names the line of malformed input: %s', (text, line, message) => {
    const error = caught(() => parseEdnKvHistory(text, { source: 'h.edn' }));
    expect(error.line).toBe(line);
    expect(error.message).toMatch(message);
  });
});

describe('parseEdnRegisterHistory', () => {
  it('parses read, write and cas', () => {
    const history = parseEdnRegisterHistory(`{:process 0, :type :invoke, :f :write, :value 1}
{:process 0, :type :ok, :f :write, :value 1}
{:process 1, :type :invoke, :f :cas, :value [1 2]}
{:process 1, :type :ok, :f :cas, :value [1 2]}
{:process 2, :type :invoke, :f :read, :value nil}
{:process 2, :type :ok, :f :read, :value 2}
{:process 3, :type :invoke, :f :read, :value nil}
{:process 3, :type :ok, :f :read, :value nil}`);
    expect(history.map((op) => [op.input, op.output])).toEqual([
      [{ op: 'write', value: 1 }, undefined],
      [{ op: 'cas', from: 1, to: 2 }, true],
      [{ op: 'read' }, 2],
      [{ op: 'read' }, null],
    ]);
  });

  it('names the line of malformed input', () => {
    expect(caught(() => parseEdnRegisterHistory('{:process 0, :type :invoke, :f :cas, :value 3}')).message).toMatch(/:cas needs :value \[FROM TO\]/);
    expect(caught(() => parseEdnRegisterHistory('\n{:process 0, :type :invoke, :f :get, :value nil}')).line).toBe(2);
  });
});
