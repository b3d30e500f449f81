import type { Model } from '../types.js';
import { isRecord, registerValueProblem, show } from './operation-shapes.js';
import { describeValue, type RegisterValue } from './register.js';
import { sortedKeys, valueKey } from './value-key.js';

/** Input of {@link setModel}: add an element, or read the whole set. */
export type SetInput = { op: 'add'; value: RegisterValue } | { op: 'read' };

/** Output of {@link setModel}: for a read, the elements it returned, in any order (ignored for an add). */
export type SetOutput = readonly RegisterValue[];

/**
 * State of {@link setModel}: the elements added so far, never changed in place, with their
 * sorted canonical keys (`key`) by which two states are compared.
 */
export interface SetState {
  readonly members: readonly RegisterValue[];
  /** The canonical key of each member. */
  readonly memberKeys: ReadonlySet<string>;
  readonly key: string;
}

const EMPTY: SetState = Object.freeze({ members: [], memberKeys: new Set<string>(), key: '' });

/** Why an operation is not a set operation. */
export function setOperationProblem(input: unknown, output: unknown): string | undefined {
  if (!isRecord(input)) return `input must be an object, got ${show(input)}`;
  const op = input['op'];
  if (op === 'add') return registerValueProblem(input['value'], 'input.value');
  if (op !== 'read') return `input.op must be "add" or "read" for the set model, got ${show(op)}`;
  if (output === undefined) return undefined;
  if (!Array.isArray(output)) return `output of a read must be an array of elements, got ${show(output)}`;
  for (let i = 0; i < output.length; i++) {
    const problem = registerValueProblem(output[i], `output[${i}] of a read`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * A grow-only set, as Knossos's `set`: `{ op: 'add', value }` adds an element,
 * `{ op: 'read' }` returns every element added so far, and is possible only when it returned
 * exactly those (in any order; an element returned twice is never possible). Elements are
 * register values (`1`, `"1"` and `1n` differ).
 *
 * @example
 * ```ts
 * import { check, setModel } from '@lattice/linearizability';
 *
 * check(setModel, [
 *   { process: 0, call: 0, return: 1, input: { op: 'add', value: 1 }, output: undefined },
 *   { process: 1, call: 2, return: 3, input: { op: 'read' }, output: [] },
 * ]).verdict; // 'not linearizable': the add finished before the read began
 * ```
 */
export const setModel: Model<SetState, SetInput, SetOutput> = {
  validateOperation: setOperationProblem,
  init: () => EMPTY,
  step(state, input, output) {
    if (input.op === 'add') {
      const added = valueKey(input.value);
      if (state.memberKeys.has(added)) return { ok: true, state };
      const memberKeys = new Set(state.memberKeys).add(added);
      return { ok: true, state: Object.freeze({ members: [...state.members, input.value], memberKeys, key: [...memberKeys].sort().join(',') }) };
    }
    if (output === undefined) return { ok: true, state };
    return { ok: sortedKeys(output).join(',') === state.key, state };
  },
  isReadOnly: (input) => input.op === 'read',
  mayBecomePossible(state, _input, output, writers) {
    if (output === undefined) return true;
    // Elements are never removed: every member must be in the read, and every element of the
    // read that is not yet a member needs a remaining add of it.
    const read = new Set(sortedKeys(output));
    if (read.size !== output.length) return false;
    for (const member of state.memberKeys) if (!read.has(member)) return false;
    const addable = new Set(writers.map((w) => (w.op === 'add' ? valueKey(w.value) : '')));
    for (const element of read) if (!state.memberKeys.has(element) && !addable.has(element)) return false;
    return true;
  },
  equal: (a, b) => a.key === b.key,
  hash: (state) => state.key,
  describeOperation: (input, output) =>
    input.op === 'add' ? `add ${describeValue(input.value)}` : `read -> ${output === undefined ? '?' : `{${output.map(describeValue).join(', ')}}`}`,
  describeState: (state) => `{${state.members.map(describeValue).join(', ')}}`,
};
