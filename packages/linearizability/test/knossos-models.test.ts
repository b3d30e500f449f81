import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  check,
  createMultiRegisterModel,
  fifoQueueModel,
  type Model,
  multiRegisterModel,
  type MutexInput,
  mutexModel,
  type Operation,
  setModel,
  unorderedQueueModel,
} from '../src/index.js';
import {
  fifoQueueSpec,
  historyArbitrary,
  isWitness,
  multiRegisterSpec,
  mutexSpec,
  type OracleSpec,
  oracle,
  setSpec,
  unorderedQueueSpec,
} from './helpers/knossos-oracle.js';

type AnyModel = Model<unknown, unknown, unknown>;

/** Sequential operations: each one returns before the next is called. */
function sequential<I, O>(...ops: [I, O | undefined][]): Operation<I, O>[] {
  return ops.map(([input, output], i) => ({ process: i % 2, call: 2 * i, return: 2 * i + 1, input, output }));
}

const verdict = <I, O>(model: Model<unknown, I, O>, history: Operation<I, O>[]) => check(model, history).verdict;

describe('mutex', () => {
  const acquire: MutexInput = { op: 'acquire' };
  const release: MutexInput = { op: 'release' };
  it('allows acquire and release in turn', () => {
    expect(verdict(mutexModel as AnyModel, sequential<MutexInput, unknown>([acquire, undefined], [release, undefined], [acquire, undefined]))).toBe('linearizable');
  });
  it('refuses an acquire while held and a release while free', () => {
    expect(verdict(mutexModel as AnyModel, sequential<MutexInput, unknown>([acquire, undefined], [acquire, undefined]))).toBe('not linearizable');
    expect(verdict(mutexModel as AnyModel, sequential<MutexInput, unknown>([release, undefined]))).toBe('not linearizable');
  });
  it('orders overlapping acquires around a release', () => {
    const history: Operation<unknown, unknown>[] = [
      { process: 0, call: 0, return: 1, input: acquire, output: undefined },
      { process: 1, call: 2, return: 6, input: acquire, output: undefined },
      { process: 0, call: 3, return: 4, input: release, output: undefined },
    ];
    expect(verdict(mutexModel as AnyModel, history)).toBe('linearizable');
    // A second acquire that finished before the release began cannot be placed.
    expect(verdict(mutexModel as AnyModel, [history[0]!, { ...history[1]!, return: 2 }, history[2]!])).toBe('not linearizable');
  });
  it('lets an acquire of unknown outcome never have happened', () => {
    const history: Operation<unknown, unknown>[] = [
      { process: 0, call: 0, return: undefined, input: acquire, output: undefined },
      { process: 1, call: 1, return: 2, input: acquire, output: undefined },
    ];
    expect(verdict(mutexModel as AnyModel, history)).toBe('linearizable');
  });
});

