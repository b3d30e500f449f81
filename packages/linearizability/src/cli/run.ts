import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { isLatticeError, LatticeError, type LatticeErrorOptions } from '@lattice/core';
import { check } from '../check.js';
import { parseEdnHistory, parseEdnKvHistory, parseEdnRegisterHistory } from '../edn-history.js';
import { type BuiltInModelName, isKnossosModelName, type NilReads } from '../jepsen-operations.js';
import { MalformedHistoryError } from '../errors.js';
import { parseJepsenLog } from '../jepsen-log.js';
import { parseJsonHistory } from '../json-history.js';
import { describeOperation, describeSpan } from '../describe-operation.js';
import { casRegisterModel } from '../models/cas-register.js';
import { fifoQueueModel } from '../models/fifo-queue.js';
import { kvModel } from '../models/kv.js';
import { multiRegisterModel } from '../models/multi-register.js';
import { mutexModel } from '../models/mutex.js';
import { registerModel } from '../models/register.js';
import { setModel } from '../models/set.js';
import { unorderedQueueModel } from '../models/unordered-queue.js';
import { renderReport } from '../report.js';
import type { CheckResult, Model, Operation, Verdict } from '../types.js';

/** Where the CLI writes; injected so tests can capture it. */
export interface CliIo {
  stdout(line: string): void;
  stderr(line: string): void;
}

export const USAGE = `Usage: lattice-lincheck --model <name> --format <jepsen-log|edn|json> [options] FILE...

Checks each history FILE for linearizability and prints one line per file:
FILE, a tab, then "linearizable", "not linearizable" or "unknown". A history that is not
linearizable is followed by a line naming the operation that could not be placed.

Options:
  --model M         register, cas-register, kv, mutex, multi-register, set,
                    unordered-queue or fifo-queue
  --format F        jepsen-log (Jepsen logs: INFO jepsen.util - P :type :f value; every model
                    but kv), edn (Jepsen EDN histories) or json (the library's own format:
                    a JSON array of operations)
  --timeout MS      give up on a file after MS milliseconds (its verdict is then "unknown")
  --report DIR      write an HTML report for every file that is not linearizable into DIR
  --nil-reads R     what a register read answering nil returned (register, cas-register and
                    multi-register; jepsen-log and edn): absent (the default: the register
                    held no value) or unknown (as Knossos reads it: any value)
  --no-partition    check kv histories as a whole instead of per key
  --exhaustive      keep checking other partitions after a violation
  -h, --help        show this help

Exit status: 0 when every file is linearizable, 1 when any is not, 2 otherwise
(an unknown verdict, an unreadable or malformed file, or bad usage).`;

type AnyModel = Model<unknown, unknown, unknown>;

interface Parsed {
  model: AnyModel;
  history: Operation<unknown, unknown>[];
}

type ModelName = BuiltInModelName;

const MODEL_NAMES: readonly ModelName[] = ['register', 'cas-register', 'kv', 'mutex', 'multi-register', 'set', 'unordered-queue', 'fifo-queue'];

const MODELS: Readonly<Record<ModelName, AnyModel>> = {
  register: registerModel as AnyModel,
  'cas-register': casRegisterModel as AnyModel,
  kv: kvModel as AnyModel,
  mutex: mutexModel as AnyModel,
  'multi-register': multiRegisterModel as AnyModel,
  set: setModel as AnyModel,
  'unordered-queue': unorderedQueueModel as AnyModel,
  'fifo-queue': fifoQueueModel as AnyModel,
};

function load(modelName: ModelName, format: string, text: string, source: string, nilReads: NilReads): Parsed {
  if (format === 'json') return { model: MODELS[modelName], history: parseJsonHistory(text, { source, model: modelName }) };
  if (isKnossosModelName(modelName)) {
    const history = format === 'edn' ? parseEdnHistory(text, { source, model: modelName, nilReads }) : parseJepsenLog(text, { source, model: modelName, nilReads });
    return { model: MODELS[modelName], history: history as Operation<unknown, unknown>[] };
  }
  if (format === 'jepsen-log') {
    const history = parseJepsenLog(text, { source, nilReads });
    if (modelName === 'register') {
      const cas = history.findIndex((op) => op.input.op === 'cas');
      if (cas >= 0) throw new UsageError(`${source}: the history has cas operations; use --model cas-register`);
      return { model: registerModel as AnyModel, history: history as Operation<unknown, unknown>[] };
    }
    return { model: casRegisterModel as AnyModel, history: history as Operation<unknown, unknown>[] };
  }
  if (modelName === 'kv') return { model: kvModel as AnyModel, history: parseEdnKvHistory(text, { source }) as Operation<unknown, unknown>[] };
  const history = parseEdnRegisterHistory(text, { source, nilReads });
  if (modelName === 'register' && history.some((op) => op.input.op === 'cas')) {
    throw new UsageError(`${source}: the history has cas operations; use --model cas-register`);
  }
  return { model: (modelName === 'register' ? registerModel : casRegisterModel) as AnyModel, history: history as Operation<unknown, unknown>[] };
}

