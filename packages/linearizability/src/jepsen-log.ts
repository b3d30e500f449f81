import { EdnKeyword, EdnSyntaxError, type EdnValue, readEdn } from './edn.js';
import { MalformedHistoryError } from './errors.js';
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

function failAt(source: string, line: number, message: string, cause?: unknown): never {
  throw new MalformedHistoryError(source, line, message, cause === undefined ? undefined : { cause });
}

const EVENT = /^INFO\s+jepsen\.util\s+-\s+(.*)$/;
const FIELDS = /^(\S+)\s+(\S+)\s+(\S+)(?:\s+(.*?))?\s*$/;
const SIMPLE_VALUE = /^(?:nil|(-?\d{1,15})|\[(-?\d{1,15}) (-?\d{1,15})\]|:([a-z][\w-]*))$/;

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
export function parseJepsenLog(text: string, options: ParseOptions = {}): Operation<CasRegisterInput, CasRegisterOutput>[] {
  const source = parseArguments(text, options);
  const lines = text.split('\n');
  const open = new Map<string, Open>();
  const dropped = new Set<Operation<CasRegisterInput, CasRegisterOutput>>();
  const history: Operation<CasRegisterInput, CasRegisterOutput>[] = [];

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!.replace(/\r$/, '');
    const event = EVENT.exec(raw.trim());
    if (event === null) continue;
    const fields = FIELDS.exec(event[1]!);
    if (fields === null) failAt(source, lineNo, `expected "PROCESS :TYPE :F VALUE", got ${JSON.stringify(event[1])}`);
    const [, processText, type, f, valueText = ''] = fields!;
    if (!/^\d+$/.test(processText!)) failAt(source, lineNo, `bad process id ${JSON.stringify(processText)}`);
    const process = Number(processText);
    const problem = processIdProblem(process);
    if (problem !== undefined) failAt(source, lineNo, `bad process id ${processText}: ${problem}`);
    if (type !== ':invoke' && type !== ':ok' && type !== ':fail' && type !== ':info') failAt(source, lineNo, `unknown event type ${type}`);
    if (f !== ':read' && f !== ':write' && f !== ':cas') failAt(source, lineNo, `unknown operation ${f} (expected :read, :write or :cas)`);
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
      op.output = v!;
    } else if (f === ':cas') op.output = true;
    else op.output = undefined;
  }
  return dropped.size === 0 ? history : history.filter((op) => !dropped.has(op));
}
