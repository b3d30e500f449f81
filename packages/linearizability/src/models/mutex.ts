import type { Model } from '../types.js';
import { isRecord, show } from './operation-shapes.js';

/** Input of {@link mutexModel}: take the lock, or give it back. */
export type MutexInput = { op: 'acquire' } | { op: 'release' };

/** State of {@link mutexModel}: whether the lock is held. */
export type MutexState = boolean;

/** Why an operation is not a mutex operation. Outputs carry nothing and are not looked at. */
export function mutexOperationProblem(input: unknown): string | undefined {
  if (!isRecord(input)) return `input must be an object, got ${show(input)}`;
  const op = input['op'];
  if (op === 'acquire' || op === 'release') return undefined;
  return `input.op must be "acquire" or "release" for the mutex model, got ${show(op)}`;
}

/**
 * A lock service, as Knossos's `mutex`: `{ op: 'acquire' }` is possible only while the lock is
 * free and takes it, `{ op: 'release' }` only while it is held and frees it. Who holds it is
 * not tracked (nor is it in Knossos): a release by another client than the holder is allowed.
 * An acquire or release that failed did not happen and belongs out of the history (Jepsen's
 * `:fail`, which the parsers drop); one whose outcome is unknown may have taken effect or not.
 * Outputs are ignored.
 *
 * @example
 * ```ts
 * import { check, mutexModel } from '@lattice/linearizability';
 *
 * check(mutexModel, [
 *   { process: 0, call: 0, return: 1, input: { op: 'acquire' }, output: undefined },
 *   { process: 1, call: 2, return: 3, input: { op: 'acquire' }, output: undefined },
 * ]).verdict; // 'not linearizable': both clients hold the lock
 * ```
 */
export const mutexModel: Model<MutexState, MutexInput, unknown> = {
  validateOperation: (input) => mutexOperationProblem(input),
  init: () => false,
  step: (held, input) => (input.op === 'acquire' ? { ok: !held, state: true } : { ok: held, state: false }),
  equal: (a, b) => a === b,
  hash: (held) => (held ? 1 : 0),
  describeOperation: (input) => input.op,
  describeState: (held) => (held ? 'held' : 'free'),
};