/** Thrown when the command line or the history does not fit the chosen model; exits with status 2. */
class UsageError extends LatticeError {
  static readonly code = 'ERR_USAGE';
  override readonly name = 'UsageError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(UsageError.code, message, options);
  }
}

function reportName(file: string, used: Set<string>): string {
  const base = basename(file).replace(/[^A-Za-z0-9._-]/g, '_') || 'history';
  let name = `${base}.html`;
  for (let n = 2; used.has(name); n++) name = `${base}-${n}.html`;
  used.add(name);
  return name;
}

/**
 * Runs the `lattice-lincheck` command line with `args` (without the node and script paths) and
 * returns the exit status.
 */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  let files: string[];
  function parse(argv: string[]) {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        format: { type: 'string' },
        timeout: { type: 'string' },
        report: { type: 'string' },
        'nil-reads': { type: 'string' },
        'no-partition': { type: 'boolean' },
        exhaustive: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  }
  try {
    const parsed = parse(args);
    values = parsed.values;
    files = parsed.positionals;
  } catch (error) {
    io.stderr(`lattice-lincheck: ${(error as Error).message}`);
    io.stderr(USAGE);
    return 2;
  }
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  const modelOption = values.model;
  const format = values.format;
  const usage = (message: string): number => {
    io.stderr(`lattice-lincheck: ${message}`);
    io.stderr(USAGE);
    return 2;
  };
  const modelName = MODEL_NAMES.find((name) => name === modelOption);
  if (modelName === undefined) return usage(`--model must be ${MODEL_NAMES.slice(0, -1).join(', ')} or ${MODEL_NAMES.at(-1)} (got ${modelOption ?? 'nothing'})`);
  if (format !== 'jepsen-log' && format !== 'edn' && format !== 'json') return usage(`--format must be jepsen-log, edn or json (got ${format ?? 'nothing'})`);
  if (format === 'jepsen-log' && modelName === 'kv') return usage('--format jepsen-log holds register histories; use --format edn for kv');
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    timeoutMs = Number(values.timeout);
    if (!(timeoutMs >= 0)) return usage(`--timeout must be a number of milliseconds >= 0 (got ${values.timeout})`);
  }
  const nilReads = values['nil-reads'] ?? 'absent';
  if (nilReads !== 'absent' && nilReads !== 'unknown') return usage(`--nil-reads must be absent or unknown (got ${nilReads})`);
  if (values['nil-reads'] !== undefined && (!['register', 'cas-register', 'multi-register'].includes(modelName) || format === 'json')) {
    return usage('--nil-reads applies to register, cas-register and multi-register histories in jepsen-log or edn (json writes an unknown answer as an absent output)');
  }
  if (files.length === 0) return usage('no history files given');

  const verdicts: (Verdict | 'error')[] = [];
  const usedNames = new Set<string>();
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      io.stderr(`lattice-lincheck: cannot read ${file}: ${(error as Error).message}`);
      verdicts.push('error');
      continue;
    }
    let loaded: Parsed;
    try {
      loaded = load(modelName, format, text, file, nilReads);
    } catch (error) {
      if (error instanceof UsageError || isLatticeError(error, MalformedHistoryError.code)) {
        io.stderr(`lattice-lincheck: ${(error as Error).message}`);
        verdicts.push('error');
        continue;
      }
      throw error;
    }
    const result: CheckResult<unknown, unknown> = check(loaded.model, loaded.history, {
      timeoutMs,
      noPartition: values['no-partition'] === true,
      exhaustive: values.exhaustive === true,
    });
    io.stdout(`${file}\t${result.verdict}`);
    const failure = result.counterexamples[0];
    if (failure !== undefined) {
      const op = loaded.history[failure.failedAt]!;
      io.stdout(`${file}\tfailing operation #${failure.failedAt}: process ${op.process}, ${describeOperation(loaded.model, op)} (${describeSpan(op)})`);
    }
    verdicts.push(result.verdict);
    if (result.verdict === 'not linearizable' && values.report !== undefined) {
      await mkdir(values.report, { recursive: true });
      const path = join(values.report, reportName(file, usedNames));
      await writeFile(path, renderReport(result, loaded.history, loaded.model, { title: `Linearizability report: ${file}` }));
      io.stderr(`lattice-lincheck: report for ${file} written to ${path}`);
    }
  }
  if (verdicts.includes('not linearizable')) return 1;
  if (verdicts.every((v) => v === 'linearizable')) return 0;
  return 2;
}
