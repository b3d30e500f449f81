import { EdnKeyword, EdnMap, EdnSyntaxError, type EdnValue, ednText, readEdnElements } from './edn.js';
import { InvalidArgumentError } from '@lattice/core';
import { MalformedHistoryError } from './errors.js';
import { isKnossosModelName, JEPSEN_READERS, type KnossosHistory, type KnossosModelName, type NilReads, nilReadsOption, readValue } from './jepsen-operations.js';
import { type JepsenEvent, pairEvents } from './pair-events.js';
import { parseArguments } from './parse-arguments.js';
import { processIdProblem } from './process-id.js';
import type { ParseOptions } from './jepsen-log.js';
import type { CasRegisterInput, CasRegisterOutput } from './models/cas-register.js';
import type { KvInput, KvOutput } from './models/kv.js';
import type { RegisterValue } from './models/register.js';
import type { Operation } from './types.js';

interface RawEvent extends JepsenEvent {
  map: EdnMap;
}

function keywordName(value: EdnValue | undefined): string | undefined {
  return value instanceof EdnKeyword ? value.name : undefined;
}

/** An event's `:time` (only displayed, so a bigint beyond 2^53 ns, 104 days, may round). */
function timeOf(value: EdnValue | undefined, source: string, line: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  throw new MalformedHistoryError(source, line, `:time must be a number, got ${ednText(value)}`);
}

/** Reads the events of an EDN history, skipping nemesis (non-client) events. */
export function readEvents(text: string, source: string): RawEvent[] {
  let forms: ReturnType<typeof readEdnElements>;
  try {
    forms = readEdnElements(text);
  } catch (error) {
    if (error instanceof EdnSyntaxError) throw new MalformedHistoryError(source, error.line, `malformed EDN: ${error.message}`, { cause: error });
    throw error;
  }
  const events: RawEvent[] = [];
  for (const { value, line } of forms) {
    if (!(value instanceof EdnMap)) throw new MalformedHistoryError(source, line, `expected an operation map, got ${ednText(value).slice(0, 60)}`);
    const process = value.get(':process');
    if (process instanceof EdnKeyword) continue; // :nemesis and friends are not clients
    if (typeof process !== 'number' && typeof process !== 'string') {
      const problem = typeof process === 'bigint' ? `: ${processIdProblem(process)}` : '';
      throw new MalformedHistoryError(source, line, `missing or bad :process (${process === undefined ? 'absent' : ednText(process)})${problem}`);
    }
    const problem = processIdProblem(process);
    if (problem !== undefined) throw new MalformedHistoryError(source, line, `bad :process ${ednText(process)}: ${problem}`);
    const type = keywordName(value.get(':type'));
    if (type !== 'invoke' && type !== 'ok' && type !== 'fail' && type !== 'info') {
      throw new MalformedHistoryError(source, line, `:type must be :invoke, :ok, :fail or :info, got ${ednText(value.get(':type') ?? null)}`);
    }
    const f = keywordName(value.get(':f'));
    if (f === undefined) throw new MalformedHistoryError(source, line, `missing or bad :f (${ednText(value.get(':f') ?? null)})`);
    events.push({ line, process, type, f, map: value, value: value.get(':value'), time: timeOf(value.get(':time'), source, line) });
  }
  return events;
}

function registerValue(value: EdnValue | undefined, source: string, line: number, what: string): RegisterValue {
  if (value === undefined) throw new MalformedHistoryError(source, line, `missing :value for ${what}`);
  if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'bigint') return value;
  throw new MalformedHistoryError(source, line, `unsupported value ${ednText(value)} for ${what}`);
}

