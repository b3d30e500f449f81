import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CasRegisterInput,
  type CasRegisterOutput,
  casRegisterModel,
  check,
  type KvInput,
  type KvOutput,
  kvModel,
  type Model,
  type Operation,
} from '../src/index.js';

/**
 * The definition, by brute force: some order of the operations with a known outcome (plus any
 * subset of the others) that respects real time and that the model accepts.
 */
function bruteForce<S, I, O>(model: Model<S, I, O>, history: Operation<I, O>[]): boolean {
  const n = history.length;
  const placed = new Array<boolean>(n).fill(false);
  const search = (state: S, left: number): boolean => {
    if (left === 0) return true;
    for (let i = 0; i < n; i++) {
      if (placed[i]) continue;
      const op = history[i]!;
      // Every unplaced operation that returned before this one was called must come first.
      if (history.some((other, j) => !placed[j] && j !== i && other.return !== undefined && other.return < op.call)) continue;
      const result = model.step(state, op.input, op.return === undefined ? undefined : op.output);
      if (!result.ok) continue;
      placed[i] = true;
      const found = search(result.state, left - (op.return === undefined ? 0 : 1));
      placed[i] = false;
      if (found) return true;
    }
    return false;
  };
  return search(model.init(), history.filter((op) => op.return !== undefined).length);
}

/** Random small histories with random (often wrong) outputs. */
function historyArbitrary<I, O>(input: fc.Arbitrary<I>, output: fc.Arbitrary<O | undefined>): fc.Arbitrary<Operation<I, O>[]> {
  const op = fc.record({
    process: fc.nat(3),
    call: fc.nat(20),
    length: fc.nat(10),
    unknown: fc.boolean(),
    input,
    output,
  });
  return fc.array(op, { maxLength: 7 }).map((ops) =>
    ops.map((o) => ({
      process: o.process,
      call: o.call,
      return: o.unknown && o.call % 3 === 0 ? undefined : o.call + o.length,
      input: o.input,
      output: o.output,
    })),
  );
}

const value = fc.constantFrom(null, 0, 1, 2);
const casInput: fc.Arbitrary<CasRegisterInput> = fc.oneof(
  fc.constant({ op: 'read' as const }),
  fc.record({ op: fc.constant('write' as const), value }),
  fc.record({ op: fc.constant('cas' as const), from: value, to: value }),
);
const casOutput: fc.Arbitrary<CasRegisterOutput | undefined> = fc.oneof(value, fc.boolean(), fc.constant(undefined));

const key = fc.constantFrom('a', 'b');
const kvInput: fc.Arbitrary<KvInput> = fc.oneof(
  fc.record({ op: fc.constant('get' as const), key }),
  fc.record({ op: fc.constant('put' as const), key, value: fc.constantFrom('x', 'y', '') }),
  fc.record({ op: fc.constant('append' as const), key, value: fc.constantFrom('x', 'y') }),
);
const kvOutput: fc.Arbitrary<KvOutput | undefined> = fc.constantFrom('', 'x', 'y', 'xy', 'yx', 'xx', undefined);

describe('the checker agrees with brute force on random small histories', () => {
  it('compare-and-set register', () => {
    fc.assert(
      fc.property(historyArbitrary(casInput, casOutput), (history) => {
        const expected = bruteForce(casRegisterModel, history);
        expect(check(casRegisterModel, history).verdict).toBe(expected ? 'linearizable' : 'not linearizable');
      }),
      { numRuns: 1500 },
    );
  });

  it('key-value store, partitioned and not', () => {
    fc.assert(
      fc.property(historyArbitrary(kvInput, kvOutput), (history) => {
        const expected = bruteForce(kvModel, history) ? 'linearizable' : 'not linearizable';
        expect(check(kvModel, history).verdict).toBe(expected);
        expect(check(kvModel, history, { noPartition: true }).verdict).toBe(expected);
      }),
      { numRuns: 1500 },
    );
  });
});
