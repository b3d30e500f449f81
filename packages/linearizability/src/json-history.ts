import { InvalidArgumentError } from '@lattice/core';
import { MalformedHistoryError } from './errors.js';
import type { ParseOptions } from './jepsen-log.js';
import type { CasRegisterInput, CasRegisterOutput } from './models/cas-register.js';
import type { KvInput, KvOutput } from './models/kv.js';
import { isKnossosModelName, type BuiltInModelName, type KnossosHistory, type KnossosModelName } from './jepsen-operations.js';
import { multiRegisterOperationProblem } from './models/multi-register.js';
import { mutexOperationProblem } from './models/mutex.js';
import { kvOperationProblem, registerOperationProblem } from './models/operation-shapes.js';
import { queueOperationProblem } from './models/queue-operations.js';
import { setOperationProblem } from './models/set.js';
import { parseArguments } from './parse-arguments.js';
import { processIdProblem } from './process-id.js';
import type { Operation } from './types.js';

/** The built-in models whose inputs {@link parseJsonHistory} can check. */
export type JsonHistoryModel = BuiltInModelName;

const KNOSSOS_PROBLEMS: Readonly<Record<KnossosModelName, (input: unknown, output: unknown) => string | undefined>> = {
  mutex: mutexOperationProblem,
  'multi-register': multiRegisterOperationProblem,
  set: setOperationProblem,
  'unordered-queue': (input, output) => queueOperationProblem(input, output, 'unordered-queue'),
  'fifo-queue': (input, output) => queueOperationProblem(input, output, 'fifo-queue'),
};

