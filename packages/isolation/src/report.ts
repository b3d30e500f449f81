import { assertInteger, assertObject, assertOptionalObject, describeValue, InvalidArgumentError } from '@lattice/core';
import { formatOp, renderAnomalySvg } from './anomaly-drawing.js';
import { formatValue, txnName } from './format.js';
import type { CheckResult, CycleAnomaly, CycleStep, EdgeKind, Transaction } from './types.js';

/** Options of {@link renderReport}. */
export interface ReportOptions {
  /** Page title. Default "Isolation report". */
  readonly title?: string;
  /** Most anomalies drawn and listed. Default 30. */
  readonly maxAnomalies?: number;
}

/** Throws `InvalidArgumentError` unless `cycle` is a cycle anomaly: steps between transaction indices, of known edge kinds. */
function checkCycle(cycle: unknown, what: string): void {
  assertObject(cycle, what);
  const steps = (cycle as { steps?: unknown }).steps;
  if (!Array.isArray(steps) || steps.length === 0) throw new InvalidArgumentError(`${what}.steps must be a non-empty array of steps, got ${describeValue(steps)}`);
  for (const [i, step] of steps.entries()) {
    assertObject(step, `${what}.steps[${i}]`);
    const { from, to, kind } = step as Partial<CycleStep>;
    assertInteger(from, `${what}.steps[${i}].from`, 0);
    assertInteger(to, `${what}.steps[${i}].to`, 0);
    if (typeof kind !== 'string' || !Object.hasOwn(EDGE_STYLE, kind)) throw new InvalidArgumentError(`${what}.steps[${i}].kind must be one of ${Object.keys(EDGE_STYLE).join(', ')}, got ${describeValue(kind)}`);
  }
}

