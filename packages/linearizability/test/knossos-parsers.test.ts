import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, isLatticeError } from '@lattice/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLincheck as run } from './helpers/cli.js';
import {
  check,
  fifoQueueModel,
  MalformedHistoryError,
  multiRegisterModel,
  mutexModel,
  parseEdnHistory,
  parseJepsenLog,
  parseJsonHistory,
  setModel,
  unorderedQueueModel,
} from '../src/index.js';

function caught(fn: () => unknown): { code: string; message: string; line?: number } {
  try {
    fn();
  } catch (error) {
    if (isLatticeError(error)) return error as unknown as { code: string; message: string; line?: number };
    throw error;
  }
  throw new Error('expected a typed error');
}

const edn = (...events: string[]): string => events.join('\n');
const log = (...events: string[]): string => `${events.map((e) => `INFO  jepsen.util - ${e}`).join('\n')}\n`;

describe('parseEdnHistory', () => {
  it('reads a lock service, dropping :fail and leaving :info unknown', () => {
    const history = parseEdnHistory(
      edn(
        '{:process 0, :type :invoke, :f :acquire, :time 10}',
        '{:process 1, :type :invoke, :f :release}',
        '{:process 1, :type :fail, :f :release, :error :not-held}',
        '{:process 0, :type :ok, :f :acquire, :time 20}',
        '{:process 2, :type :invoke, :f :acquire}',
        '{:process 2, :type :info, :f :acquire}',
        '{:process :nemesis, :type :info, :f :start}',
      ),
      { model: 'mutex' },
    );
    expect(history).toEqual([
      { process: 0, call: 0, return: 3, input: { op: 'acquire' }, output: undefined, invokedAt: 10, completedAt: 20 },
      { process: 2, call: 4, return: undefined, input: { op: 'acquire' }, output: undefined },
    ]);
    expect(check(mutexModel, history).verdict).toBe('linearizable');
  });

  it('reads transactions of [:r k v] / [:w k v] (and :read / :write), outputs from the completion', () => {
    const history = parseEdnHistory(
      edn(
        '{:process 0, :type :invoke, :f :txn, :value [[:w 2 3] [:write :x "a"]]}',
        '{:process 0, :type :ok, :f :txn, :value [[:w 2 3] [:write :x "a"]]}',
        '{:process 1, :type :invoke, :f :txn, :value [[:r 1 nil] [:read 2 nil] [:r :x nil]]}',
        '{:process 1, :type :ok, :f :txn, :value [[:r 1 nil] [:read 2 3] [:r :x "a"]]}',
      ),
      { model: 'multi-register' },
    );
    expect(history.map((op) => [op.input, op.output])).toEqual([
      [{ op: 'txn', ops: [{ f: 'write', key: 2, value: 3 }, { f: 'write', key: ':x', value: 'a' }] }, [undefined, undefined]],
      [{ op: 'txn', ops: [{ f: 'read', key: 1 }, { f: 'read', key: 2 }, { f: 'read', key: ':x' }] }, [null, 3, 'a']],
    ]);
    expect(check(multiRegisterModel, history).verdict).toBe('linearizable');
  });

  it('refuses a completion whose micro-operations are not the ones invoked', () => {
    const text = edn('{:process 0, :type :invoke, :f :txn, :value [[:r 1 nil]]}', '{:process 0, :type :ok, :f :txn, :value [[:r 2 5]]}');
    const error = caught(() => parseEdnHistory(text, { model: 'multi-register', source: 'txn.edn' }));
    expect(error.code).toBe(MalformedHistoryError.code);
    expect(error.message).toBe('txn.edn:2: micro-operation 0 of the completed :txn, [:r 2 5], is not the one invoked');
    const bad = edn('{:process 0, :type :invoke, :f :txn, :value [[:cas 1 2]]}');
    expect(caught(() => parseEdnHistory(bad, { model: 'multi-register' })).message).toBe('<input>:1: a micro-operation must be [:r k v] or [:w k v], got [:cas 1 2]');
  });

  it('reads set adds and whole-set reads (a set, a vector or nil)', () => {
    const history = parseEdnHistory(
      edn(
        '{:process 0, :type :invoke, :f :read, :value nil}',
        '{:process 0, :type :ok, :f :read, :value nil}',
        '{:process 0, :type :invoke, :f :add, :value 1}',
        '{:process 0, :type :ok, :f :add, :value 1}',
        '{:process 1, :type :invoke, :f :read, :value nil}',
        '{:process 1, :type :ok, :f :read, :value #{1}}',
        '{:process 1, :type :invoke, :f :read, :value nil}',
        '{:process 1, :type :ok, :f :read, :value [1]}',
      ),
      { model: 'set' },
    );
    expect(history.map((op) => op.output)).toEqual([[], undefined, [1], [1]]);
    expect(check(setModel, history).verdict).toBe('linearizable');
  });

  it('reads enqueues and dequeues, a dequeue of nil being the empty queue', () => {
    const text = edn(
      '{:process 0, :type :invoke, :f :dequeue, :value nil}',
      '{:process 0, :type :ok, :f :dequeue, :value nil}',
      '{:process 0, :type :invoke, :f :enqueue, :value 1}',
      '{:process 0, :type :ok, :f :enqueue, :value 1}',
      '{:process 1, :type :invoke, :f :enqueue, :value 2}',
      '{:process 1, :type :ok, :f :enqueue, :value 2}',
      '{:process 0, :type :invoke, :f :dequeue, :value nil}',
      '{:process 0, :type :ok, :f :dequeue, :value 2}',
    );
    const history = parseEdnHistory(text, { model: 'fifo-queue' });
    expect(history.map((op) => [op.input, op.output])).toEqual([
      [{ op: 'dequeue' }, null],
      [{ op: 'enqueue', value: 1 }, undefined],
      [{ op: 'enqueue', value: 2 }, undefined],
      [{ op: 'dequeue' }, 2],
    ]);
    expect(check(fifoQueueModel, history).verdict).toBe('not linearizable');
    expect(check(unorderedQueueModel, parseEdnHistory(text, { model: 'unordered-queue' })).verdict).toBe('linearizable');
    const nil = caught(() => parseEdnHistory('{:process 0, :type :invoke, :f :enqueue, :value nil}', { model: 'fifo-queue' }));
    expect(nil.message).toBe('<input>:1: :enqueue of nil: a :dequeue answers nil when the queue is empty');
  });

  it("names an operation the model does not have, and refuses a model that isn't Knossos's", () => {
    const error = caught(() => parseEdnHistory('{:process 0, :type :invoke, :f :cas, :value [1 2]}', { model: 'set', source: 'h.edn' }));
    expect(error.code).toBe(MalformedHistoryError.code);
    expect(error.message).toBe('h.edn:1: unknown set operation :cas (expected :add or :read)');
    expect(caught(() => parseEdnHistory('', { model: 'kv' as 'set' })).code).toBe(InvalidArgumentError.code);
  });
});

