import fc from 'fast-check';
import type { MultiRegisterInput, MultiRegisterOutput, MutexInput, Operation, QueueInput, QueueOutput, SetInput, SetOutput } from '../../src/index.js';

/**
 * A sequential specification written independently of the library's models, from Knossos's
 * `model.clj`: `step` lists every state an operation may lead to (none: impossible), `run`
 * executes one for real (to make histories whose answers are mostly right).
 */
export interface OracleSpec<S, I, O> {
  init: S;
  step(state: S, input: I, output: O | undefined): S[];
  run(state: S, input: I, pick: number): { state: S; output: O | undefined };
  input: fc.Arbitrary<I>;
  /** A random, often wrong, answer (to corrupt a history with). */
  wrongOutput(input: I): fc.Arbitrary<O | undefined>;
}

/**
 * Linearizability by its definition: some order of all operations with a known outcome, plus
 * any subset of those with an unknown one, that respects real time (an operation that returned
 * before another was called comes first) and that the specification accepts.
 */
export function oracle<S, I, O>(spec: OracleSpec<S, I, O>, history: readonly Operation<I, O>[]): boolean {
  const n = history.length;
  const placed = new Array<boolean>(n).fill(false);
  const known = history.filter((op) => op.return !== undefined).length;
  const search = (state: S, knownLeft: number): boolean => {
    if (knownLeft === 0) return true; // the remaining unknown ones never took effect
    for (let i = 0; i < n; i++) {
      if (placed[i]) continue;
      const op = history[i]!;
      const mustWait = history.some((other, j) => !placed[j] && j !== i && other.return !== undefined && other.return < op.call);
      if (mustWait) continue;
      placed[i] = true;
      for (const next of spec.step(state, op.input, op.return === undefined ? undefined : op.output)) {
        if (search(next, knownLeft - (op.return === undefined ? 0 : 1))) {
          placed[i] = false;
          return true;
        }
      }
      placed[i] = false;
    }
    return false;
  };
  return search(spec.init, known);
}

/** Whether `order` is a linearization: every known operation once, real time respected, accepted. */
export function isWitness<S, I, O>(spec: OracleSpec<S, I, O>, history: readonly Operation<I, O>[], order: readonly number[]): boolean {
  if (new Set(order).size !== order.length) return false;
  for (let i = 0; i < history.length; i++) if (history[i]!.return !== undefined && !order.includes(i)) return false;
  for (let a = 0; a < order.length; a++) {
    for (let b = a + 1; b < order.length; b++) {
      const later = history[order[a]!]!;
      const earlier = history[order[b]!]!;
      if (earlier.return !== undefined && earlier.return < later.call) return false;
    }
  }
  let states: S[] = [spec.init];
  for (const i of order) {
    const op = history[i]!;
    states = states.flatMap((s) => spec.step(s, op.input, op.return === undefined ? undefined : op.output));
    if (states.length === 0) return false;
  }
  return true;
}

interface RawOp<I, O> {
  process: number;
  gap: number;
  duration: number;
  unknown: boolean;
  /** Where in its interval it takes effect (0..1); unknown ones past 1 never take effect. */
  point: number;
  pick: number;
  corrupt: boolean;
  input: I;
  wrong: O | undefined;
}

/**
 * Histories of up to `maxLength` operations by up to four clients with random overlaps: each
 * takes effect at a random point of its interval in a real execution of `spec`, so its answer
 * is right, and then some answers are replaced with random ones. A client whose operation has
 * an unknown outcome is never heard from again (its later operations come from a fresh id).
 */
export function historyArbitrary<S, I, O>(spec: OracleSpec<S, I, O>, maxLength = 7): fc.Arbitrary<Operation<I, O>[]> {
  const raw: fc.Arbitrary<RawOp<I, O>> = spec.input.chain((input) =>
    fc.record({
      process: fc.nat(3),
      gap: fc.nat(4),
      duration: fc.nat(6),
      unknown: fc.nat(4).map((n) => n === 0),
      point: fc.double({ min: 0, max: 1.5, noNaN: true }),
      pick: fc.nat(5),
      corrupt: fc.nat(9).map((n) => n < 4),
      input: fc.constant(input),
      wrong: spec.wrongOutput(input),
    }),
  );
  return fc.array(raw, { maxLength }).map((ops) => {
    const cursor = new Map<number, number>();
    const ids = new Map<number, number>();
    const events: { op: Operation<I, O>; at: number | undefined; raw: RawOp<I, O> }[] = [];
    for (const o of ops) {
      const call = (cursor.get(o.process) ?? 0) + o.gap;
      const ret = call + o.duration;
      cursor.set(o.process, ret + 1);
      const id = ids.get(o.process) ?? o.process;
      const op: Operation<I, O> = { process: id, call, return: o.unknown ? undefined : ret, input: o.input, output: undefined };
      if (o.unknown) ids.set(o.process, id + 10);
      const at = o.point > 1 ? (o.unknown ? undefined : call + o.duration) : call + o.point * o.duration;
      events.push({ op, at, raw: o });
    }
    let state = spec.init;
    for (const e of [...events].filter((e) => e.at !== undefined).sort((a, b) => a.at! - b.at!)) {
      const result = spec.run(state, e.op.input, e.raw.pick);
      state = result.state;
      e.op.output = result.output;
    }
    for (const e of events) if (e.raw.corrupt) e.op.output = e.raw.wrong;
    for (const e of events) if (e.op.return === undefined) e.op.output = undefined;
    return events.map((e) => e.op);
  });
}

