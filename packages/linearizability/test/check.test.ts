import { InvalidArgumentError, isLatticeError } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import { describe, expect, it } from 'vitest';
import {
  type CasRegisterInput,
  type CasRegisterOutput,
  casRegisterModel,
  check,
  checkAsync,
  createRegisterModel,
  fromNondeterministic,
  type KvInput,
  type KvOutput,
  kvModel,
  type Model,
  type Operation,
  type RegisterInput,
  type RegisterOutput,
  registerModel,
} from '../src/index.js';

type RegOp = Operation<RegisterInput, RegisterOutput>;
const write = (process: number, call: number, ret: number | undefined, value: number): RegOp => ({
  process,
  call,
  return: ret,
  input: { op: 'write', value },
  output: undefined,
});
const read = (process: number, call: number, ret: number | undefined, value: number | null | undefined): RegOp => ({
  process,
  call,
  return: ret,
  input: { op: 'read' },
  output: value,
});

/**
 * A hard non-linearizable history: `n` overlapping writes of 1 and 2, then, after all of them,
 * a read of 1 followed by a read of 2. Values repeat, so no read is dead early: the search
 * must try every subset of the writes before giving up.
 */
function hardHistory(n: number): RegOp[] {
  const history: RegOp[] = [];
  for (let i = 0; i < n; i++) history.push(write(i, i, 1000 + i, (i % 2) + 1));
  history.push(read(n, 2000, 2001, 1), read(n, 2002, 2003, 2));
  return history;
}

describe('check: registers', () => {
  it('accepts an empty history and a sequential one', () => {
    expect(check(registerModel, []).verdict).toBe('linearizable');
    expect(check(registerModel, [read(0, 0, 1, null), write(0, 2, 3, 5), read(0, 4, 5, 5)]).verdict).toBe('linearizable');
  });

  it('rejects a read of an overwritten value, with a counterexample', () => {
    const history = [write(0, 0, 10, 1), read(1, 2, 3, 1), read(2, 4, 5, null)];
    const result = check(registerModel, history);
    expect(result.verdict).toBe('not linearizable');
    const cx = result.counterexample!;
    expect(cx.prefix).toEqual([0, 1]);
    expect(cx.failedAt).toBe(2);
    expect(cx.unplaced).toEqual([2]);
    expect(cx.state).toBe('1');
    expect(cx.prefixOperations).toEqual([history[0], history[1]]);
  });

  it('treats touching intervals as concurrent', () => {
    // The read ends exactly when the write begins: either order is allowed.
    expect(check(registerModel, [read(0, 0, 5, 1), write(1, 5, 6, 1)]).verdict).toBe('linearizable');
    expect(check(registerModel, [read(0, 0, 4, 1), write(1, 5, 6, 1)]).verdict).toBe('not linearizable');
  });

  it('lets an unknown-outcome write take effect at any point after its call, or never', () => {
    const unknownWrite = write(0, 0, undefined, 7);
    // Never took effect.
    expect(check(registerModel, [unknownWrite, read(1, 10, 11, null)]).verdict).toBe('linearizable');
    // Took effect late: first a read of null, then of 7.
    expect(check(registerModel, [unknownWrite, read(1, 10, 11, null), read(1, 20, 21, 7)]).verdict).toBe('linearizable');
    // Cannot un-happen.
    expect(check(registerModel, [unknownWrite, read(1, 10, 11, 7), read(1, 20, 21, null)]).verdict).toBe('not linearizable');
    // Cannot happen before its call.
    expect(check(registerModel, [read(1, 0, 1, 7), write(0, 5, undefined, 7)]).verdict).toBe('not linearizable');
    // The output of an unknown-outcome operation is ignored.
    expect(check(registerModel, [{ ...read(0, 0, undefined, 42) }]).verdict).toBe('linearizable');
  });

  it('accepts a read whose value is unknown anywhere', () => {
    expect(check(registerModel, [write(0, 0, 1, 1), read(1, 2, 3, undefined), read(1, 4, 5, 1)]).verdict).toBe('linearizable');
  });

  it('checks compare-and-set', () => {
    const h = (cas: CasRegisterOutput): Operation<CasRegisterInput, CasRegisterOutput>[] => [
      { process: 0, call: 0, return: 1, input: { op: 'write', value: 1 }, output: undefined },
      { process: 1, call: 2, return: 3, input: { op: 'cas', from: 1, to: 2 }, output: cas },
      { process: 0, call: 4, return: 5, input: { op: 'read' }, output: 2 },
    ];
    expect(check(casRegisterModel, h(true)).verdict).toBe('linearizable');
    expect(check(casRegisterModel, h(false)).verdict).toBe('not linearizable');
  });

  it('uses the initial value of createRegisterModel', () => {
    const model = createRegisterModel({ initial: 0 });
    expect(check(model, [read(0, 0, 1, 0)]).verdict).toBe('linearizable');
    expect(check(model, [read(0, 0, 1, null)]).verdict).toBe('not linearizable');
  });

  it('returns a witness linearization', () => {
    const history = [write(0, 0, 10, 1), read(1, 1, 2, null), read(2, 3, 4, 1)];
    const result = check(registerModel, history);
    expect(result.partitions[0]!.linearization).toEqual([1, 0, 2]);
  });
});