/** Throws `InvalidArgumentError` unless `result` came from {@link check} on `history`, and `options` are report options. */
function checkReportArguments(result: unknown, history: unknown, options: unknown): void {
  assertObject(result, 'result');
  const r = result as Partial<CheckResult>;
  if (!Array.isArray(r.models) || !Array.isArray(r.anomalies) || typeof r.stats !== 'object' || r.stats === null) {
    throw new InvalidArgumentError('result must be what check() returned (models, anomalies and stats)');
  }
  if (!Array.isArray(history)) throw new InvalidArgumentError(`history must be an array of transactions, got ${describeValue(history)}`);
  if (history.length !== r.stats.transactions) {
    throw new InvalidArgumentError(`history has ${history.length} transactions, but result was checked on ${r.stats.transactions}: pass the history the result came from`);
  }
  assertOptionalObject(options, 'report options');
  const { title, maxAnomalies } = options as ReportOptions;
  if (title !== undefined && typeof title !== 'string') throw new InvalidArgumentError(`title must be a string, got ${describeValue(title)}`);
  if (maxAnomalies !== undefined) assertInteger(maxAnomalies, 'maxAnomalies', 0);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Colour and dash of each kind of edge, shared by the drawings and the legend. */
const EDGE_STYLE: Readonly<Record<EdgeKind, { color: string; dash: string }>> = {
  ww: { color: '#c62828', dash: '' },
  wr: { color: '#1565c0', dash: '' },
  rw: { color: '#ef6c00', dash: '6 4' },
  rt: { color: '#6d6d6d', dash: '2 3' },
  process: { color: '#2e7d32', dash: '2 3' },
};

/**
 * An SVG drawing of a dependency cycle: transactions as nodes around a circle, each edge an
 * arrow labelled with its kind (ww, wr, rw, rt, process). Self-contained: no fonts, no scripts.
 */
export function renderCycleSvg(cycle: CycleAnomaly): string {
  checkCycle(cycle, 'cycle');
  const n = cycle.steps.length;
  const radius = Math.max(70, n * 26);
  const size = radius * 2 + 90;
  const centre = size / 2;
  const node = 22;
  const at = (i: number) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / n;
    return { x: centre + radius * Math.cos(angle), y: centre + radius * Math.sin(angle) };
  };
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img" aria-label="${escapeHtml(`${cycle.type} cycle`)}">`);
  parts.push('<defs>');
  for (const [kind, style] of Object.entries(EDGE_STYLE)) {
    parts.push(`<marker id="arrow-${kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="${style.color}"/></marker>`);
  }
  parts.push('</defs>');
  parts.push(`<rect width="${size}" height="${size}" fill="#ffffff"/>`);
  cycle.steps.forEach((step, i) => {
    const a = at(i);
    const b = at((i + 1) % n);
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const length = Math.hypot(dx, dy) || 1;
    const ux = dx / length;
    const uy = dy / length;
    // Bend every arrow outwards, so that the two arrows of a 2-cycle do not overlap.
    const bend = n === 2 ? 40 : 18;
    const mx = (a.x + b.x) / 2 + uy * -bend;
    const my = (a.y + b.y) / 2 - ux * -bend;
    const start = { x: a.x + ux * node, y: a.y + uy * node };
    const end = { x: b.x - ux * (node + 2), y: b.y - uy * (node + 2) };
    const style = EDGE_STYLE[step.kind];
    parts.push(
      `<path d="M${start.x.toFixed(1)},${start.y.toFixed(1)} Q${mx.toFixed(1)},${my.toFixed(1)} ${end.x.toFixed(1)},${end.y.toFixed(1)}" fill="none" stroke="${style.color}" stroke-width="2"${style.dash ? ` stroke-dasharray="${style.dash}"` : ''} marker-end="url(#arrow-${step.kind})"><title>${escapeHtml(step.because)}</title></path>`,
    );
    const lx = (start.x + 2 * mx + end.x) / 4;
    const ly = (start.y + 2 * my + end.y) / 4;
    parts.push(`<text x="${lx.toFixed(1)}" y="${(ly + 4).toFixed(1)}" text-anchor="middle" font-family="monospace" font-size="13" font-weight="bold" fill="${style.color}" stroke="#ffffff" stroke-width="4" paint-order="stroke">${step.kind}</text>`);
  });
  cycle.steps.forEach((step, i) => {
    const p = at(i);
    parts.push(`<circle cx="${p.x.toFixed(1)}" cy="${p.y.toFixed(1)}" r="${node}" fill="#f3f5f8" stroke="#1d2330" stroke-width="1.5"/>`);
    parts.push(`<text x="${p.x.toFixed(1)}" y="${(p.y + 5).toFixed(1)}" text-anchor="middle" font-family="monospace" font-size="13" fill="#1d2330">${txnName(step.from)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** One line describing a transaction: its name, outcome, process, times and micro-operations. */
export function describeTransaction(history: readonly Transaction[], index: number): string {
  if (!Array.isArray(history)) throw new InvalidArgumentError(`history must be an array of transactions, got ${describeValue(history)}`);
  assertInteger(index, 'transaction index', 0, history.length - 1);
  const txn = history[index]!;
  const ops = txn.ops.map(formatOp).join(', ');
  const span = txn.return == null ? `called at ${txn.call}, never returned` : `${txn.call} to ${txn.return}`;
  return `${txnName(index)} (${txn.type}, process ${formatValue(txn.process)}, ${span}): ${ops}`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#1d2330;background:#fafbfc;max-width:1100px}
h1{font-size:20px;margin:0 0 8px}h2{font-size:16px;margin:28px 0 6px}h3{font-size:14px;margin:18px 0 4px}
.ok{color:#2e7d32;font-weight:600}.bad{color:#c62828;font-weight:600}.unchecked{color:#8d6e00;font-weight:600}
table{border-collapse:collapse;margin:6px 0}td,th{padding:2px 12px 2px 0;text-align:left;vertical-align:top}
code,pre{font:12px ui-monospace,Menlo,Consolas,monospace}pre{background:#eef0f3;padding:8px;border-radius:4px;white-space:pre-wrap}
.anomaly{border:1px solid #d8dce2;background:#fff;margin:10px 0;padding:8px 12px;border-radius:4px}
.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:18px;height:0;border-top:3px solid;vertical-align:4px;margin-right:4px}
`;

/**
 * A self-contained HTML page for a {@link CheckResult}: the verdict for each consistency model,
 * then each anomaly in words and drawn as SVG (a cycle by {@link renderCycleSvg}, any other
 * anomaly by {@link renderAnomalySvg}) with the transactions it involves.
 */
export function renderReport(result: CheckResult, history: readonly Transaction[], options: ReportOptions = {}): string {
  checkReportArguments(result, history, options);
  const title = options.title ?? 'Isolation report';
  const out: string[] = [];
  out.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>`);
  out.push(`<h1>${escapeHtml(title)}</h1>`);
  out.push(
    `<p>${result.stats.transactions.toLocaleString('en-US')} transactions (${result.model}), ${result.stats.edges.toLocaleString('en-US')} dependency edges. ` +
      `Requested: <b>${result.consistency}</b> — <span class="${result.valid ? 'ok' : 'bad'}">${result.valid ? 'compatible' : 'not compatible'}</span>.</p>`,
  );
  const max = options.maxAnomalies ?? 30;
  out.push('<h2>Consistency models</h2><table><tr><th>model</th><th>verdict</th><th>refuted by</th><th>counterexample: the smallest anomaly it forbids</th></tr>');
  for (const m of result.models) {
    const cls = m.verdict === 'compatible' ? 'ok' : m.verdict === 'incompatible' ? 'bad' : 'unchecked';
    const note = m.verdict === 'unchecked' ? 'not checked: no realtime edges (check with strict)' : m.violatedBy.join(', ');
    let example = '';
    if (m.counterexample !== undefined) {
      // Linked to its drawing below when it is one of the anomalies shown.
      const index = result.anomalies.indexOf(m.counterexample);
      const text = escapeHtml(m.counterexample.explanation.split('\n')[0]!);
      example = index >= 0 && index < max ? `<a href="#anomaly-${index}">${text}</a>` : text;
    }
    out.push(`<tr><td>${m.model}</td><td class="${cls}">${m.verdict}</td><td>${escapeHtml(note)}</td><td>${example}</td></tr>`);
  }
  out.push('</table>');
  out.push('<p class="note">Sound, not complete: each anomaly below is in the history; a compatible verdict means none was found, not that none exists.</p>');
  if (result.anomalies.length === 0) {
    out.push('<h2>Anomalies</h2><p>None found.</p></body></html>');
    return out.join('\n');
  }
  out.push(`<h2>Anomalies (${result.anomalies.length}${result.anomalies.length > max ? `, first ${max} shown` : ''})</h2>`);
  out.push(`<p class="legend">${Object.entries(EDGE_STYLE).map(([kind, s]) => `<span><span class="sw" style="border-color:${s.color};${s.dash ? 'border-top-style:dashed' : ''}"></span>${kind}</span>`).join('')}</p>`);
  for (const [index, anomaly] of result.anomalies.slice(0, max).entries()) {
    out.push(`<div class="anomaly" id="anomaly-${index}">`);
    out.push(`<h3>${escapeHtml(anomaly.type)}</h3>`);
    let involved: number[];
    if ('steps' in anomaly) {
      out.push(renderCycleSvg(anomaly));
      involved = anomaly.steps.map((s) => s.from);
    } else {
      out.push(renderAnomalySvg(anomaly, history));
      involved = [...anomaly.transactions];
    }
    out.push(`<pre>${escapeHtml(anomaly.explanation)}</pre>`);
    out.push(`<pre>${escapeHtml(involved.map((i) => describeTransaction(history, i)).join('\n'))}</pre>`);
    out.push('</div>');
  }
  out.push('</body></html>');
  return out.join('\n');
}