/**
 * Parses a Jepsen EDN history of a register (`:f` `:read`, `:write`, `:cas` with
 * `:value [FROM TO]`) into a history for {@link casRegisterModel} (or {@link registerModel}
 * when it has no cas).
 *
 * Jepsen semantics: `:ok` completed; `:fail` did not take effect (the operation is dropped);
 * `:info` and operations left open have an unknown outcome. Events of non-client processes
 * (`:process :nemesis`) are skipped. `call` and `return` are event positions; an event's
 * `:time` is kept as `invokedAt` / `completedAt`, which reports show.
 *
 * @example
 * ```ts
 * import { casRegisterModel, check, parseEdnRegisterHistory } from '@lattice/linearizability';
 *
 * const history = parseEdnRegisterHistory(`
 *   {:process 0, :type :invoke, :f :write, :value 1}
 *   {:process 0, :type :ok, :f :write, :value 1}
 *   {:process 1, :type :invoke, :f :read, :value nil}
 *   {:process 1, :type :ok, :f :read, :value 1}`);
 * check(casRegisterModel, history).verdict; // 'linearizable'
 * ```
 */
export function parseEdnRegisterHistory(text: string, options: EdnRegisterHistoryOptions = {}): Operation<CasRegisterInput, CasRegisterOutput>[] {
  const source = parseArguments(text, options);
  const nilReads = nilReadsOption(options.nilReads);
  const events = readEvents(text, source);
  return pairEvents<RawEvent, CasRegisterInput, CasRegisterOutput>(
    events,
    source,
    (event) => {
      switch (event.f) {
        case 'read':
          return { op: 'read' };
        case 'write':
          return { op: 'write', value: registerValue(event.map.get(':value'), source, event.line, ':write') };
        case 'cas': {
          const pair = event.map.get(':value');
          if (!Array.isArray(pair) || pair.length !== 2) {
            throw new MalformedHistoryError(source, event.line, `:cas needs :value [FROM TO], got ${ednText(pair ?? null)}`);
          }
          return {
            op: 'cas',
            from: registerValue(pair[0], source, event.line, ':cas'),
            to: registerValue(pair[1], source, event.line, ':cas'),
          };
        }
        default:
          throw new MalformedHistoryError(source, event.line, `unknown register operation :${event.f} (expected :read, :write or :cas)`);
      }
    },
    (event, input) => {
      if (input.op === 'read') return readValue(registerValue(event.map.get(':value'), source, event.line, ':read'), nilReads);
      if (input.op === 'cas') return true;
      return undefined;
    },
  );
}

/**
 * Parses a Jepsen EDN history of a key-value store (`:f` `:get`, `:put`, `:append`, with
 * `:key` and `:value`) into a history for {@link kvModel}. Semantics as
 * {@link parseEdnRegisterHistory}. A `:get` completing with `:value nil` read the empty string.
 *
 * @example
 * ```ts
 * import { check, kvModel, parseEdnKvHistory } from '@lattice/linearizability';
 *
 * const history = parseEdnKvHistory(`
 *   {:process 0, :type :invoke, :f :append, :key "k", :value "x"}
 *   {:process 0, :type :ok, :f :append, :key "k", :value "x"}
 *   {:process 1, :type :invoke, :f :get, :key "k", :value nil}
 *   {:process 1, :type :ok, :f :get, :key "k", :value "x"}`);
 * check(kvModel, history).verdict; // 'linearizable'
 * ```
 */
export function parseEdnKvHistory(text: string, options: ParseOptions = {}): Operation<KvInput, KvOutput>[] {
  const source = parseArguments(text, options);
  const events = readEvents(text, source);
  const keyOf = (event: RawEvent): string => {
    const key = event.map.get(':key');
    if (typeof key === 'string') return key;
    if (typeof key === 'number' || typeof key === 'bigint') return String(key);
    if (key instanceof EdnKeyword) return key.toString();
    throw new MalformedHistoryError(source, event.line, `missing or bad :key (${key === undefined ? 'absent' : ednText(key)})`);
  };
  const stringValue = (event: RawEvent): string => {
    const value = event.map.get(':value');
    if (typeof value === 'string') return value;
    if (value === null) return '';
    if (typeof value === 'number' || typeof value === 'bigint') return String(value);
    throw new MalformedHistoryError(source, event.line, `:${event.f} needs a string :value, got ${value === undefined ? 'none' : ednText(value)}`);
  };
  return pairEvents<RawEvent, KvInput, KvOutput>(
    events,
    source,
    (event) => {
      const key = keyOf(event);
      switch (event.f) {
        case 'get':
          return { op: 'get', key };
        case 'put':
          return { op: 'put', key, value: stringValue(event) };
        case 'append':
          return { op: 'append', key, value: stringValue(event) };
        default:
          throw new MalformedHistoryError(source, event.line, `unknown key-value operation :${event.f} (expected :get, :put or :append)`);
      }
    },
    (event, input) => {
      if (keyOf(event) !== input.key) throw new MalformedHistoryError(source, event.line, `completion for key ${JSON.stringify(keyOf(event))} of an operation on key ${JSON.stringify(input.key)}`);
      return input.op === 'get' ? stringValue(event) : undefined;
    },
  );
}

