import { canonicalKey } from './state-key.js';
import type { Model, Operation } from './types.js';

/** The model's text of an operation (its `describeOperation`), or `input -> output`. */
export function describeOperation<S, I, O>(model: Model<S, I, O>, op: Operation<I, O>): string {
  const output = op.return === undefined ? undefined : op.output;
  if (model.describeOperation) return model.describeOperation(op.input, output);
  return `${canonicalKey(op.input)} -> ${output === undefined ? '?' : canonicalKey(output)}`;
}

/**
 * When an operation ran, in the history's own clock where it has one (EDN `:time`, kept as
 * `invokedAt` / `completedAt`), else in the `call` / `return` positions the checker orders by.
 */
export function describeSpan(op: Operation<unknown, unknown>): string {
  if (op.invokedAt !== undefined) {
    const end = op.completedAt ?? (op.return === undefined ? 'unknown' : `position ${op.return}`);
    return `time ${op.invokedAt} to ${end}`;
  }
  return `call ${op.call}, return ${op.return ?? 'unknown'}`;
}