describe('check: key-value store and partitions', () => {
  const op = (process: number, call: number, ret: number, input: KvInput, output?: KvOutput): Operation<KvInput, KvOutput> => ({
    process,
    call,
    return: ret,
    input,
    output,
  });

  it('partitions by key and reports the failing partition', () => {
    const history = [
      op(0, 0, 1, { op: 'put', key: 'x', value: 'a' }),
      op(1, 0, 1, { op: 'append', key: 'y', value: 'b' }),
      op(0, 2, 3, { op: 'get', key: 'x' }, 'a'),
      op(1, 2, 3, { op: 'get', key: 'y' }, ''),
    ];
    const result = check(kvModel, history);
    expect(result.verdict).toBe('not linearizable');
    expect(result.partitions.map((p) => p.operations)).toEqual([
      [0, 2],
      [1, 3],
    ]);
    expect(result.partitions[0]!.verdict).toBe('linearizable');
    expect(result.counterexample!.partition).toBe(1);
    expect(result.counterexample!.failedAt).toBe(3);
    expect(result.counterexample!.state).toBe('{"y": "b"}');
    expect(check(kvModel, history, { noPartition: true }).partitions).toHaveLength(1);
  });

  it('appends in either order of concurrent appends, as observed', () => {
    const base = [op(0, 0, 2, { op: 'append', key: 'k', value: 'x' }), op(1, 1, 3, { op: 'append', key: 'k', value: 'y' })];
    expect(check(kvModel, [...base, op(2, 4, 5, { op: 'get', key: 'k' }, 'yx')]).verdict).toBe('linearizable');
    expect(check(kvModel, [...base, op(2, 4, 5, { op: 'get', key: 'k' }, 'xy')]).verdict).toBe('linearizable');
    expect(check(kvModel, [...base, op(2, 4, 5, { op: 'get', key: 'k' }, 'x')]).verdict).toBe('not linearizable');
  });

  it('stops at the first violation unless exhaustive', () => {
    const history: Operation<KvInput, KvOutput>[] = [];
    for (let k = 0; k < 3; k++) history.push(op(k, 0, 1, { op: 'put', key: `k${k}`, value: 'v' }), op(k, 2, 3, { op: 'get', key: `k${k}` }, ''));
    const quick = check(kvModel, history);
    expect(quick.verdict).toBe('not linearizable');
    expect(quick.counterexamples.length).toBeGreaterThanOrEqual(1);
    const all = check(kvModel, history, { exhaustive: true });
    expect(all.counterexamples.map((c) => c.partition)).toEqual([0, 1, 2]);
  });

  it('rejects a partition that loses or invents operations', () => {
    const history = [op(0, 0, 1, { op: 'get', key: 'a' }, '')];
    const losing = { ...kvModel, partition: () => [] };
    const inventing = { ...kvModel, partition: () => [[{ ...history[0]! }]] };
    for (const model of [losing, inventing]) {
      let caught: unknown;
      try {
        check(model, history);
      } catch (error) {
        caught = error;
      }
      expect(isLatticeError(caught, InvalidArgumentError.code)).toBe(true);
    }
  });
});

describe('check: user models', () => {
  type CounterInput = { op: 'inc' } | { op: 'get' };
  const counter: Model<{ count: number }, CounterInput, number> = {
    init: () => ({ count: 0 }),
    step: (state, input, output) =>
      input.op === 'inc' ? { ok: true, state: { count: state.count + 1 } } : { ok: output === undefined || output === state.count, state },
  };

  it('work without hash or equal (structural defaults)', () => {
    const history: Operation<CounterInput, number>[] = [
      { process: 0, call: 0, return: 10, input: { op: 'inc' }, output: undefined },
      { process: 1, call: 0, return: 10, input: { op: 'inc' }, output: undefined },
      { process: 2, call: 1, return: 2, input: { op: 'get' }, output: 1 },
      { process: 3, call: 11, return: 12, input: { op: 'get' }, output: 2 },
    ];
    expect(check(counter, history).verdict).toBe('linearizable');
    expect(check(counter, [...history, { process: 4, call: 13, return: 14, input: { op: 'get' }, output: 1 }]).verdict).toBe('not linearizable');
  });

  it('never need an unknown-outcome operation to be possible', () => {
    // A model that refuses every unknown output: the operation simply never took effect.
    const strict: Model<number, 'x', number> = { init: () => 0, step: (s, _i, o) => ({ ok: o !== undefined, state: s }) };
    expect(check(strict, [{ process: 0, call: 0, return: undefined, input: 'x', output: undefined }]).verdict).toBe('linearizable');
  });
});

