import { InvalidArgumentError } from '@lattice/core';
import { EdnKeyword, EdnSyntaxError, type EdnValue, readEdn } from './edn.js';
import { MalformedHistoryError } from './errors.js';
import { isKnossosModelName, JEPSEN_READERS, type KnossosHistory, type KnossosModelName, type NilReads, nilReadsOption, readValue } from './jepsen-operations.js';
import { type JepsenEvent, pairEvents } from './pair-events.js';
import { parseArguments } from './parse-arguments.js';
import { processIdProblem } from './process-id.js';
import type { RegisterValue } from './models/register.js';
import type { CasRegisterInput, CasRegisterOutput } from './models/cas-register.js';
import type { Operation } from './types.js';

/** Options of the history parsers. */
export interface ParseOptions {
  /** Name of the input (a file name) used in error messages. Default `'<input>'`. */
  source?: string;
}

/** Options of {@link parseJepsenLog}. */
export interface JepsenLogOptions extends ParseOptions {
  /**
   * The model whose operations the log holds: `cas-register` (the default, which also reads
   * plain register logs) or one of Knossos's models, read as {@link parseEdnHistory} reads them.
   */
  model?: 'register' | 'cas-register' | KnossosModelName;
  /**
   * What a read completing with `nil` (`:ok :read nil`, or `[:r k nil]` in a multi-register
   * `:txn`) returned: `'absent'` (default: the register held no value, `null`) or `'unknown'`
   * (as Knossos reads it: `undefined`, constraining nothing).
   */
  nilReads?: NilReads;
}

function failAt(source: string, line: number, message: string, cause?: unknown): never {
  throw new MalformedHistoryError(source, line, message, cause === undefined ? undefined : { cause });
}

const EVENT = /^INFO\s+jepsen\.util\s+-\s+(.*)$/;
const FIELDS = /^(\S+)\s+(\S+)\s+(\S+)(?:\s+(.*?))?\s*$/;
const SIMPLE_VALUE = /^(?:nil|(-?\d{1,15})|\[(-?\d{1,15}) (-?\d{1,15})\]|:([a-z][\w-]*))$/;

interface LogLine {
  process: number;
  type: ':invoke' | ':ok' | ':fail' | ':info';
  /** `:f` with its colon. */
  f: string;
  value: EdnValue;
  valueText: string;
}

/**
 * One `PROCESS :TYPE :F VALUE` event (the text after `INFO jepsen.util -`). `checkF` refuses
 * an operation the caller does not know before its value is read.
 */
function readLogLine(text: string, lineNo: number, source: string, checkF: (f: string) => void): LogLine {
  const fields = FIELDS.exec(text);
  if (fields === null) failAt(source, lineNo, `expected "PROCESS :TYPE :F VALUE", got ${JSON.stringify(text)}`);
  const [, processText, type, f, valueText = ''] = fields!;
  if (!/^\d+$/.test(processText!)) failAt(source, lineNo, `bad process id ${JSON.stringify(processText)}`);
  const process = Number(processText);
  const problem = processIdProblem(process);
  if (problem !== undefined) failAt(source, lineNo, `bad process id ${processText}: ${problem}`);
  if (type !== ':invoke' && type !== ':ok' && type !== ':fail' && type !== ':info') failAt(source, lineNo, `unknown event type ${type}`);
  checkF(f!);
  let value: EdnValue = null;
  const simple = SIMPLE_VALUE.exec(valueText);
  if (simple !== null) {
    // Fast paths for what etcd logs hold: nil, an integer, [FROM TO], a keyword.
    if (simple[1] !== undefined) value = Number(simple[1]);
    else if (simple[2] !== undefined) value = [Number(simple[2]), Number(simple[3])];
    else if (simple[4] !== undefined) value = new EdnKeyword(simple[4]);
  } else if (valueText !== '') {
    try {
      value = readEdn(valueText);
    } catch (error) {
      failAt(source, lineNo, `malformed value ${JSON.stringify(valueText)}${error instanceof EdnSyntaxError ? `: ${error.message}` : ''}`, error);
    }
  }
  return { process, type: type as LogLine['type'], f: f!, value, valueText };
}

/**
 * Parses a Jepsen log of a Knossos model: `PROCESS :TYPE :F VALUE` events, `:f` without its
 * colon, times the line numbers; a `:fail` whose value is `:timed-out` has an unknown outcome.
 */
function parseKnossosLog(text: string, source: string, model: KnossosModelName, nilReads: NilReads): Operation<unknown, unknown>[] {
  const reader = JEPSEN_READERS[model];
  const events: JepsenEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const event = EVENT.exec(lines[i]!.replace(/\r$/, '').trim());
    if (event === null) continue;
    const { process, type, f, value } = readLogLine(event[1]!, i + 1, source, (f) => {
      if (!/^:[^\s:]/.test(f)) failAt(source, i + 1, `bad operation ${f} (expected a keyword such as :acquire)`);
    });
    events.push({ line: i + 1, position: i + 1, process, type: type.slice(1) as JepsenEvent['type'], f: f.slice(1), value, time: undefined });
  }
  return pairEvents(
    events,
    source,
    (event) => reader.input(event, source),
    (event, input) => reader.output(event, input, source, nilReads),
    { failIsUnknown: (event) => event.value instanceof EdnKeyword && event.value.name === 'timed-out' },
  );
}

interface Open {
  op: Operation<CasRegisterInput, CasRegisterOutput>;
  f: string;
  line: number;
}

function registerValue(value: EdnValue): RegisterValue | undefined {
  if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'bigint') return value;
  return undefined;
}