describe('parseJepsenLog with a Knossos model', () => {
  it('reads each model from INFO jepsen.util lines, times being line numbers', () => {
    const txn = parseJepsenLog(log('0\t:invoke\t:txn\t[[:r 1 nil] [:w 2 3]]', '0\t:ok\t:txn\t[[:r 1 4] [:w 2 3]]'), { model: 'multi-register' });
    expect(txn).toEqual([{ process: 0, call: 1, return: 2, input: { op: 'txn', ops: [{ f: 'read', key: 1 }, { f: 'write', key: 2, value: 3 }] }, output: [4, undefined] }]);
    const lock = parseJepsenLog(log('0 :invoke :acquire nil', '1 :invoke :acquire nil', '0 :ok :acquire nil', '1 :fail :acquire nil', '2 :invoke :release nil', '2 :fail :release :timed-out'), {
      model: 'mutex',
    });
    // The failed acquire is dropped; the timed-out release may have happened.
    expect(lock.map((op) => [op.process, op.input.op, op.return])).toEqual([
      [0, 'acquire', 3],
      [2, 'release', undefined],
    ]);
    const set = parseJepsenLog(log('0 :invoke :add 1', '0 :ok :add 1', '0 :invoke :read nil', '0 :ok :read #{1 2}'), { model: 'set' });
    expect(check(setModel, set).verdict).toBe('not linearizable');
    const queue = parseJepsenLog(log('0 :invoke :enqueue 5', '0 :ok :enqueue 5', '1 :invoke :dequeue nil', '1 :ok :dequeue 5'), { model: 'unordered-queue' });
    expect(queue.map((op) => op.output)).toEqual([undefined, 5]);
  });

  it('names the line of an operation the model does not have', () => {
    const error = caught(() => parseJepsenLog(log('0 :invoke :write 1'), { model: 'mutex', source: 'lock.log' }));
    expect(error.message).toBe('lock.log:1: unknown mutex operation :write (expected :acquire or :release)');
    expect(caught(() => parseJepsenLog('', { model: 'stack' as 'set' })).code).toBe(InvalidArgumentError.code);
  });
});

