import { assertInteger, assertObject, describeValue, InvalidArgumentError } from '@lattice/core';
import { formatList, formatValue, txnName } from './format.js';
import type { DataAnomaly, DataAnomalyType, MicroOp, Transaction, Value } from './types.js';

/** One micro-operation as the explanations print it: `append "x" 1`, `r "x" [1 2]`, `r "x" nil`. */
export function formatOp(op: MicroOp): string {
  if (op[0] === 'r') {
    const value = op[2];
    return `r ${formatValue(op[1])} ${value === null ? 'nil' : Array.isArray(value) ? formatList(value as readonly Value[]) : formatValue(value as Value)}`;
  }
  return `${op[0]} ${formatValue(op[1])} ${formatValue(op[2])}`;
}

/** What links the transactions of each data anomaly, drawn between the first and the second. */
const LINK: Readonly<Partial<Record<DataAnomalyType, { label: string; arrow: boolean }>>> = {
  G1a: { label: 'wr: read from a failed transaction', arrow: true },
  G1b: { label: 'wr: read an intermediate state', arrow: true },
  'incompatible-order': { label: 'neither read is a prefix of the other', arrow: false },
  'duplicate-appends': { label: 'the same value appended twice', arrow: false },
  'duplicate-writes': { label: 'the same value written twice', arrow: false },
  'lost-update': { label: 'read the same version, and both wrote it', arrow: false },
};

/** The caption under a single-transaction anomaly. */
const CAPTION: Readonly<Partial<Record<DataAnomalyType, string>>> = {
  internal: 'a read that does not show the transaction’s own writes',
  'garbage-read': 'a read of a value nobody wrote',
  'duplicate-elements': 'a list read with an element twice',
};

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const MAX_BOXES = 6;

/** Throws `InvalidArgumentError` unless `anomaly` names transactions of `history`. */
function checkDataAnomaly(anomaly: unknown, history: unknown): void {
  assertObject(anomaly, 'anomaly');
  const transactions = (anomaly as { transactions?: unknown }).transactions;
  if (!Array.isArray(transactions) || transactions.length === 0) {
    throw new InvalidArgumentError(`anomaly.transactions must be a non-empty array of transaction indices, got ${describeValue(transactions)}`);
  }
  if (!Array.isArray(history)) throw new InvalidArgumentError(`history must be an array of transactions, got ${describeValue(history)}`);
  for (const [i, t] of transactions.entries()) assertInteger(t, `anomaly.transactions[${i}]`, 0, history.length - 1);
}

/**
 * An SVG drawing of a non-cycle anomaly (G1a, G1b, lost update, internal, garbage read, …): the
 * transactions it involves as boxes, each with its outcome and its micro-operations on the
 * anomaly's key (a failed transaction's box dashed red), the reader linked to the writer it read
 * from, and what went wrong in a caption. Self-contained: no fonts, no scripts.
 */
export function renderAnomalySvg(anomaly: DataAnomaly, history: readonly Transaction[]): string {
  checkDataAnomaly(anomaly, history);
  const shown = anomaly.transactions.slice(0, MAX_BOXES);
  const lines = shown.map((t) => {
    const txn = history[t]!;
    const ops = txn.ops.filter((op) => op[1] === anomaly.key).map(formatOp);
    return { t, txn, ops: ops.length === 0 ? ['(nothing on this key)'] : ops };
  });
  const charWidth = 7.8;
  const boxWidth = Math.max(120, ...lines.map((l) => Math.max(l.ops.reduce((w, op) => Math.max(w, op.length), 0), 14) * charWidth + 24));
  const boxHeight = 34 + 18 * Math.max(...lines.map((l) => l.ops.length));
  const gap = 90;
  const link = LINK[anomaly.type];
  const extra = anomaly.transactions.length - shown.length;
  const caption = link?.label ?? CAPTION[anomaly.type] ?? anomaly.type;
  const width = Math.max(lines.length * boxWidth + (lines.length - 1) * gap + 40, caption.length * charWidth + 40);
  const height = boxHeight + 86;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(width)}" height="${height}" viewBox="0 0 ${Math.ceil(width)} ${height}" role="img" aria-label="${escapeXml(anomaly.type)}">`);
  parts.push('<defs><marker id="arrow-data" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#1565c0"/></marker></defs>');
  parts.push(`<rect width="${Math.ceil(width)}" height="${height}" fill="#ffffff"/>`);
  const top = 20;
  const left = (i: number) => 20 + i * (boxWidth + gap);
  lines.forEach(({ t, txn, ops }, i) => {
    const x = left(i);
    const failed = txn.type === 'fail';
    parts.push(`<rect x="${x.toFixed(1)}" y="${top}" width="${boxWidth.toFixed(1)}" height="${boxHeight}" rx="6" fill="#f3f5f8" stroke="${failed ? '#c62828' : '#1d2330'}" stroke-width="1.5"${failed ? ' stroke-dasharray="6 4"' : ''}/>`);
    parts.push(`<text x="${(x + 12).toFixed(1)}" y="${top + 20}" font-family="monospace" font-size="13" font-weight="bold" fill="${failed ? '#c62828' : '#1d2330'}">${escapeXml(`${txnName(t)} (${txn.type})`)}</text>`);
    ops.forEach((op, j) => {
      parts.push(`<text x="${(x + 12).toFixed(1)}" y="${top + 40 + 18 * j}" font-family="monospace" font-size="13" fill="#1d2330">${escapeXml(op)}</text>`);
    });
  });
  const mid = top + boxHeight / 2;
  for (let i = 0; i + 1 < lines.length; i++) {
    const start = left(i) + boxWidth + 4;
    const end = left(i + 1) - 6;
    const arrow = link?.arrow === true && i === 0;
    parts.push(`<path d="M${start.toFixed(1)},${mid} L${end.toFixed(1)},${mid}" fill="none" stroke="${arrow ? '#1565c0' : '#6d6d6d'}" stroke-width="2"${arrow ? ' marker-end="url(#arrow-data)"' : ' stroke-dasharray="2 3"'}/>`);
    if (arrow) parts.push(`<text x="${((start + end) / 2).toFixed(1)}" y="${mid - 8}" text-anchor="middle" font-family="monospace" font-size="13" font-weight="bold" fill="#1565c0">wr</text>`);
  }
  const more = extra > 0 ? ` (and ${extra} more)` : '';
  parts.push(`<text x="20" y="${top + boxHeight + 32}" font-family="monospace" font-size="13" font-weight="bold" fill="#c62828">${escapeXml(`${anomaly.type} on ${formatValue(anomaly.key)}${more}`)}</text>`);
  parts.push(`<text x="20" y="${top + boxHeight + 52}" font-family="monospace" font-size="13" fill="#1d2330">${escapeXml(caption)}</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