const small = fc.constantFrom(1, 2, 3);

export const mutexSpec: OracleSpec<boolean, MutexInput, unknown> = {
  init: false,
  step: (held, input) => (input.op === 'acquire' ? (held ? [] : [true]) : held ? [false] : []),
  run: (held, input) => ({ state: input.op === 'acquire' ? true : input.op === 'release' ? false : held, output: undefined }),
  input: fc.constantFrom<MutexInput>({ op: 'acquire' }, { op: 'release' }),
  wrongOutput: () => fc.constant(undefined),
};

type Registers = Readonly<Record<string, number | null>>;

export const multiRegisterSpec: OracleSpec<Registers, MultiRegisterInput, MultiRegisterOutput> = {
  init: {},
  step(state, input, output) {
    let current: Record<string, number | null> = { ...state };
    for (let i = 0; i < input.ops.length; i++) {
      const micro = input.ops[i]!;
      if (micro.f === 'write') current = { ...current, [micro.key]: micro.value as number | null };
      else if (output !== undefined && output[i] !== undefined && output[i] !== (current[micro.key] ?? null)) return [];
    }
    return [current];
  },
  run(state, input) {
    const current: Record<string, number | null> = { ...state };
    const output = input.ops.map((micro) => {
      if (micro.f === 'write') {
        current[micro.key] = micro.value as number | null;
        return undefined;
      }
      return current[micro.key] ?? null;
    });
    return { state: current, output };
  },
  input: fc
    .array(
      fc.oneof(
        fc.record({ f: fc.constant('read' as const), key: fc.constantFrom('x', 'y') }),
        fc.record({ f: fc.constant('write' as const), key: fc.constantFrom('x', 'y'), value: fc.constantFrom(null, 1, 2) }),
      ),
      { minLength: 1, maxLength: 3 },
    )
    .map((ops) => ({ op: 'txn' as const, ops })),
  wrongOutput: (input) => fc.array(fc.constantFrom(null, 1, 2, undefined), { minLength: input.ops.length, maxLength: input.ops.length }),
};

export const setSpec: OracleSpec<readonly number[], SetInput, SetOutput> = {
  init: [],
  step(state, input, output) {
    if (input.op === 'add') return [state.includes(input.value as number) ? state : [...state, input.value as number]];
    if (output === undefined) return [state];
    const sorted = (values: readonly unknown[]) => JSON.stringify([...values].sort());
    return sorted(output) === sorted(state) ? [state] : [];
  },
  run(state, input, pick) {
    if (input.op === 'add') return { state: state.includes(input.value as number) ? state : [...state, input.value as number], output: undefined };
    // Answer in some order: a read's order does not matter.
    return { state, output: pick % 2 === 0 ? [...state] : [...state].reverse() };
  },
  input: fc.oneof(
    fc.record({ op: fc.constant('add' as const), value: small }),
    fc.constant({ op: 'read' as const }),
  ),
  wrongOutput: () => fc.oneof(fc.constant(undefined), fc.uniqueArray(small, { maxLength: 3 }), fc.array(small, { maxLength: 3 })),
};

const queueInput: fc.Arbitrary<QueueInput> = fc.oneof(
  fc.record({ op: fc.constant('enqueue' as const), value: small }),
  fc.constant({ op: 'dequeue' as const }),
);
const queueWrong = (): fc.Arbitrary<QueueOutput | undefined> => fc.constantFrom(undefined, null, 1, 2, 3);

export const unorderedQueueSpec: OracleSpec<readonly number[], QueueInput, QueueOutput> = {
  init: [],
  step(state, input, output) {
    if (input.op === 'enqueue') return [[...state, input.value as number]];
    if (output === null) return state.length === 0 ? [state] : [];
    if (output === undefined) return state.length === 0 ? [state] : state.map((_, i) => state.filter((_, j) => j !== i));
    const i = state.indexOf(output as number);
    return i < 0 ? [] : [state.filter((_, j) => j !== i)];
  },
  run(state, input, pick) {
    if (input.op === 'enqueue') return { state: [...state, input.value as number], output: undefined };
    if (state.length === 0) return { state, output: null };
    const i = pick % state.length;
    return { state: state.filter((_, j) => j !== i), output: state[i]! };
  },
  input: queueInput,
  wrongOutput: queueWrong,
};

export const fifoQueueSpec: OracleSpec<readonly number[], QueueInput, QueueOutput> = {
  init: [],
  step(state, input, output) {
    if (input.op === 'enqueue') return [[...state, input.value as number]];
    if (state.length === 0) return output === undefined || output === null ? [state] : [];
    return output === undefined || output === state[0] ? [state.slice(1)] : [];
  },
  run(state, input) {
    if (input.op === 'enqueue') return { state: [...state, input.value as number], output: undefined };
    if (state.length === 0) return { state, output: null };
    return { state: state.slice(1), output: state[0]! };
  },
  input: queueInput,
  wrongOutput: queueWrong,
};
