import { checkModel, checkOptionalString, processIdProblem } from './arguments.js';
import { MalformedHistoryError } from './errors.js';
import type { DataModel, Transaction } from './types.js';

const TYPES = new Set(['ok', 'fail', 'info']);

function isScalar(value: unknown): boolean {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return typeof value;
  }
}

/**
 * Checks that `history` is an array of transactions of `model` and returns it typed. Every
 * fault is a {@link MalformedHistoryError} naming the transaction and micro-operation, so that
 * nothing deep inside the checker meets a shape it does not expect.
 */
export function validateHistory(history: unknown, model: DataModel, source = '<input>'): Transaction[] {
  checkModel(model);
  checkOptionalString(source, 'source');
  if (!Array.isArray(history)) throw new MalformedHistoryError(`${source}: a history is an array of transactions, got ${describe(history)}`);
  for (let i = 0; i < history.length; i++) {
    const txn: unknown = history[i];
    const at = `${source}: transaction ${i}`;
    if (typeof txn !== 'object' || txn === null || Array.isArray(txn)) throw new MalformedHistoryError(`${at} is not an object: ${describe(txn)}`);
    const t = txn as Record<string, unknown>;
    const processProblem = processIdProblem(t.process);
    if (processProblem !== undefined) throw new MalformedHistoryError(`${at}: ${processProblem}`);
    if (typeof t.type !== 'string' || !TYPES.has(t.type)) throw new MalformedHistoryError(`${at}: type must be 'ok', 'fail' or 'info', got ${describe(t.type)}`);
    if (typeof t.call !== 'number' || !Number.isFinite(t.call)) throw new MalformedHistoryError(`${at}: call must be a finite number, got ${describe(t.call)}`);
    const ret = t.return;
    if (ret !== undefined && ret !== null) {
      if (typeof ret !== 'number' || !Number.isFinite(ret)) throw new MalformedHistoryError(`${at}: return must be a finite number, null or absent, got ${describe(ret)}`);
      if (ret < t.call) throw new MalformedHistoryError(`${at}: returned (${ret}) before it was called (${t.call})`);
    } else if (t.type === 'ok') {
      throw new MalformedHistoryError(`${at}: an ok transaction needs a return time`);
    }
    if (!Array.isArray(t.ops)) throw new MalformedHistoryError(`${at}: ops must be an array of micro-operations, got ${describe(t.ops)}`);
    for (let j = 0; j < t.ops.length; j++) validateOp(t.ops[j], model, `${at}, op ${j}`);
  }
  return history as Transaction[];
}

function validateOp(op: unknown, model: DataModel, at: string): void {
  if (!Array.isArray(op) || op.length !== 3) throw new MalformedHistoryError(`${at}: a micro-operation is [f, key, value], got ${describe(op)}`);
  const [f, key, value] = op as unknown[];
  if (!isScalar(key)) throw new MalformedHistoryError(`${at}: the key must be a number or a string, got ${describe(key)}`);
  const write = model === 'list-append' ? 'append' : 'w';
  if (f === write) {
    if (!isScalar(value)) throw new MalformedHistoryError(`${at}: ${write} needs a number or string value, got ${describe(value)}`);
    return;
  }
  if (f !== 'r') throw new MalformedHistoryError(`${at}: a ${model} micro-operation is '${write}' or 'r', got ${describe(f)}`);
  if (value === null) return;
  if (model === 'list-append') {
    if (!Array.isArray(value)) throw new MalformedHistoryError(`${at}: a list-append read returns a list or null, got ${describe(value)}`);
    for (const element of value) {
      if (!isScalar(element)) throw new MalformedHistoryError(`${at}: a list element must be a number or a string, got ${describe(element)}`);
    }
  } else if (!isScalar(value)) {
    throw new MalformedHistoryError(`${at}: an rw-register read returns a number, a string or null, got ${describe(value)}`);
  }
}