describe('multi-register', () => {
  const txn = (...ops: ({ f: 'read'; key: string } | { f: 'write'; key: string; value: number | null })[]) => ({ op: 'txn' as const, ops });
  const r = (key: string) => ({ f: 'read' as const, key });
  const w = (key: string, value: number | null) => ({ f: 'write' as const, key, value });
  it('applies micro-operations in order, reads seeing earlier writes of the same transaction', () => {
    expect(verdict(multiRegisterModel as AnyModel, sequential([txn(w('x', 1), r('x'), r('y')), [undefined, 1, null]], [txn(r('x')), [1]]))).toBe('linearizable');
    expect(verdict(multiRegisterModel as AnyModel, sequential([txn(r('x'), w('x', 1)), [1, undefined]]))).toBe('not linearizable');
  });
  it('refuses a transaction seen half done', () => {
    const model = createMultiRegisterModel({ initial: { x: 0, y: 0 } });
    const history: Operation<unknown, unknown>[] = [
      { process: 0, call: 0, return: 3, input: txn(w('x', 1), w('y', 1)), output: undefined },
      { process: 1, call: 1, return: 2, input: txn(r('x'), r('y')), output: [1, 1] },
      { process: 2, call: 1, return: 2, input: txn(r('x'), r('y')), output: [0, 1] },
    ];
    expect(verdict(model as AnyModel, history.slice(0, 2))).toBe('linearizable');
    expect(verdict(model as AnyModel, history)).toBe('not linearizable');
  });
  it('treats undefined reads as unknown, null as absent, 1 and "1" as different registers', () => {
    expect(verdict(multiRegisterModel as AnyModel, sequential([txn(w('x', 2)), undefined], [txn(r('x')), [undefined]]))).toBe('linearizable');
    expect(verdict(multiRegisterModel as AnyModel, sequential([txn(w('x', 2)), undefined], [txn(r('x')), [null]]))).toBe('not linearizable');
    const numeric = { op: 'txn' as const, ops: [{ f: 'write' as const, key: 1, value: 5 }] };
    const text = { op: 'txn' as const, ops: [{ f: 'read' as const, key: '1' }] };
    expect(verdict(multiRegisterModel as AnyModel, sequential<unknown, unknown>([numeric, undefined], [text, [null]]))).toBe('linearizable');
  });
  it('recognises equal states reached in different orders', () => {
    const a = multiRegisterModel.step(multiRegisterModel.init(), txn(w('x', 1), w('y', 2)), undefined).state;
    const b = multiRegisterModel.step(multiRegisterModel.init(), txn(w('y', 2), w('z', 3), w('z', null), w('x', 1)), undefined).state;
    expect(multiRegisterModel.hash!(a)).toBe(multiRegisterModel.hash!(b));
    expect(multiRegisterModel.equal!(a, b)).toBe(true);
  });
});

describe('set', () => {
  it('reads exactly the elements added, in any order', () => {
    const history = sequential<unknown, unknown>([{ op: 'add', value: 1 }, undefined], [{ op: 'add', value: 'a' }, undefined], [{ op: 'read' }, ['a', 1]]);
    expect(verdict(setModel as AnyModel, history)).toBe('linearizable');
    expect(verdict(setModel as AnyModel, [...history.slice(0, 2), { ...history[2]!, output: [1] }])).toBe('not linearizable');
    expect(verdict(setModel as AnyModel, [...history.slice(0, 2), { ...history[2]!, output: [1, 'a', 'a'] }])).toBe('not linearizable');
    expect(verdict(setModel as AnyModel, [...history.slice(0, 2), { ...history[2]!, output: [1, '1'] }])).toBe('not linearizable');
  });
  it('never loses an element: a later read missing it is refused', () => {
    const history: Operation<unknown, unknown>[] = [
      { process: 0, call: 0, return: 10, input: { op: 'add', value: 1 }, output: undefined },
      { process: 1, call: 1, return: 2, input: { op: 'read' }, output: [1] },
      { process: 1, call: 3, return: 4, input: { op: 'read' }, output: [] },
    ];
    expect(verdict(setModel as AnyModel, history.slice(0, 2))).toBe('linearizable');
    expect(verdict(setModel as AnyModel, history)).toBe('not linearizable');
  });
});