/**
 * Parses a Jepsen log of a compare-and-set register (the etcd test's format), e.g.
 * `INFO  jepsen.util - 3	:ok	:cas	[0 3]`, into a history for {@link casRegisterModel}.
 *
 * - Lines that do not start with `INFO jepsen.util -` are log noise and skipped; those that
 *   do must be well-formed events, else {@link MalformedHistoryError} names the line.
 * - `:ok :read V` returns V (`nil` = absent); `:ok :cas` returns `true`;
 *   `:fail :cas` returns `false` (the compare did not match: the cas happened without effect).
 * - `:fail :read` (e.g. `:timed-out`) completes a read with an unknown value (constrains nothing);
 *   `:fail :write` did not take effect and is dropped.
 * - `:info` (e.g. `:timed-out`) and operations still open at the end have an unknown outcome
 *   (`return: undefined`).
 * - Times are line numbers.
 *
 * With `options.model` set to one of Knossos's models (`mutex`, `multi-register`, `set`,
 * `unordered-queue`, `fifo-queue`), the log holds that model's operations, e.g.
 * `INFO  jepsen.util - 2	:ok	:txn	[[:r 1 3] [:w 2 4]]`, read as {@link parseEdnHistory}
 * reads them: `:fail` did not take effect (dropped) unless its value is `:timed-out`, `:info`
 * is unknown.
 *
 * @example
 * ```ts
 * import { casRegisterModel, check, parseJepsenLog } from '@lattice/linearizability';
 *
 * const history = parseJepsenLog(
 *   'INFO  jepsen.util - 0\t:invoke\t:write\t1\nINFO  jepsen.util - 0\t:ok\t:write\t1\n',
 *   { source: 'etcd.log' },
 * );
 * check(casRegisterModel, history).verdict; // 'linearizable'
 * ```
 */
export function parseJepsenLog<M extends KnossosModelName>(text: string, options: JepsenLogOptions & { model: M }): KnossosHistory<M>;
export function parseJepsenLog(text: string, options?: JepsenLogOptions & { model?: 'register' | 'cas-register' | undefined }): Operation<CasRegisterInput, CasRegisterOutput>[];
export function parseJepsenLog(text: string, options: JepsenLogOptions = {}): Operation<unknown, unknown>[] {
  const source = parseArguments(text, options);
  const model = options.model;
  const nilReads = nilReadsOption(options.nilReads);
  if (isKnossosModelName(model)) return parseKnossosLog(text, source, model, nilReads);
  if (model !== undefined && model !== 'register' && model !== 'cas-register') {
    throw new InvalidArgumentError(`options.model must be register, cas-register, mutex, multi-register, set, unordered-queue or fifo-queue, got ${JSON.stringify(model)}`);
  }
  const lines = text.split('\n');
  const open = new Map<string, Open>();
  const dropped = new Set<Operation<CasRegisterInput, CasRegisterOutput>>();
  const history: Operation<CasRegisterInput, CasRegisterOutput>[] = [];

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!.replace(/\r$/, '');
    const event = EVENT.exec(raw.trim());
    if (event === null) continue;
    const parsed = readLogLine(event[1]!, lineNo, source, (f) => {
      if (f !== ':read' && f !== ':write' && f !== ':cas') failAt(source, lineNo, `unknown operation ${f} (expected :read, :write or :cas)`);
    });
    const { process, type, f, value, valueText } = parsed;
    const key = String(process);
    const timedOut = value instanceof EdnKeyword;

    if (type === ':invoke') {
      const previous = open.get(key);
      if (previous !== undefined) failAt(source, lineNo, `process ${process} invoked ${f} while its ${previous.f} from line ${previous.line} is still open`);
      let input: CasRegisterInput;
      if (f === ':read') input = { op: 'read' };
      else if (f === ':write') {
        const v = registerValue(value);
        if (v === undefined) failAt(source, lineNo, `write of an unsupported value ${valueText}`);
        input = { op: 'write', value: v! };
      } else {
        if (!Array.isArray(value) || value.length !== 2) failAt(source, lineNo, `cas needs [FROM TO], got ${valueText}`);
        const pair = value as EdnValue[];
        const from = registerValue(pair[0]!);
        const to = registerValue(pair[1]!);
        if (from === undefined || to === undefined) failAt(source, lineNo, `cas of unsupported values ${valueText}`);
        input = { op: 'cas', from: from!, to: to! };
      }
      const op: Operation<CasRegisterInput, CasRegisterOutput> = { process, call: lineNo, return: undefined, input, output: undefined };
      open.set(key, { op, f: f!, line: lineNo });
      history.push(op);
      continue;
    }

    const pending = open.get(key);
    if (pending === undefined) failAt(source, lineNo, `${type} ${f} for process ${process}, which has no open operation`);
    if (pending!.f !== f) failAt(source, lineNo, `${type} ${f} for process ${process}, whose open operation (line ${pending!.line}) is ${pending!.f}`);
    open.delete(key);
    const op = pending!.op;
    if (type === ':info') continue; // unknown outcome: return stays undefined
    if (type === ':fail') {
      if (f === ':cas' && !timedOut) {
        op.return = lineNo;
        op.output = false;
      } else if (f === ':read') {
        op.return = lineNo;
        op.output = undefined;
      } else if (timedOut) {
        // A timed-out write or cas reported as :fail: treat as unknown, like :info.
      } else {
        dropped.add(op);
      }
      continue;
    }
    // :ok
    op.return = lineNo;
    if (f === ':read') {
      const v = registerValue(value);
      if (v === undefined) failAt(source, lineNo, `read returned an unsupported value ${valueText}`);
      op.output = readValue(v!, nilReads);
    } else if (f === ':cas') op.output = true;
    else op.output = undefined;
  }
  return dropped.size === 0 ? history : history.filter((op) => !dropped.has(op));
}