describe('check: budgets and validation', () => {
  it('the hard history is not linearizable given time', () => {
    expect(check(registerModel, hardHistory(14)).verdict).toBe('not linearizable');
  });

  it('answers unknown when the time budget runs out', () => {
    const clock = new ManualClock();
    const slow: Model<RegisterOutput, RegisterInput, RegisterOutput> = {
      ...registerModel,
      step(state, input, output) {
        clock.advance(1);
        return registerModel.step(state, input, output);
      },
    };
    const result = check(slow, hardHistory(14), { timeoutMs: 100, clock });
    expect(result.verdict).toBe('unknown');
    expect(result.reason).toBe('timeout');
    expect(result.counterexample).toBeUndefined();
    expect(result.partitions[0]!.reason).toBe('timeout');
  });

  it('answers unknown when the signal is aborted', () => {
    const controller = new AbortController();
    controller.abort();
    const result = check(registerModel, hardHistory(14), { signal: controller.signal });
    expect(result.verdict).toBe('unknown');
    expect(result.reason).toBe('aborted');
  });

  it('still answers a quick check whose signal aborted (the answer is certain)', () => {
    const result = check(registerModel, [read(0, 0, 1, null)], { signal: AbortSignal.abort() });
    expect(result.verdict).toBe('linearizable');
  });

  it('checkAsync yields so that a timer can abort it', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 0);
    const result = await checkAsync(registerModel, hardHistory(16), { signal: controller.signal, yieldEveryMs: 0 });
    expect(result.verdict).toBe('unknown');
    expect(result.reason).toBe('aborted');
  });

  it('checkAsync answers unknown when the time budget runs out', async () => {
    const clock = new ManualClock();
    const slow: Model<RegisterOutput, RegisterInput, RegisterOutput> = {
      ...registerModel,
      step(state, input, output) {
        clock.advance(1);
        return registerModel.step(state, input, output);
      },
    };
    const result = await checkAsync(slow, hardHistory(14), { timeoutMs: 100, clock, yieldEveryMs: 1_000_000 });
    expect(result.verdict).toBe('unknown');
    expect(result.reason).toBe('timeout');
  });

  it('checkAsync gives the same verdicts as check', async () => {
    expect((await checkAsync(registerModel, hardHistory(6))).verdict).toBe('not linearizable');
    expect((await checkAsync(registerModel, [write(0, 0, 1, 1), read(1, 2, 3, 1)])).verdict).toBe('linearizable');
  });

  it('rejects malformed operations with a typed error', () => {
    const bad: RegOp[][] = [
      [read(0, 5, 4, null)],
      [{ ...read(0, 0, 1, null), call: Number.NaN }],
      [read(0, 0, Number.POSITIVE_INFINITY, null)],
      [null as unknown as RegOp],
    ];
    for (const history of bad) {
      let caught: unknown;
      try {
        check(registerModel, history);
      } catch (error) {
        caught = error;
      }
      expect(isLatticeError(caught, InvalidArgumentError.code)).toBe(true);
    }
    expect(() => check(registerModel, [], { timeoutMs: -1 })).toThrow(/timeoutMs/);
  });
});

describe('fromNondeterministic', () => {
  // An increment that a retry may apply twice.
  const counter = fromNondeterministic<number, 'inc' | 'get', number>({
    init: () => [0],
    step: (n, input, output) => (input === 'inc' ? [n + 1, n + 2] : output === undefined || output === n ? [n] : []),
    describeState: (n) => String(n),
  });
  const inc = (call: number): Operation<'inc' | 'get', number> => ({ process: 0, call, return: call + 1, input: 'inc', output: undefined });
  const get = (call: number, output: number): Operation<'inc' | 'get', number> => ({ process: 1, call, return: call + 1, input: 'get', output });

  it('accepts every outcome some choice explains', () => {
    expect(check(counter, [inc(0), get(2, 1)]).verdict).toBe('linearizable');
    expect(check(counter, [inc(0), get(2, 2)]).verdict).toBe('linearizable');
    expect(check(counter, [inc(0), inc(2), get(4, 3)]).verdict).toBe('linearizable');
  });

  it('rejects outcomes no choice explains, and keeps the choices consistent', () => {
    expect(check(counter, [inc(0), get(2, 3)]).verdict).toBe('not linearizable');
    const result = check(counter, [inc(0), get(2, 2), get(4, 1)]);
    expect(result.verdict).toBe('not linearizable');
    expect(result.counterexample!.state).toBe('{2}');
  });
});

describe('check: long histories', () => {
  it('checks 20,000 operations of 4 clients quickly (the visited set stores only a window of each bitset)', () => {
    const history: RegOp[] = [];
    let value = 0;
    for (let i = 0; i < 20_000; i++) {
      // Each client's operation overlaps the next client's; writes and reads of the current value.
      const call = i * 10;
      if (i % 3 === 0) history.push(write(i % 4, call, call + 15, ++value));
      else history.push(read(i % 4, call, call + 15, value));
    }
    const result = check(registerModel, history, { timeoutMs: 20_000 });
    expect(result.verdict).toBe('linearizable');
    history.push(read(9, 300_000, 300_001, 1));
    expect(check(registerModel, history, { timeoutMs: 20_000 }).verdict).toBe('not linearizable');
  });
});
