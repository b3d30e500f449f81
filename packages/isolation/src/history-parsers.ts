import { assertOptionalObject, describeValue, InvalidArgumentError } from '@lattice/core';
import { checkModel, checkOptionalString, processIdProblem } from './arguments.js';
import { EdnKeyword, type EdnMap, type EdnValue, readEdnForms } from './edn.js';
import { MalformedHistoryError } from './errors.js';
import type { DataModel, Key, MicroOp, Transaction, TransactionType, Value } from './types.js';
import { validateHistory } from './validate.js';

/** Options of the history parsers. */
export interface ParseHistoryOptions {
  /** The data model the micro-operations must fit. Default `'list-append'`. */
  readonly model?: DataModel;
  /** Name of the input in error messages (a file name). */
  readonly source?: string;
}

/**
 * Parses a JSON history: an array of {@link Transaction}s (or `{ "transactions": [...] }`),
 * as `JSON.stringify(history)` writes it.
 *
 * @throws MalformedHistoryError when the text is not JSON or a transaction is malformed.
 */
export function parseJsonHistory(text: string, options: ParseHistoryOptions = {}): Transaction[] {
  const { source, model } = checkParseArguments(text, options);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new MalformedHistoryError(`${source}: not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof data === 'object' && data !== null && !Array.isArray(data) && 'transactions' in data) data = (data as { transactions: unknown }).transactions;
  return validateHistory(data, model, source);
}

/** The text and options of a parser, checked: text a string, options an object of known fields. */
function checkParseArguments(text: unknown, options: ParseHistoryOptions): { source: string; model: DataModel } {
  if (typeof text !== 'string') throw new InvalidArgumentError(`history text must be a string, got ${describeValue(text)}`);
  assertOptionalObject(options, 'parse options');
  checkOptionalString(options.source, 'source');
  return { source: options.source ?? '<input>', model: checkModel(options.model ?? 'list-append') };
}

const ENTRY_TYPES = new Set(['invoke', 'ok', 'fail', 'info']);

function scalar(value: EdnValue): Key | undefined {
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (value instanceof EdnKeyword) return value.name;
  return undefined;
}

/**
 * Parses a Jepsen EDN history of transactions (`{:type :ok, :f :txn, :value [[:append 1 2]
 * [:r 1 [1 2]]], :process 0, :time 123}`), one map a line or one vector of maps. Invocations
 * are paired with completions per process; an invocation never completed becomes an `info`.
 * Call and return times are the `:time`s when every entry has one, else the entries' positions.
 * Entries of non-numeric processes (the nemesis) are skipped.
 *
 * @throws MalformedHistoryError naming the line of the offending entry.
 */
export function parseEdnHistory(text: string, options: ParseHistoryOptions = {}): Transaction[] {
  const { source, model } = checkParseArguments(text, options);
  const read = readEdnForms(text);
  if ('fault' in read) throw new MalformedHistoryError(`${source}:${read.fault.line}: ${read.fault.message}`);
  let entries: { value: EdnValue; line: number }[] = read.forms;
  if (entries.length === 1 && Array.isArray(entries[0]!.value)) {
    const line = entries[0]!.line;
    entries = (entries[0]!.value as EdnValue[]).map((value) => ({ value, line }));
  }
  interface Entry {
    type: string;
    process: number;
    ops: MicroOp[] | null;
    time: number | undefined;
    line: number;
  }
  const parsed: Entry[] = [];
  for (const { value, line } of entries) {
    const at = `${source}:${line}`;
    if (!(value instanceof Map)) throw new MalformedHistoryError(`${at}: a history entry is a map, got ${describeEdn(value)}`);
    const map = value as EdnMap;
    const type = map.get(':type');
    if (!(type instanceof EdnKeyword) || !ENTRY_TYPES.has(type.name)) throw new MalformedHistoryError(`${at}: :type must be :invoke, :ok, :fail or :info, got ${describeEdn(type ?? null)}`);
    const process = map.get(':process');
    if (typeof process !== 'number') {
      // The reader keeps an integer literal past 2^53 as its digits (as a number it would equal
      // its neighbours): a client's id too large to tell apart, not a named process to skip.
      if (typeof process === 'string' && /^[+-]?\d+$/.test(process)) throw new MalformedHistoryError(`${at}: process id ${process} is above 2^53 - 1, where distinct ids would merge`);
      if (process instanceof EdnKeyword || typeof process === 'string') continue;
      throw new MalformedHistoryError(`${at}: :process must be a number, got ${describeEdn(process ?? null)}`);
    }
    const processProblem = processIdProblem(process);
    if (processProblem !== undefined) throw new MalformedHistoryError(`${at}: ${processProblem}`);
    const time = map.get(':time');
    if (time !== undefined && time !== null && typeof time !== 'number') throw new MalformedHistoryError(`${at}: :time must be a number, got ${describeEdn(time)}`);
    const raw = map.get(':value') ?? null;
    parsed.push({ type: type.name, process, ops: raw === null ? null : parseOps(raw, model, at), time: time ?? undefined, line });
  }
  const useTime = parsed.every((e) => e.time !== undefined);
  const open = new Map<number, { entry: Entry; at: number; index: number }>();
  const slots: (Transaction | undefined)[] = [];
  for (let i = 0; i < parsed.length; i++) {
    const entry = parsed[i]!;
    const at = useTime ? entry.time! : i;
    if (entry.type === 'invoke') {
      if (open.has(entry.process)) throw new MalformedHistoryError(`${source}:${entry.line}: process ${entry.process} invoked a transaction while its last one is still open`);
      open.set(entry.process, { entry, at, index: slots.length });
      slots.push(undefined);
      continue;
    }
    const invocation = open.get(entry.process);
    open.delete(entry.process);
    const type = entry.type as TransactionType;
    const ops = entry.ops ?? invocation?.entry.ops;
    if (ops == null) throw new MalformedHistoryError(`${source}:${entry.line}: a completion without micro-operations and without an invocation that has them`);
    const txn: Transaction = {
      process: entry.process,
      type,
      call: invocation?.at ?? at,
      ...(type === 'info' ? {} : { return: at }),
      ops: type === 'info' ? forgetReads(ops) : ops,
    };
    if (invocation === undefined) slots.push(txn);
    else slots[invocation.index] = txn;
  }
  for (const { entry, at, index } of open.values()) {
    slots[index] = { process: entry.process, type: 'info', call: at, ops: forgetReads(entry.ops ?? []) };
  }
  return validateHistory(slots as Transaction[], model, source);
}

/** What an unfinished transaction read is unknown. */
function forgetReads(ops: readonly MicroOp[]): MicroOp[] {
  return ops.map((op) => (op[0] === 'r' ? (['r', op[1], null] as const) : op));
}

function parseOps(raw: EdnValue, model: DataModel, at: string): MicroOp[] {
  if (!Array.isArray(raw)) throw new MalformedHistoryError(`${at}: :value must be a vector of micro-operations, got ${describeEdn(raw)}`);
  return raw.map((op, j) => {
    if (!Array.isArray(op) || op.length !== 3) throw new MalformedHistoryError(`${at}: micro-operation ${j} must be [f key value], got ${describeEdn(op)}`);
    const [f, k, v] = op as [EdnValue, EdnValue, EdnValue];
    const name = f instanceof EdnKeyword ? f.name : f;
    const key = scalar(k);
    if (key === undefined) throw new MalformedHistoryError(`${at}: micro-operation ${j} has a key that is not a number, string or keyword: ${describeEdn(k)}`);
    if (name === 'r') {
      if (v === null) return ['r', key, null] as const;
      if (model === 'list-append') {
        if (!Array.isArray(v)) throw new MalformedHistoryError(`${at}: micro-operation ${j}: a list-append read returns a vector or nil, got ${describeEdn(v)}`);
        return ['r', key, v.map((e) => scalar(e) ?? badElement(at, j, e))] as const;
      }
      return ['r', key, scalar(v) ?? badElement(at, j, v)] as const;
    }
    if (name === 'append' || name === 'w') {
      const value = scalar(v) ?? badElement(at, j, v);
      return [name, key, value] as const;
    }
    throw new MalformedHistoryError(`${at}: micro-operation ${j} is ${describeEdn(f)}; expected :append, :w or :r`);
  });
}

function badElement(at: string, j: number, value: EdnValue): Value {
  throw new MalformedHistoryError(`${at}: micro-operation ${j} has a value that is not a number, string or keyword: ${describeEdn(value)}`);
}

function describeEdn(value: EdnValue): string {
  if (value === null) return 'nil';
  if (value instanceof EdnKeyword) return value.toString();
  if (Array.isArray(value)) return `a vector of ${value.length}`;
  if (value instanceof Map) return 'a map';
  if (value instanceof Set) return 'a set';
  return JSON.stringify(value);
}
