import { isRecord, registerValueProblem, show } from './operation-shapes.js';
import { describeValue } from './register.js';

/** A value a built-in queue holds: a register value other than `null`, which means "empty". */
export type QueueValue = string | number | boolean | bigint;

/** Input of the queue models: add a value, or take one. */
export type QueueInput = { op: 'enqueue'; value: QueueValue } | { op: 'dequeue' };

/**
 * Output of the queue models: for a dequeue, the value taken, or `null` when the queue was
 * empty (`undefined` = not known); ignored for an enqueue.
 */
export type QueueOutput = QueueValue | null;

/** Why an operation is not a queue operation. */
export function queueOperationProblem(input: unknown, output: unknown, model: string): string | undefined {
  if (!isRecord(input)) return `input must be an object, got ${show(input)}`;
  const op = input['op'];
  if (op === 'enqueue') {
    if (input['value'] === null) return 'input.value of an enqueue must not be null: a dequeue answers null when the queue is empty';
    return registerValueProblem(input['value'], 'input.value');
  }
  if (op !== 'dequeue') return `input.op must be "enqueue" or "dequeue" for the ${model} model, got ${show(op)}`;
  return output === undefined ? undefined : registerValueProblem(output, 'output of a dequeue');
}

/** Text of a queue operation in reports. */
export function describeQueueOperation(input: QueueInput, output: QueueOutput | undefined): string {
  if (input.op === 'enqueue') return `enqueue ${describeValue(input.value)}`;
  return `dequeue -> ${output === undefined ? '?' : output === null ? 'empty' : describeValue(output)}`;
}
