import { describe, expect, it } from 'vitest';
import { check, type Model, type Operation } from '../src/index.js';

// The queue model of docs/linearizability.md, section 5.
type QueueInput = { op: 'enqueue'; value: number } | { op: 'dequeue' };
type QueueOutput = number | null;

const queueModel: Model<readonly number[], QueueInput, QueueOutput> = {
  init: () => [],
  step(state, input, output) {
    if (input.op === 'enqueue') return { ok: true, state: [...state, input.value] };
    const head = state.length === 0 ? null : state[0]!;
    if (output !== undefined && output !== head) return { ok: false, state };
    return { ok: true, state: state.slice(1) };
  },
  hash: (state) => state.join(','),
  equal: (a, b) => a.length === b.length && a.every((v, i) => v === b[i]),
  describeOperation: (input, output) => (input.op === 'enqueue' ? `enqueue ${input.value}` : `dequeue -> ${output ?? '?'}`),
  describeState: (state) => `[${state.join(', ')}]`,
};

const op = (process: number, call: number, ret: number | undefined, input: QueueInput, output?: QueueOutput): Operation<QueueInput, QueueOutput> => ({
  process,
  call,
  return: ret,
  input,
  output,
});

describe('guide: a user-defined queue model', () => {
  it('accepts FIFO order, including concurrent enqueues in either order', () => {
    const history = [
      op(0, 0, 3, { op: 'enqueue', value: 1 }),
      op(1, 1, 4, { op: 'enqueue', value: 2 }),
      op(2, 5, 6, { op: 'dequeue' }, 2),
      op(2, 7, 8, { op: 'dequeue' }, 1),
      op(2, 9, 10, { op: 'dequeue' }, null),
    ];
    expect(check(queueModel, history).verdict).toBe('linearizable');
  });

  it('rejects LIFO order of sequential enqueues, naming the state', () => {
    const history = [op(0, 0, 1, { op: 'enqueue', value: 1 }), op(0, 2, 3, { op: 'enqueue', value: 2 }), op(1, 4, 5, { op: 'dequeue' }, 2)];
    const result = check(queueModel, history);
    expect(result.verdict).toBe('not linearizable');
    expect(result.counterexample!.state).toBe('[1, 2]');
  });
});
