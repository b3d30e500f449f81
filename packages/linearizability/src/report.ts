import { InvalidArgumentError } from '@lattice/core';
import { validateModel } from './check.js';
import { describeOperation as describe, describeSpan } from './describe-operation.js';
import type { CheckResult, Counterexample, Model, Operation } from './types.js';

/** Options of {@link renderReport}. */
export interface ReportOptions {
  /** Page title. Default: "Linearizability report". */
  title?: string;
  /**
   * Most operations drawn per timeline; larger partitions show a window of operations around
   * the failing point. Default 300.
   */
  maxOperations?: number;
  /** Most counterexamples drawn (one timeline each). Default 5. */
  maxCounterexamples?: number;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#1d2330;background:#fafbfc}
h1{font-size:20px;margin:0 0 8px}h2{font-size:16px;margin:28px 0 6px}
.verdict{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;color:#fff}
.v-linearizable{background:#2e7d32}.v-not{background:#c62828}.v-unknown{background:#8d6e00}
table{border-collapse:collapse;margin:6px 0}td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}
code{font:12px ui-monospace,Menlo,Consolas,monospace;background:#eef0f3;padding:1px 4px;border-radius:3px}
.timeline{overflow-x:auto;border:1px solid #d8dce2;background:#fff;margin:8px 0;padding:4px}
.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-2px;margin-right:4px}
svg text{font:11px ui-monospace,Menlo,Consolas,monospace}
.note{color:#5a6270}
`;

interface Marks {
  /** history index -> position in the prefix / witness (0-based). */
  order: Map<number, number>;
  unplaced: Set<number>;
  failedAt?: number;
}

/** Chooses which operations of a partition to draw: all, or a window around the failing point. */
function windowOf<I, O>(history: readonly Operation<I, O>[], indices: number[], max: number, failedAt: number | undefined): number[] {
  if (indices.length <= max) return indices;
  const byCall = [...indices].sort((a, b) => history[a]!.call - history[b]!.call);
  let centre = 0;
  if (failedAt !== undefined) {
    const t = history[failedAt]!.return ?? history[failedAt]!.call;
    centre = byCall.findIndex((i) => history[i]!.call > t);
    if (centre < 0) centre = byCall.length;
  }
  const start = Math.max(0, Math.min(centre - Math.floor(max * 0.8), byCall.length - max));
  const chosen = byCall.slice(start, start + max);
  if (failedAt !== undefined && !chosen.includes(failedAt)) chosen[chosen.length - 1] = failedAt;
  return chosen.sort((a, b) => a - b);
}

/** Labels longer than this are shortened on the bar; the bar's tooltip (`<title>`) has the whole text. */
const MAX_LABEL_CHARS = 160;
/** Width of one character of the 11px monospace label font, and the bar's padding. */
const CHAR_WIDTH = 6.7;
const LABEL_PADDING = 10;

function shortLabel(label: string): string {
  return label.length > MAX_LABEL_CHARS ? `${label.slice(0, MAX_LABEL_CHARS - 1)}…` : label;
}

function labelWidth(label: string): number {
  return shortLabel(label).length * CHAR_WIDTH + LABEL_PADDING;
}

interface Bar {
  /** First and last column the bar spans. */
  first: number;
  last: number;
  /** An open bar runs to the end of its last column; a closed one to 90% of it. */
  open: boolean;
  /** Width its label needs. */
  need: number;
}

/**
 * Column widths such that every bar fits its label: bars are settled shortest span first, and
 * a bar that is too narrow widens its last column. Widening only ever lengthens bars, so bars
 * settled earlier stay wide enough.
 */
function columnWidths(bars: Bar[], columns: number): number[] {
  const widths = new Array<number>(columns).fill(36);
  bars.sort((a, b) => a.last - a.first - (b.last - b.first));
  for (const bar of bars) {
    let have = 0;
    for (let k = bar.first; k <= bar.last; k++) have += widths[k]!;
    have -= widths[bar.first]! * 0.1 + (bar.open ? 0 : widths[bar.last]! * 0.1);
    if (have >= bar.need) continue;
    // Widening the last column by d lengthens the bar by d (open) or 0.9 d (closed), or, when the bar is one column wide, by 0.8 d.
    const gain = bar.first === bar.last ? (bar.open ? 0.9 : 0.8) : bar.open ? 1 : 0.9;
    widths[bar.last]! += (bar.need - have) / gain;
  }
  return widths;
}

/** Draws operations as bars per process, one column per distinct call/return time. */
function timeline<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[], shown: number[], marks: Marks): string {
  const times = new Set<number>();
  for (const i of shown) {
    const op = history[i]!;
    times.add(op.call);
    if (op.return !== undefined) times.add(op.return);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const rank = new Map(sorted.map((t, k) => [t, k]));
  const processes = [...new Set(shown.map((i) => String(history[i]!.process)))].sort((a, b) => {
    const na = Number(a);
    const nb = Number(b);
    return Number.isNaN(na) || Number.isNaN(nb) ? a.localeCompare(b) : na - nb;
  });
  const row = new Map(processes.map((p, k) => [p, k]));
  const left = 90;
  const rowHeight = 30;
  const top = 24;
  const labels = new Map<number, string>();
  for (const i of shown) {
    const order = marks.order.get(i);
    labels.set(i, `${order === undefined ? '' : `${order + 1}. `}${describe(model, history[i]!)}`);
  }
  // Columns (one per distinct time, plus one where open operations end) widen until every
  // bar holds its whole label.
  const widths = columnWidths(
    shown.map((i) => {
      const op = history[i]!;
      const first = rank.get(op.call)!;
      const last = op.return === undefined ? sorted.length : rank.get(op.return)!;
      return { first, last, open: op.return === undefined, need: labelWidth(labels.get(i)!) };
    }),
    sorted.length + 1,
  );
  const starts: number[] = [];
  let acc = left;
  for (const w of widths) {
    starts.push(acc);
    acc += w;
  }
  const endX = acc;
  const width = endX + 40;
  const height = top + processes.length * rowHeight + 10;
  const barStart = (t: number): number => {
    const k = rank.get(t)!;
    return starts[k]! + widths[k]! * 0.1;
  };
  const barEnd = (t: number): number => {
    const k = rank.get(t)!;
    return starts[k]! + widths[k]! * 0.9;
  };
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="history timeline">`);
  parts.push(
    '<defs><pattern id="unknown" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="3" height="6" fill="#cfd6df"/></pattern></defs>',
  );
  processes.forEach((p, k) => {
    const y = top + k * rowHeight;
    if (k % 2 === 0) parts.push(`<rect x="0" y="${y}" width="${width}" height="${rowHeight}" fill="#f6f8fa"/>`);
    parts.push(`<text x="8" y="${y + 19}" fill="#5a6270">process ${escapeHtml(p)}</text>`);
  });
  for (const i of shown) {
    const op = history[i]!;
    const y = top + row.get(String(op.process))! * rowHeight + 5;
    const x1 = barStart(op.call);
    const x2 = op.return === undefined ? endX : barEnd(op.return);
    const text = describe(model, op);
    let fill = '#b0bec5';
    let stroke = '#78909c';
    if (marks.order.has(i)) {
      fill = '#a5d6a7';
      stroke = '#2e7d32';
    }
    if (marks.unplaced.has(i)) {
      fill = '#ffcdd2';
      stroke = '#c62828';
    }
    if (i === marks.failedAt) {
      fill = '#ef5350';
      stroke = '#8e0000';
    }
    const order = marks.order.get(i);
    const tip = `#${i} process ${op.process}: ${text}\n${describeSpan(op as Operation<unknown, unknown>)}${order === undefined ? '' : `\nlinearized ${order + 1}${order === 0 ? 'st' : order === 1 ? 'nd' : order === 2 ? 'rd' : 'th'}`}${marks.unplaced.has(i) ? '\ncould not be placed' : ''}`;
    parts.push(`<g><title>${escapeHtml(tip)}</title>`);
    parts.push(
      `<rect x="${x1.toFixed(1)}" y="${y}" width="${Math.max(4, x2 - x1).toFixed(1)}" height="${rowHeight - 10}" rx="3" fill="${op.return === undefined ? 'url(#unknown)' : fill}" stroke="${stroke}" stroke-width="${i === marks.failedAt ? 2 : 1}"${op.return === undefined ? ' stroke-dasharray="4 3"' : ''}/>`,
    );
    parts.push(`<text x="${(x1 + 4).toFixed(1)}" y="${y + 14}" fill="#1d2330">${escapeHtml(shortLabel(labels.get(i)!))}</text>`);
    parts.push('</g>');
  }
  if (marks.failedAt !== undefined) {
    const op = history[marks.failedAt]!;
    const t = op.return ?? op.call;
    const fx = barEnd(t);
    parts.push(`<line x1="${fx}" y1="4" x2="${fx}" y2="${height - 4}" stroke="#c62828" stroke-width="2" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${fx + 4}" y="14" fill="#c62828" font-weight="bold">failing point</text>`);
  }
  parts.push('</svg>');
  return `<div class="timeline">${parts.join('')}</div>`;
}

function legend(): string {
  return `<p class="legend"><span><i class="sw" style="background:#a5d6a7;border:1px solid #2e7d32"></i>linearized (numbered in order)</span><span><i class="sw" style="background:#ffcdd2;border:1px solid #c62828"></i>could not be placed</span><span><i class="sw" style="background:#ef5350;border:1px solid #8e0000"></i>the operation that failed (the dashed line marks it)</span><span><i class="sw" style="background:#b0bec5"></i>not reached</span><span><i class="sw" style="background:repeating-linear-gradient(45deg,#cfd6df 0 3px,#fff 3px 6px);border:1px dashed #78909c"></i>unknown outcome</span></p>`;
}

function counterexampleSection<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  result: CheckResult<I, O>,
  cx: Counterexample<I, O>,
  max: number,
): string {
  const part = result.partitions[cx.partition]!;
  const marks: Marks = { order: new Map(cx.prefix.map((i, k) => [i, k])), unplaced: new Set(cx.unplaced), failedAt: cx.failedAt };
  const shown = windowOf(history, part.operations, max, cx.failedAt);
  const failed = history[cx.failedAt]!;
  const rows = cx.unplaced
    .map((i) => {
      const op = history[i]!;
      return `<tr><td>#${i}</td><td>process ${escapeHtml(String(op.process))}</td><td><code>${escapeHtml(describe(model, op))}</code></td><td>${escapeHtml(describeSpan(op as Operation<unknown, unknown>))}</td></tr>`;
    })
    .join('');
  return `<h2>Partition ${cx.partition + 1} of ${result.partitions.length}: not linearizable</h2>
<p>The longest linearizable prefix has <b>${cx.prefix.length}</b> of ${part.operations.length} operations and leaves the state <code>${escapeHtml(cx.state)}</code>.
No order of the pending operations continues it: <b>#${cx.failedAt}</b> (process ${escapeHtml(String(failed.process))}, <code>${escapeHtml(describe(model, failed))}</code>, ${escapeHtml(describeSpan(failed as Operation<unknown, unknown>))}) cannot be placed next.</p>
<table><tr><th colspan="4">Operations that could not be placed</th></tr>${rows}</table>
${shown.length < part.operations.length ? `<p class="note">Showing ${shown.length} of ${part.operations.length} operations, around the failing point.</p>` : ''}
${timeline(model, history, shown, marks)}`;
}

function validateReportArguments(result: unknown, history: unknown, model: unknown, options: unknown): void {
  if (typeof result !== 'object' || result === null) throw new InvalidArgumentError('result must be the CheckResult that check() returned');
  const r = result as Partial<CheckResult<unknown, unknown>>;
  if (typeof r.verdict !== 'string' || !Array.isArray(r.partitions) || !Array.isArray(r.counterexamples)) throw new InvalidArgumentError('result must be the CheckResult that check() returned');
  if (!Array.isArray(history)) throw new InvalidArgumentError('history must be the array of operations that was checked');
  const inHistory = (i: unknown): boolean => Number.isInteger(i) && (i as number) >= 0 && (i as number) < history.length && typeof history[i as number] === 'object' && history[i as number] !== null;
  for (const part of r.partitions) {
    if (!Array.isArray(part?.operations) || !part.operations.every(inHistory)) throw new InvalidArgumentError('history is not the one the result was checked on: a partition names operations it does not have');
  }
  for (const cx of r.counterexamples) {
    if (!inHistory(cx?.failedAt) || !Array.isArray(cx.prefix) || !cx.prefix.every(inHistory) || !Array.isArray(cx.unplaced) || !cx.unplaced.every(inHistory)) {
      throw new InvalidArgumentError('history is not the one the result was checked on: a counterexample names operations it does not have');
    }
  }
  validateModel(model);
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`options must be an object, got ${options === null ? 'null' : typeof options}`);
  const o = options as ReportOptions;
  if (o.title !== undefined && typeof o.title !== 'string') throw new InvalidArgumentError(`title must be a string, got ${typeof o.title}`);
  if (o.maxOperations !== undefined && !(Number.isSafeInteger(o.maxOperations) && o.maxOperations >= 1)) throw new InvalidArgumentError(`maxOperations must be an integer >= 1, got ${String(o.maxOperations)}`);
  if (o.maxCounterexamples !== undefined && !(Number.isSafeInteger(o.maxCounterexamples) && o.maxCounterexamples >= 0)) {
    throw new InvalidArgumentError(`maxCounterexamples must be an integer >= 0, got ${String(o.maxCounterexamples)}`);
  }
}