/** The first number in `value` (searched a few levels deep) that JSON.parse may have rounded. */
function roundedNumber(value: unknown, where: string, depth = 0): string | undefined {
  if (typeof value === 'number') {
    const problem = numberProblem(value);
    return problem === undefined ? undefined : `${where}: ${problem}`;
  }
  if (depth > 4 || typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const problem = roundedNumber(item, Array.isArray(value) ? `${where}[${key}]` : `${where}.${key}`, depth + 1);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** Options of {@link parseJsonHistory}. */
export interface JsonHistoryOptions extends ParseOptions {
  /**
   * Check every input and output against this built-in model's types (so a wrong shape is a
   * {@link MalformedHistoryError} naming the operation, not a failure inside the checker).
   * Without it, inputs and outputs are taken as they are.
   */
  model?: JsonHistoryModel;
}

/** The 1-based line of character `position`. */
function lineAt(text: string, position: number): number {
  let line = 1;
  for (let i = 0; i < position && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The 1-based line where element `index` of the top-level JSON array starts (error path only). */
function lineOfElement(text: string, index: number): number {
  let depth = 0;
  let inString = false;
  let seen = -1;
  let expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (expectElement && ch !== ' ' && ch !== '\n' && ch !== '\r' && ch !== '\t') {
      expectElement = false;
      if (++seen === index) return lineAt(text, i);
    }
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') {
      depth++;
      if (depth === 1) expectElement = true;
    } else if (ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 1) expectElement = true;
  }
  return 1;
}

/** Reports what is wrong with the operation being read; never returns. */
type Fail = (message: string) => never;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON has one number type: integers at or above 2^53 may already have been rounded by JSON.parse. */
function numberProblem(value: number): string | undefined {
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) return `${value} is beyond 2^53 - 1 and may have lost precision (write it as a string)`;
  return undefined;
}

/** The model's own shape rules, then JSON's: integers beyond 2^53 - 1 may already have been rounded. */
function checkInput(model: JsonHistoryModel, input: unknown, output: unknown, fail: Fail): void {
  if (isKnossosModelName(model)) {
    const problem = KNOSSOS_PROBLEMS[model](input, output) ?? roundedNumber(input, 'input') ?? roundedNumber(output, 'output');
    if (problem !== undefined) fail(problem);
    return;
  }
  const problem = model === 'kv' ? kvOperationProblem(input, output) : registerOperationProblem(input, output, model === 'cas-register', true);
  if (problem !== undefined) fail(problem);
  if (model === 'kv') return;
  const record = input as Record<string, unknown>;
  for (const [where, value] of [['input.value', record['value']], ['input.from', record['from']], ['input.to', record['to']], ['output', output]] as const) {
    const numeric = typeof value === 'number' ? numberProblem(value) : undefined;
    if (numeric !== undefined) fail(`${where}: ${numeric}`);
  }
}

function time(value: unknown, field: string, optional: boolean, fail: Fail): number | undefined {
  if (value === undefined || (optional && value === null)) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(`${field} must be a finite number, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * Parses the library's own JSON history format: an array of {@link Operation}s, exactly what
 * `JSON.stringify(history)` writes. `return` absent or `null` means the outcome is unknown;
 * `output` absent means the answer is unknown (`null` is a value: the register's "absent", the
 * empty queue's dequeue). A multi-register output is an array with an entry per micro-operation
 * (`null` for writes, whose entries are ignored), a set read's output an array of elements.
 * Process ids must be strings or non-negative safe integers; times finite numbers; with
 * `options.model`, inputs and outputs must have that model's types. Anything else is a
 * {@link MalformedHistoryError} naming the line and the operation.
 *
 * @example
 * ```ts
 * import { check, parseJsonHistory, registerModel } from '@lattice/linearizability';
 *
 * const history = parseJsonHistory(
 *   '[{"process":0,"call":0,"return":1,"input":{"op":"write","value":1}},' +
 *     '{"process":1,"call":2,"return":3,"input":{"op":"read"},"output":1}]',
 *   { model: 'register' },
 * );
 * check(registerModel, history).verdict; // 'linearizable'
 * ```
 */
export function parseJsonHistory(text: string, options: JsonHistoryOptions & { model: 'kv' }): Operation<KvInput, KvOutput>[];
export function parseJsonHistory(text: string, options: JsonHistoryOptions & { model: 'register' | 'cas-register' }): Operation<CasRegisterInput, CasRegisterOutput>[];
export function parseJsonHistory<M extends KnossosModelName>(text: string, options: JsonHistoryOptions & { model: M }): KnossosHistory<M>;
export function parseJsonHistory(text: string, options?: JsonHistoryOptions): Operation<unknown, unknown>[];
export function parseJsonHistory(text: string, options: JsonHistoryOptions = {}): Operation<unknown, unknown>[] {
  const source = parseArguments(text, options);
  const model = options.model;
  if (model !== undefined && model !== 'register' && model !== 'cas-register' && model !== 'kv' && !isKnossosModelName(model)) {
    throw new InvalidArgumentError(`options.model must be register, cas-register, kv, mutex, multi-register, set, unordered-queue or fifo-queue, got ${JSON.stringify(model)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message);
    throw new MalformedHistoryError(source, position === null ? 1 : lineAt(text, Number(position[1])), `malformed JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!Array.isArray(parsed)) throw new MalformedHistoryError(source, 1, 'a JSON history must be an array of operations');
  const history: Operation<unknown, unknown>[] = [];
  for (let i = 0; i < parsed.length; i++) {
    const raw: unknown = parsed[i];
    const fail: Fail = (message) => {
      throw new MalformedHistoryError(source, lineOfElement(text, i), `operation ${i}: ${message}`);
    };
    if (!isRecord(raw)) fail(`expected an operation object, got ${JSON.stringify(raw)?.slice(0, 60)}`);
    const problem = processIdProblem(raw['process']);
    if (problem !== undefined) fail(`bad process ${JSON.stringify(raw['process'])}: ${problem}`);
    const call = time(raw['call'], 'call', false, fail);
    if (call === undefined) fail('call is missing');
    const ret = time(raw['return'], 'return', true, fail);
    if (ret !== undefined && ret < call) fail(`return ${ret} is before call ${call}`);
    if (!('input' in raw)) fail('input is missing');
    const output = raw['output'];
    if (model !== undefined) checkInput(model, raw['input'], output, fail);
    const op: Operation<unknown, unknown> = { process: raw['process'] as string | number, call, return: ret, input: raw['input'], output };
    const invokedAt = time(raw['invokedAt'], 'invokedAt', true, fail);
    const completedAt = time(raw['completedAt'], 'completedAt', true, fail);
    if (invokedAt !== undefined) op.invokedAt = invokedAt;
    if (completedAt !== undefined) op.completedAt = completedAt;
    history.push(op);
  }
  return history;
}
