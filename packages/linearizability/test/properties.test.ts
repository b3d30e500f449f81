import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { casRegisterModel, check, kvModel, type Model, type Operation } from '../src/index.js';
import { injectStaleGet, injectStaleRead, kvRunArbitrary, registerRunArbitrary } from './helpers/generate.js';

/** Replays a witness order through the model and checks real-time order: the witness is valid. */
function assertValidWitness<S, I, O>(model: Model<S, I, O>, history: Operation<I, O>[], order: number[], members?: number[]): void {
  let state = model.init();
  for (const i of order) {
    const op = history[i]!;
    const result = model.step(state, op.input, op.return === undefined ? undefined : op.output);
    expect(result.ok).toBe(true);
    state = result.state;
  }
  const position = new Map(order.map((i, k) => [i, k]));
  // Every op with a known outcome is placed; real-time order is respected.
  for (const i of members ?? history.map((_, k) => k)) {
    if (history[i]!.return !== undefined) expect(position.has(i)).toBe(true);
  }
  for (const a of order) {
    for (const b of order) {
      const opA = history[a]!;
      const opB = history[b]!;
      if (opA.return !== undefined && opA.return < opB.call) expect(position.get(a)!).toBeLessThan(position.get(b)!);
    }
  }
}

describe('histories from a real sequential execution', () => {
  it('are linearizable (compare-and-set register), with a valid witness', () => {
    fc.assert(
      fc.property(registerRunArbitrary(), ({ history }) => {
        const result = check(casRegisterModel, history);
        expect(result.verdict).toBe('linearizable');
        assertValidWitness(casRegisterModel, history, result.partitions[0]!.linearization!);
      }),
      { numRuns: 300 },
    );
  });

  it('are linearizable (key-value store, partitioned and not)', () => {
    fc.assert(
      fc.property(kvRunArbitrary(), (history) => {
        const partitioned = check(kvModel, history);
        expect(partitioned.verdict).toBe('linearizable');
        for (const part of partitioned.partitions) assertValidWitness(kvModel, history, part.linearization!, part.operations);
        expect(check(kvModel, history, { noPartition: true }).verdict).toBe('linearizable');
      }),
      { numRuns: 300 },
    );
  });
});

describe('histories with an injected stale read', () => {
  it('are not linearizable (compare-and-set register)', () => {
    fc.assert(
      fc.property(registerRunArbitrary(5, 10), fc.nat(), (run, pick) => {
        const stale = injectStaleRead(run, pick);
        fc.pre(stale !== undefined);
        const result = check(casRegisterModel, stale!);
        expect(result.verdict).toBe('not linearizable');
        expect(result.counterexample).toBeDefined();
      }),
      { numRuns: 200 },
    );
  });

  it('are not linearizable (key-value store, partitioned and not)', () => {
    fc.assert(
      fc.property(kvRunArbitrary(5, 10), fc.nat(), (history, pick) => {
        const stale = injectStaleGet(history, pick);
        fc.pre(stale !== undefined);
        expect(check(kvModel, stale!).verdict).toBe('not linearizable');
        expect(check(kvModel, stale!, { noPartition: true }).verdict).toBe('not linearizable');
      }),
      { numRuns: 200 },
    );
  });
});
