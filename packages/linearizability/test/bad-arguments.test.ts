import { InvalidArgumentError } from '@lattice/core';
import { describe, expect, it } from 'vitest';
import {
  casRegisterModel,
  check,
  checkAsync,
  createCasRegisterModel,
  createMultiRegisterModel,
  fifoQueueModel,
  createRegisterModel,
  fromNondeterministic,
  KvState,
  kvModel,
  MalformedHistoryError,
  type Model,
  multiRegisterModel,
  mutexModel,
  type Operation,
  parseEdnHistory,
  parseEdnKvHistory,
  parseEdnRegisterHistory,
  parseJepsenLog,
  parseJsonHistory,
  partitionByKey,
  registerModel,
  renderReport,
  setModel,
  unorderedQueueModel,
} from '../src/index.js';
import { codeOf } from '@lattice/test-kit';

/** Calls with deliberately wrong types, as JavaScript callers (or generated data) would. */
// biome-ignore lint/suspicious/noExplicitAny: the point is to pass what the types forbid
type Loose = any;


async function asyncCodeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    throw new Error(`expected a Lattice error, got ${String(error)}`);
  }
  throw new Error('expected a rejection, got none');
}

const ok: Operation<unknown, unknown>[] = [
  { process: 0, call: 0, return: 1, input: { op: 'write', value: 1 }, output: undefined },
  { process: 1, call: 2, return: 3, input: { op: 'read' }, output: 1 },
];
const withOp = (patch: Partial<Operation<unknown, unknown>>): Operation<unknown, unknown>[] => [{ ...ok[0]!, ...patch }];

describe('check and checkAsync', () => {
  it.each<[string, Loose, Loose, Loose]>([
    ['a null model', null, ok, undefined],
    ['a model without init or step', {}, ok, undefined],
    ['a model without step', { init: () => 0 }, ok, undefined],
    ['a model whose optional member is not a function', { ...registerModel, partition: 5 }, ok, undefined],
    ['a history that is not an array', registerModel, 'ops', undefined],
    ['a null operation', registerModel, [null], undefined],
    ['a NaN call', registerModel, withOp({ call: Number.NaN }), undefined],
    ['a return before the call', registerModel, withOp({ call: 5, return: 2 }), undefined],
    ['an object process', registerModel, withOp({ process: {} as Loose }), undefined],
    ['a fractional process', registerModel, withOp({ process: 1.5 }), undefined],
    ['a process beyond 2^53', registerModel, withOp({ process: 2 ** 53 + 2 }), undefined],
    ['a missing process', registerModel, withOp({ process: undefined as Loose }), undefined],
    ['a missing register input', registerModel, withOp({ input: undefined }), undefined],
    ['an unknown register op', registerModel, withOp({ input: { op: 'frob' } }), undefined],
    ['a cas under the plain register', registerModel, withOp({ input: { op: 'cas', from: 1, to: 2 } }), undefined],
    ['an object written to a register', casRegisterModel, withOp({ input: { op: 'write', value: {} } }), undefined],
    ['a kv input that is null', kvModel, withOp({ input: null }), undefined],
    ['an unknown kv op', kvModel, withOp({ input: { op: 'frob', key: 'k' } }), undefined],
    ['a numeric kv key', kvModel, withOp({ input: { op: 'put', key: 5, value: 'a' } }), undefined],
    ['a numeric kv value', kvModel, withOp({ input: { op: 'put', key: 'k', value: 5 } }), undefined],
    ['a numeric get output', kvModel, withOp({ input: { op: 'get', key: 'k' }, output: 5 }), undefined],
    ['null options', registerModel, ok, null],
    ['string options', registerModel, ok, 'fast'],
    ['a string timeoutMs', registerModel, ok, { timeoutMs: '5' }],
    ['a negative timeoutMs', registerModel, ok, { timeoutMs: -1 }],
    ['a clock without monotonic()', registerModel, ok, { clock: {}, timeoutMs: 5 }],
    ['a signal that is not an AbortSignal', registerModel, ok, { signal: 5 }],
    ['a string noPartition', registerModel, ok, { noPartition: 'yes' }],
    ['a string exhaustive', registerModel, ok, { exhaustive: 'yes' }],
    ['a partition that returns no array', { ...registerModel, partition: () => 5 }, ok, undefined],
    ['a partition that returns foreign operations', { ...registerModel, partition: () => [[5]] }, ok, undefined],
    ['a step that returns null', { init: () => 0, step: () => null }, ok, undefined],
    ['a step that returns no ok flag', { init: () => 0, step: () => ({ state: 0 }) }, ok, undefined],
  ])('%s', async (_, model, history, options) => {
    expect(codeOf(() => check(model, history, options))).toBe(InvalidArgumentError.code);
    expect(await asyncCodeOf(checkAsync(model, history, options))).toBe(InvalidArgumentError.code);
  });

  it('checkAsync options of its own', async () => {
    expect(await asyncCodeOf(checkAsync(registerModel, ok as Loose, { yieldEveryMs: 'x' as Loose }))).toBe(InvalidArgumentError.code);
    expect(await asyncCodeOf(checkAsync(registerModel, ok as Loose, { yieldEveryMs: -1 }))).toBe(InvalidArgumentError.code);
    expect(await asyncCodeOf(checkAsync(registerModel, ok as Loose, { timers: 5 as Loose }))).toBe(InvalidArgumentError.code);
  });

  it('still accepts every operation the types allow (a cas reported with a non-boolean can just never happen)', () => {
    const history = [{ process: 0, call: 0, return: 1, input: { op: 'cas' as const, from: null, to: 1 }, output: null }];
    expect(check(casRegisterModel, history).verdict).toBe('not linearizable');
  });
});

