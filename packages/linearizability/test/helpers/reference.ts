import fc from 'fast-check';
import type { CasRegisterInput, CasRegisterOutput, KvInput, KvOutput, Model, Operation } from '../../src/index.js';

/**
 * The definition, by brute force: some order of the operations with a known outcome (plus any
 * subset of the others) that respects real time and that the model accepts.
 */
export function bruteForce<S, I, O>(model: Model<S, I, O>, history: Operation<I, O>[]): boolean {
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
export function historyArbitrary<I, O>(input: fc.Arbitrary<I>, output: fc.Arbitrary<O | undefined>, maxLength = 7): fc.Arbitrary<Operation<I, O>[]> {
  const op = fc.record({
    process: fc.nat(3),
    call: fc.nat(20),
    length: fc.nat(10),
    unknown: fc.boolean(),
    input,
    output,
  });
  return fc.array(op, { maxLength }).map((ops) =>
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
export const casInput: fc.Arbitrary<CasRegisterInput> = fc.oneof(
  fc.constant({ op: 'read' as const }),
  fc.record({ op: fc.constant('write' as const), value }),
  fc.record({ op: fc.constant('cas' as const), from: value, to: value }),
);
export const casOutput: fc.Arbitrary<CasRegisterOutput | undefined> = fc.oneof(value, fc.boolean(), fc.constant(undefined));

const key = fc.constantFrom('a', 'b');
export const kvInput: fc.Arbitrary<KvInput> = fc.oneof(
  fc.record({ op: fc.constant('get' as const), key }),
  fc.record({ op: fc.constant('put' as const), key, value: fc.constantFrom('x', 'y', '') }),
  fc.record({ op: fc.constant('append' as const), key, value: fc.constantFrom('x', 'y') }),
);
export const kvOutput: fc.Arbitrary<KvOutput | undefined> = fc.constantFrom('', 'x', 'y', 'xy', 'yx', 'xx', undefined);