/** Options of {@link parseEdnRegisterHistory}. */
export interface EdnRegisterHistoryOptions extends ParseOptions {
  /**
   * What a `:read` completing with `nil` returned: `'absent'` (default: the register held no
   * value, `null`) or `'unknown'` (as Knossos reads it: `undefined`, constraining nothing).
   */
  nilReads?: NilReads;
}

/** Options of {@link parseEdnHistory}. */
export interface EdnHistoryOptions<M extends KnossosModelName = KnossosModelName> extends ParseOptions {
  /** The model whose operations the history holds. */
  model: M;
  /**
   * multi-register: what a micro-operation `[:r k nil]` in a completion read: `'absent'`
   * (default: `null`) or `'unknown'` (as Knossos reads it: `undefined`). Other models ignore it.
   */
  nilReads?: NilReads;
}

/**
 * Parses a Jepsen EDN history of one of Knossos's models into a history for it:
 *
 * | `model` | events | input / output |
 * | --- | --- | --- |
 * | `mutex` | `:f :acquire`, `:f :release` | `{ op: 'acquire' }`, `{ op: 'release' }`; no output |
 * | `multi-register` | `:f :txn, :value [[:r k nil] [:w k v]]` (`:r`/`:read`, `:w`/`:write`) | `{ op: 'txn', ops }`; the value each completed micro-operation read |
 * | `set` | `:f :add, :value x`, `:f :read` completing with `#{...}` or `[...]` | `{ op: 'add', value }`, `{ op: 'read' }`; the elements read |
 * | `unordered-queue`, `fifo-queue` | `:f :enqueue, :value x`, `:f :dequeue` | `{ op: 'enqueue', value }`, `{ op: 'dequeue' }`; the value dequeued, `null` for `nil` (the queue was empty) |
 *
 * Semantics as {@link parseEdnRegisterHistory}: `:fail` did not take effect (dropped), `:info`
 * and open operations have an unknown outcome, nemesis events are skipped. Keywords as keys or
 * values stand for their text (`:x` is `":x"`); `nil` read by a micro-operation is `null`
 * (absent), a set read as `nil` is empty.
 *
 * @example
 * ```ts
 * import { check, mutexModel, parseEdnHistory } from '@lattice/linearizability';
 *
 * const history = parseEdnHistory(`
 *   {:process 0, :type :invoke, :f :acquire}
 *   {:process 0, :type :ok, :f :acquire}
 *   {:process 1, :type :invoke, :f :acquire}
 *   {:process 1, :type :ok, :f :acquire}`, { model: 'mutex' });
 * check(mutexModel, history).verdict; // 'not linearizable': two clients hold the lock
 * ```
 */
export function parseEdnHistory<M extends KnossosModelName>(text: string, options: EdnHistoryOptions<M>): KnossosHistory<M> {
  const source = parseArguments(text, options);
  if (!isKnossosModelName(options?.model)) {
    throw new InvalidArgumentError(`options.model must be mutex, multi-register, set, unordered-queue or fifo-queue, got ${JSON.stringify(options?.model)} (registers and kv have parseEdnRegisterHistory and parseEdnKvHistory)`);
  }
  const reader = JEPSEN_READERS[options.model];
  const nilReads = nilReadsOption(options.nilReads);
  const events = readEvents(text, source);
  return pairEvents(
    events,
    source,
    (event) => reader.input(event, source),
    (event, input) => reader.output(event, input, source, nilReads),
  ) as KnossosHistory<M>;
}
