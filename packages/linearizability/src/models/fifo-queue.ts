import type { Model } from '../types.js';
import { describeQueueOperation, type QueueInput, type QueueOutput, type QueueValue, queueOperationProblem } from './queue-operations.js';
import { describeValue, sameValue } from './register.js';
import { valueKey } from './value-key.js';

/**
 * State of {@link fifoQueueModel}: the values waiting, oldest first, never changed in place,
 * with a canonical key by which two states are compared.
 */
export interface FifoQueueState {
  readonly items: readonly QueueValue[];
  readonly key: string;
}

const EMPTY: FifoQueueState = Object.freeze({ items: [], key: '' });

function stateOf(items: readonly QueueValue[]): FifoQueueState {
  return Object.freeze({ items, key: items.map(valueKey).join(',') });
}

/**
 * A first-in first-out queue, as Knossos's `fifo-queue`: `{ op: 'enqueue', value }` adds at
 * the back, `{ op: 'dequeue' }` takes from the front and is possible only when it returned the
 * value at the front. A dequeue that returned `null` found the queue empty (possible only when
 * it is; Knossos has no such answer, since Jepsen records a dequeue of an empty queue as
 * `:fail`, which the parsers drop). A dequeue whose answer is unknown takes the front value, if
 * any.
 *
 * @example
 * ```ts
 * import { check, fifoQueueModel } from '@lattice/linearizability';
 *
 * check(fifoQueueModel, [
 *   { process: 0, call: 0, return: 1, input: { op: 'enqueue', value: 1 }, output: undefined },
 *   { process: 0, call: 2, return: 3, input: { op: 'enqueue', value: 2 }, output: undefined },
 *   { process: 1, call: 4, return: 5, input: { op: 'dequeue' }, output: 2 },
 * ]).verdict; // 'not linearizable': 1 was enqueued first
 * ```
 */
export const fifoQueueModel: Model<FifoQueueState, QueueInput, QueueOutput> = {
  validateOperation: (input, output) => queueOperationProblem(input, output, 'fifo-queue'),
  init: () => EMPTY,
  step(state, input, output) {
    if (input.op === 'enqueue') return { ok: true, state: stateOf([...state.items, input.value]) };
    if (state.items.length === 0) return { ok: output === undefined || output === null, state };
    const ok = output === undefined || sameValue(output, state.items[0]);
    return { ok, state: ok ? stateOf(state.items.slice(1)) : state };
  },
  // An empty dequeue is possible only in the empty queue, which it leaves empty.
  isReadOnly: (input, output) => input.op === 'dequeue' && output === null,
  equal: (a, b) => a.key === b.key,
  hash: (state) => state.key,
  describeOperation: describeQueueOperation,
  describeState: (state) => `[${state.items.map(describeValue).join(', ')}]`,
};
