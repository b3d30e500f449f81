import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { isLatticeError } from '@lattice/core';
import { check } from '../check.js';
import { MalformedHistoryError } from '../errors.js';
import { parseEdnHistory, parseJsonHistory } from '../history-parsers.js';
import { renderReport } from '../report.js';
import { CONSISTENCY_MODELS, type ConsistencyModel, type DataModel, type Transaction } from '../types.js';

/** Where the CLI writes; injected so tests can capture it. */
export interface CliIo {
  stdout(line: string): void;
  stderr(line: string): void;
}

export const USAGE = `Usage: lattice-txncheck [options] FILE...

Checks each transactional history FILE (JSON, or Jepsen EDN) for isolation anomalies and
prints one line per file: FILE, a tab, then "valid" or "invalid" for the consistency model,
and the anomaly types found. An invalid history is followed by its smallest counterexample.

Options:
  --model M           list-append (default) or rw-register
  --consistency C     read-committed, snapshot-isolation, serializable (default) or
                      strict-serializable (adds realtime edges)
  --format F          json or edn (default: edn for *.edn files, else json)
  --strict            add realtime edges (T1 returned before T2 was called)
  --session           add process-order edges
  --wfr-keys          rw-register: assume writes follow reads in a transaction
  --sequential-keys   rw-register: assume each key is sequentially consistent
  --linearizable-keys rw-register: assume each key is linearizable
  --report PATH       write an HTML report (with several files: PATH-<file>.html)
  -h, --help          show this help

Exit status: 0 when every file is valid, 1 when any is not, 2 otherwise (an unreadable or
malformed file, or bad usage).`;

function reportPath(base: string, file: string, many: boolean): string {
  if (!many) return base;
  const stem = base.endsWith('.html') ? base.slice(0, -5) : base;
  return `${stem}-${basename(file).replace(/[^A-Za-z0-9._-]/g, '_')}.html`;
}

/**
 * Runs the `lattice-txncheck` command line with `args` (without the node and script paths) and
 * returns the exit status.
 */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  const usage = (message: string): number => {
    io.stderr(`lattice-txncheck: ${message}`);
    io.stderr(USAGE);
    return 2;
  };
  let parsed: ReturnType<typeof parse>;
  function parse(argv: string[]) {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        consistency: { type: 'string' },
        format: { type: 'string' },
        strict: { type: 'boolean' },
        session: { type: 'boolean' },
        'wfr-keys': { type: 'boolean' },
        'sequential-keys': { type: 'boolean' },
        'linearizable-keys': { type: 'boolean' },
        report: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  }
  try {
    parsed = parse(args);
  } catch (error) {
    return usage((error as Error).message);
  }
  const { values, positionals: files } = parsed;
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  const model = (values.model ?? 'list-append') as DataModel;
  if (model !== 'list-append' && model !== 'rw-register') return usage(`--model must be list-append or rw-register (got ${values.model})`);
  const consistency = (values.consistency ?? 'serializable') as ConsistencyModel;
  if (!CONSISTENCY_MODELS.includes(consistency)) return usage(`--consistency must be one of ${CONSISTENCY_MODELS.join(', ')} (got ${values.consistency})`);
  if (values.format !== undefined && values.format !== 'json' && values.format !== 'edn') return usage(`--format must be json or edn (got ${values.format})`);
  if (files.length === 0) return usage('no history files given');

  const outcomes: ('valid' | 'invalid' | 'error')[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      io.stderr(`lattice-txncheck: cannot read ${file}: ${(error as Error).message}`);
      outcomes.push('error');
      continue;
    }
    const format = values.format ?? (file.endsWith('.edn') ? 'edn' : 'json');
    let history: Transaction[];
    try {
      history = format === 'edn' ? parseEdnHistory(text, { model, source: file }) : parseJsonHistory(text, { model, source: file });
    } catch (error) {
      if (isLatticeError(error, MalformedHistoryError.code)) {
        io.stderr(`lattice-txncheck: ${(error as Error).message}`);
        outcomes.push('error');
        continue;
      }
      throw error;
    }
    const result = check(history, {
      model,
      consistency,
      strict: values.strict === true,
      session: values.session === true,
      wfrKeys: values['wfr-keys'] === true,
      sequentialKeys: values['sequential-keys'] === true,
      linearizableKeys: values['linearizable-keys'] === true,
    });
    const found = result.anomalyTypes.length === 0 ? 'no anomalies' : `anomalies: ${result.anomalyTypes.join(', ')}`;
    io.stdout(`${file}\t${result.valid ? 'valid' : 'invalid'} (${consistency}; ${found})`);
    const verdict = result.models.find((m) => m.model === consistency)!;
    if (verdict.counterexample !== undefined) {
      for (const line of verdict.counterexample.explanation.split('\n')) io.stdout(`${file}\t${line}`);
    }
    outcomes.push(result.valid ? 'valid' : 'invalid');
    if (values.report !== undefined) {
      const path = reportPath(values.report, file, files.length > 1);
      await writeFile(path, renderReport(result, history, { title: `Isolation report: ${file}` }));
      io.stderr(`lattice-txncheck: report for ${file} written to ${path}`);
    }
  }
  if (outcomes.includes('invalid')) return 1;
  return outcomes.every((o) => o === 'valid') ? 0 : 2;
}
