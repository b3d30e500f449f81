import { fromNondeterministic } from '../nondeterministic.js';
import type { Model } from '../types.js';
import { describeQueueOperation, type QueueInput, type QueueOutput, type QueueValue, queueOperationProblem } from './queue-operations.js';
import { describeValue } from './register.js';
import { valueKey } from './value-key.js';

/**
 * One possible content of {@link unorderedQueueModel}: the values waiting, as a multiset
 * (sorted by canonical key, never changed in place), with the joined keys as its identity.
 */
export interface QueueMultiset {
  readonly items: readonly QueueValue[];
  readonly itemKeys: readonly string[];
  readonly key: string;
}

const EMPTY: QueueMultiset = Object.freeze({ items: [], itemKeys: [], key: '' });

function without(state: QueueMultiset, index: number): QueueMultiset {
  const items = state.items.filter((_, i) => i !== index);
  const itemKeys = state.itemKeys.filter((_, i) => i !== index);
  return Object.freeze({ items, itemKeys, key: itemKeys.join(',') });
}

function withValue(state: QueueMultiset, value: QueueValue): QueueMultiset {
  const added = valueKey(value);
  let at = 0;
  while (at < state.itemKeys.length && state.itemKeys[at]! < added) at++;
  const items = [...state.items.slice(0, at), value, ...state.items.slice(at)];
  const itemKeys = [...state.itemKeys.slice(0, at), added, ...state.itemKeys.slice(at)];
  return Object.freeze({ items, itemKeys, key: itemKeys.join(',') });
}

/**
 * A queue that does not order what it holds, as Knossos's `unordered-queue`: a dequeue is
 * possible when it returned any value enqueued and not yet dequeued. A dequeue that returned
 * `null` found the queue empty (possible only when it is; Jepsen records that as `:fail`,
 * which the parsers drop). A dequeue whose answer is unknown may have taken any waiting
 * value, so the state is the set of contents the queue may have (the powerset construction of
 * {@link fromNondeterministic}); it stays a single multiset while every answer is known.
 *
 * @example
 * ```ts
 * import { check, unorderedQueueModel } from '@lattice/linearizability';
 *
 * check(unorderedQueueModel, [
 *   { process: 0, call: 0, return: 1, input: { op: 'enqueue', value: 1 }, output: undefined },
 *   { process: 0, call: 2, return: 3, input: { op: 'enqueue', value: 2 }, output: undefined },
 *   { process: 1, call: 4, return: 5, input: { op: 'dequeue' }, output: 2 },
 *   { process: 1, call: 6, return: 7, input: { op: 'dequeue' }, output: 2 },
 * ]).verdict; // 'not linearizable': 2 was enqueued once and dequeued twice
 * ```
 */
export const unorderedQueueModel: Model<readonly QueueMultiset[], QueueInput, QueueOutput> = {
  ...fromNondeterministic<QueueMultiset, QueueInput, QueueOutput>({
    init: () => [EMPTY],
    step(state, input, output) {
      if (input.op === 'enqueue') return [withValue(state, input.value)];
      if (output === null) return state.items.length === 0 ? [state] : [];
      if (output === undefined) return state.items.length === 0 ? [state] : state.items.map((_, i) => without(state, i));
      const index = state.itemKeys.indexOf(valueKey(output));
      return index < 0 ? [] : [without(state, index)];
    },
    equal: (a, b) => a.key === b.key,
    hash: (state) => state.key,
    describeOperation: describeQueueOperation,
    describeState: (state) => `{${state.items.map(describeValue).join(', ')}}`,
  }),
  validateOperation: (input, output) => queueOperationProblem(input, output, 'unordered-queue'),
};