/**
 * Renders a check result as a self-contained HTML page (inline SVG and CSS, no scripts, no
 * external resources): the verdict, and for each counterexample the longest linearizable
 * prefix, the operations that could not be placed, and a timeline of the partition's
 * history as bars per process with the failing point marked. Save it to a file and open it in
 * a browser.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { check, registerModel, renderReport } from '@lattice/linearizability';
 *
 * const history = [
 *   { process: 0, call: 0, return: 10, input: { op: 'write', value: 1 }, output: undefined },
 *   { process: 1, call: 2, return: 3, input: { op: 'read' }, output: 1 },
 *   { process: 2, call: 4, return: 5, input: { op: 'read' }, output: null },
 * ] as const;
 * const result = check(registerModel, [...history]);
 * writeFileSync('report.html', renderReport(result, [...history], registerModel));
 * ```
 */
export function renderReport<S, I, O>(
  result: CheckResult<I, O>,
  history: readonly Operation<I, O>[],
  model: Model<S, I, O>,
  options: ReportOptions = {},
): string {
  validateReportArguments(result, history, model, options);
  const title = options.title ?? 'Linearizability report';
  const max = options.maxOperations ?? 300;
  const maxCx = options.maxCounterexamples ?? 5;
  const badge = result.verdict === 'linearizable' ? 'v-linearizable' : result.verdict === 'unknown' ? 'v-unknown' : 'v-not';
  const counts = { linearizable: 0, 'not linearizable': 0, unknown: 0 };
  for (const p of result.partitions) counts[p.verdict]++;
  const sections: string[] = [];
  if (result.counterexamples.length > 0) {
    sections.push(legend());
    for (const cx of result.counterexamples.slice(0, maxCx)) sections.push(counterexampleSection(model, history, result, cx, max));
    if (result.counterexamples.length > maxCx) sections.push(`<p class="note">${result.counterexamples.length - maxCx} more counterexamples not drawn.</p>`);
  } else if (result.partitions.length > 0) {
    const part = result.partitions[0]!;
    const marks: Marks = { order: new Map((part.linearization ?? []).map((i, k) => [i, k])), unplaced: new Set() };
    const shown = windowOf(history, part.operations, max, undefined);
    sections.push(legend());
    sections.push(
      `<h2>Partition 1 of ${result.partitions.length}: ${escapeHtml(part.verdict)}</h2>${shown.length < part.operations.length ? `<p class="note">Showing the first ${shown.length} of ${part.operations.length} operations.</p>` : ''}${timeline(model, history, shown, marks)}`,
    );
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>
<p><span class="verdict ${badge}">${escapeHtml(result.verdict)}</span>${result.reason ? ` <span class="note">(${escapeHtml(result.reason)})</span>` : ''}</p>
<table><tr><td>operations</td><td>${history.length}</td></tr><tr><td>partitions</td><td>${result.partitions.length} (${counts.linearizable} linearizable, ${counts['not linearizable']} not, ${counts.unknown} unknown)</td></tr><tr><td>search steps</td><td>${result.steps}</td></tr></table>
${sections.join('\n')}
</body></html>
`;
}