describe('queues', () => {
  const enq = (value: number) => ({ op: 'enqueue' as const, value });
  const deq = { op: 'dequeue' as const };
  it('fifo: dequeues in enqueue order; an empty queue answers null', () => {
    expect(verdict(fifoQueueModel as AnyModel, sequential<unknown, unknown>([deq, null], [enq(1), undefined], [enq(2), undefined], [deq, 1], [deq, 2], [deq, null]))).toBe('linearizable');
    expect(verdict(fifoQueueModel as AnyModel, sequential<unknown, unknown>([enq(1), undefined], [enq(2), undefined], [deq, 2]))).toBe('not linearizable');
    expect(verdict(fifoQueueModel as AnyModel, sequential<unknown, unknown>([enq(1), undefined], [deq, null]))).toBe('not linearizable');
  });
  it('fifo: a dequeue of unknown answer takes the front', () => {
    const history = sequential<unknown, unknown>([enq(1), undefined], [enq(2), undefined], [deq, undefined], [deq, 2]);
    expect(verdict(fifoQueueModel as AnyModel, history)).toBe('linearizable');
    expect(verdict(fifoQueueModel as AnyModel, [...history.slice(0, 3), { ...history[3]!, output: 1 }])).toBe('not linearizable');
  });
  it('unordered: any waiting value, each once', () => {
    expect(verdict(unorderedQueueModel as AnyModel, sequential<unknown, unknown>([enq(1), undefined], [enq(2), undefined], [deq, 2], [deq, 1], [deq, null]))).toBe('linearizable');
    expect(verdict(unorderedQueueModel as AnyModel, sequential<unknown, unknown>([enq(1), undefined], [deq, 1], [deq, 1]))).toBe('not linearizable');
    expect(verdict(unorderedQueueModel as AnyModel, sequential<unknown, unknown>([enq(1), undefined], [deq, 3]))).toBe('not linearizable');
  });
  it('unordered: a dequeue of unknown answer may have taken any value', () => {
    const base = sequential<unknown, unknown>([enq(1), undefined], [enq(2), undefined], [deq, undefined]);
    const later = (output: unknown): Operation<unknown, unknown> => ({ process: 1, call: 10, return: 11, input: deq, output });
    expect(verdict(unorderedQueueModel as AnyModel, [...base, later(1), later(null)].map((op, i) => ({ ...op, call: op.call + i * 20, return: op.return! + i * 20 })))).toBe('linearizable');
    expect(verdict(unorderedQueueModel as AnyModel, [...base, later(2)])).toBe('linearizable');
    const twice = [...base, later(2), { ...later(1), call: 12, return: 13 }];
    expect(verdict(unorderedQueueModel as AnyModel, twice)).toBe('not linearizable');
  });
});

function agreesWithOracle<S, I, O>(name: string, model: Model<unknown, I, O>, spec: OracleSpec<S, I, O>, numRuns: number): void {
  it(`${name}: the checker's verdict equals the brute-force oracle's on ${numRuns} generated histories`, () => {
    const seen = { linearizable: 0, 'not linearizable': 0 };
    fc.assert(
      fc.property(historyArbitrary(spec), (history) => {
        const expected = oracle(spec, history);
        const result = check(model, history);
        expect(result.verdict).toBe(expected ? 'linearizable' : 'not linearizable');
        seen[result.verdict as keyof typeof seen]++;
        if (expected) expect(isWitness(spec, history, result.partitions[0]!.linearization!)).toBe(true);
      }),
      { numRuns },
    );
    // Both verdicts are common, so a wrong model cannot agree by answering one of them.
    expect(seen.linearizable).toBeGreaterThan(numRuns / 10);
    expect(seen['not linearizable']).toBeGreaterThan(numRuns / 10);
  });
}

describe('generated histories against a brute-force search over all orders', () => {
  agreesWithOracle('mutex', mutexModel as Model<unknown, never, unknown>, mutexSpec as OracleSpec<unknown, never, unknown>, 2000);
  agreesWithOracle('multi-register', multiRegisterModel as Model<unknown, never, unknown>, multiRegisterSpec as OracleSpec<unknown, never, unknown>, 2000);
  agreesWithOracle('set', setModel as Model<unknown, never, unknown>, setSpec as OracleSpec<unknown, never, unknown>, 2000);
  agreesWithOracle('unordered-queue', unorderedQueueModel as Model<unknown, never, unknown>, unorderedQueueSpec as OracleSpec<unknown, never, unknown>, 2000);
  agreesWithOracle('fifo-queue', fifoQueueModel as Model<unknown, never, unknown>, fifoQueueSpec as OracleSpec<unknown, never, unknown>, 2000);
});