describe('models', () => {
  it.each<[string, () => unknown]>([
    ['createRegisterModel(null)', () => createRegisterModel(null as Loose)],
    ['createRegisterModel({ initial: {} })', () => createRegisterModel({ initial: {} as Loose })],
    ['createCasRegisterModel("x")', () => createCasRegisterModel('x' as Loose)],
    ['createCasRegisterModel({ initial: [1] })', () => createCasRegisterModel({ initial: [1] as Loose })],
    ['fromNondeterministic(null)', () => fromNondeterministic(null as Loose)],
    ['fromNondeterministic({})', () => fromNondeterministic({} as Loose)],
    ['fromNondeterministic with init not returning an array', () => check(fromNondeterministic({ init: () => 0 as Loose, step: () => [0] }), ok)],
    ['fromNondeterministic with step not returning an array', () => check(fromNondeterministic({ init: () => [0], step: () => 5 as Loose }), ok)],
    ['partitionByKey(null)', () => partitionByKey(null as Loose)],
    ['partitionByKey([null])', () => partitionByKey([null] as Loose)],
    ['partitionByKey with a keyless input', () => partitionByKey(withOp({ input: { op: 'get' } }) as Loose)],
    ['KvState.get(5)', () => KvState.empty.get(5 as Loose)],
    ['KvState.set("k", 5)', () => KvState.empty.set('k', 5 as Loose)],
    ['KvState.append(5, "x")', () => KvState.empty.append(5 as Loose, 'x')],
    ['createMultiRegisterModel(null)', () => createMultiRegisterModel(null as Loose)],
    ['createMultiRegisterModel({ initial: 5 })', () => createMultiRegisterModel({ initial: 5 as Loose })],
    ['createMultiRegisterModel with an object as a value', () => createMultiRegisterModel({ initial: { x: {} as Loose } })],
    ['createMultiRegisterModel with a NaN key', () => createMultiRegisterModel({ initial: new Map([[Number.NaN, 1]]) })],
    ['check(multiRegisterModel) of a txn without micro-operations', () => check(multiRegisterModel, withOp({ input: { op: 'txn', ops: 5 } }) as Loose)],
    ['check(setModel) of a read answering a number', () => check(setModel, withOp({ input: { op: 'read' }, output: 3 }) as Loose)],
    ['check(fifoQueueModel) of an enqueue of null', () => check(fifoQueueModel, withOp({ input: { op: 'enqueue', value: null } }) as Loose)],
  ])('%s', (_, fn) => {
    expect(codeOf(fn)).toBe(InvalidArgumentError.code);
  });

  it('validateOperation of each built-in model', () => {
    const models: Model<unknown, unknown, unknown>[] = [registerModel, casRegisterModel, kvModel, mutexModel, multiRegisterModel, setModel, unorderedQueueModel, fifoQueueModel] as Loose;
    for (const model of models) {
      expect(model.validateOperation?.(null, undefined)).toMatch(/input must be an object/);
      expect(model.validateOperation?.({ op: 'frob' }, undefined)).toMatch(/input\.op must be/);
    }
    expect(registerModel.validateOperation?.({ op: 'read' }, null)).toBeUndefined();
    expect(kvModel.validateOperation?.({ op: 'append', key: 'k', value: 'x' }, undefined)).toBeUndefined();
    expect(KvState.empty.equals(5 as Loose)).toBe(false);
  });
});

describe('parsers', () => {
  const parsers: [string, (text: Loose, options?: Loose) => unknown][] = [
    ['parseJepsenLog', parseJepsenLog],
    ['parseEdnRegisterHistory', parseEdnRegisterHistory],
    ['parseEdnKvHistory', parseEdnKvHistory],
    ['parseEdnHistory', parseEdnHistory],
    ['parseJsonHistory', parseJsonHistory],
  ];
  it.each(parsers)('%s refuses text that is not a string and options that are not an object', (_, parse) => {
    for (const text of [5, null, undefined, Buffer.from('[]')]) expect(codeOf(() => parse(text))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => parse('', null))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => parse('', 'h.edn'))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => parse('', { source: 5 }))).toBe(InvalidArgumentError.code);
  });

  it('parseJsonHistory refuses an unknown model option, and malformed content is MalformedHistoryError', () => {
    expect(codeOf(() => parseJsonHistory('[]', { model: 'queue' as Loose }))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => parseJsonHistory('[{"process":0}]'))).toBe(MalformedHistoryError.code);
  });
});

describe('renderReport', () => {
  const result = check(registerModel, [ok[0]!, { ...ok[1]!, output: 7 }] as Loose);
  const history = [ok[0]!, { ...ok[1]!, output: 7 }] as Loose;

  it.each<[string, () => unknown]>([
    ['a null result', () => renderReport(null as Loose, history, registerModel)],
    ['a result that is not a CheckResult', () => renderReport({ verdict: 'linearizable' } as Loose, history, registerModel)],
    ['a null history', () => renderReport(result, null as Loose, registerModel)],
    ['another history than the one checked', () => renderReport(result, [], registerModel)],
    ['a null model', () => renderReport(result, history, null as Loose)],
    ['null options', () => renderReport(result, history, registerModel, null as Loose)],
    ['a numeric title', () => renderReport(result, history, registerModel, { title: 5 as Loose })],
    ['maxOperations 0', () => renderReport(result, history, registerModel, { maxOperations: 0 })],
    ['maxOperations NaN', () => renderReport(result, history, registerModel, { maxOperations: Number.NaN })],
    ['maxCounterexamples -1', () => renderReport(result, history, registerModel, { maxCounterexamples: -1 })],
  ])('%s', (_, fn) => {
    expect(codeOf(fn)).toBe(InvalidArgumentError.code);
  });
});