describe('parseJsonHistory with a Knossos model', () => {
  it('checks inputs and outputs against the model', () => {
    const text = JSON.stringify([
      { process: 0, call: 0, return: 1, input: { op: 'txn', ops: [{ f: 'write', key: 'x', value: 1 }] } },
      { process: 1, call: 2, return: 3, input: { op: 'txn', ops: [{ f: 'read', key: 'x' }] }, output: [1] },
    ]);
    expect(check(multiRegisterModel, parseJsonHistory(text, { model: 'multi-register' })).verdict).toBe('linearizable');
    const bad = JSON.stringify([{ process: 0, call: 0, return: 1, input: { op: 'txn', ops: [{ f: 'read', key: 'x' }] }, output: [1, 2] }]);
    const error = caught(() => parseJsonHistory(bad, { model: 'multi-register', source: 'h.json' }));
    expect(error.code).toBe(MalformedHistoryError.code);
    expect(error.message).toBe('h.json:1: operation 0: output has 2 entries for 1 micro-operations');
    const rounded = `[{"process":0,"call":0,"return":1,"input":{"op":"enqueue","value":9007199254740993}}]`;
    expect(caught(() => parseJsonHistory(rounded, { model: 'fifo-queue' })).message).toContain('input.value: 9007199254740992 is beyond 2^53 - 1');
    const nullEnqueue = '[{"process":0,"call":0,"return":1,"input":{"op":"enqueue","value":null}}]';
    expect(caught(() => parseJsonHistory(nullEnqueue, { model: 'unordered-queue' })).message).toContain('must not be null');
    const lock = '[{"process":0,"call":0,"return":1,"input":{"op":"lock"}}]';
    expect(caught(() => parseJsonHistory(lock, { model: 'mutex' })).message).toContain('input.op must be "acquire" or "release"');
  });
});

describe('lattice-lincheck with a Knossos model', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lincheck-knossos-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  it('checks each model in each format', async () => {
    const lock = join(dir, 'lock.edn');
    await writeFile(lock, edn('{:process 0, :type :invoke, :f :acquire}', '{:process 0, :type :ok, :f :acquire}', '{:process 1, :type :invoke, :f :acquire}', '{:process 1, :type :ok, :f :acquire}'));
    expect(await run(['--model', 'mutex', '--format', 'edn', lock])).toEqual({
      code: 1,
      out: [`${lock}\tnot linearizable`, `${lock}\tfailing operation #1: process 1, acquire (call 2, return 3)`],
      err: [],
    });
    const queue = join(dir, 'queue.log');
    await writeFile(queue, log('0 :invoke :enqueue 1', '0 :ok :enqueue 1', '0 :invoke :enqueue 2', '0 :ok :enqueue 2', '1 :invoke :dequeue nil', '1 :ok :dequeue 2'));
    expect((await run(['--model', 'fifo-queue', '--format', 'jepsen-log', queue])).out).toEqual([
      `${queue}\tnot linearizable`,
      `${queue}\tfailing operation #2: process 1, dequeue -> 2 (call 5, return 6)`,
    ]);
    expect((await run(['--model', 'unordered-queue', '--format', 'jepsen-log', queue])).code).toBe(0);
    const set = join(dir, 'set.json');
    await writeFile(set, JSON.stringify([{ process: 0, call: 0, return: 1, input: { op: 'add', value: 'a' } }, { process: 1, call: 2, return: 3, input: { op: 'read' }, output: ['a'] }]));
    expect(await run(['--model', 'set', '--format', 'json', set])).toEqual({ code: 0, out: [`${set}\tlinearizable`], err: [] });
    const txn = join(dir, 'txn.edn');
    await writeFile(txn, edn('{:process 0, :type :invoke, :f :txn, :value [[:w :x 1]]}', '{:process 0, :type :ok, :f :txn, :value [[:w :x 1]]}', '{:process 1, :type :invoke, :f :txn, :value [[:r :x nil]]}', '{:process 1, :type :ok, :f :txn, :value [[:r :x nil]]}'));
    expect((await run(['--model', 'multi-register', '--format', 'edn', txn])).out).toEqual([`${txn}\tnot linearizable`, `${txn}\tfailing operation #1: process 1, txn [r :x nil] (call 2, return 3)`]);
  });

  it('lists every model in the usage message', async () => {
    const { code, err } = await run(['--model', 'stack', '--format', 'edn', 'x']);
    expect(code).toBe(2);
    expect(err[0]).toBe('lattice-lincheck: --model must be register, cas-register, kv, mutex, multi-register, set, unordered-queue or fifo-queue (got stack)');
  });
});
