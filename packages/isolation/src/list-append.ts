import { type Analysis, type AnalyzerOptions, AnomalySink } from './analysis.js';
import { formatList, formatValue, txnName } from './format.js';
import { type EdgeCollector, RW, WR, WW } from './graph.js';
import type { EdgeKind, Key, Transaction, Value } from './types.js';
import { indexWriters, type WriterFacts } from './writers.js';

interface Read {
  readonly txn: number;
  readonly value: readonly Value[];
}

/** Everything learned about one key. */
interface KeyFacts extends WriterFacts {
  /** Reads by committed transactions. */
  readonly reads: Read[];
  /** The version order (the longest read), when every read is a prefix of it. */
  order: readonly Value[] | undefined;
  position: Map<Value, number> | undefined;
  /** Appends that no read saw, by transactions that committed or may have. */
  unobserved: number[];
}

const INITIAL = Symbol('initial');

function newFacts(): KeyFacts {
  return { writer: new Map(), intermediate: undefined, reads: [], order: undefined, position: undefined, unobserved: [], duplicated: false };
}

function isPrefix(shorter: readonly Value[], longer: readonly Value[]): boolean {
  if (shorter.length > longer.length) return false;
  for (let i = 0; i < shorter.length; i++) if (shorter[i] !== longer[i]) return false;
  return true;
}

function endsWith(list: readonly Value[], suffix: readonly Value[]): boolean {
  if (suffix.length > list.length) return false;
  const offset = list.length - suffix.length;
  for (let i = 0; i < suffix.length; i++) if (list[offset + i] !== suffix[i]) return false;
  return true;
}

/**
 * The list-append analysis (Elle's): every read of a key must be a prefix of its longest read,
 * which is then the key's version order; consecutive appends in that order give ww edges, the
 * last element of a read its wr edge, and the element after a read the rw edge (an append no
 * read saw comes after every element that was seen).
 */
export function analyzeListAppend(history: readonly Transaction[], edges: EdgeCollector, _options: AnalyzerOptions): Analysis {
  const keys = new Map<Key, KeyFacts>();
  const sink = new AnomalySink();
  const facts = (key: Key): KeyFacts => {
    let f = keys.get(key);
    if (f === undefined) keys.set(key, (f = newFacts()));
    return f;
  };

  // Pass 1: who appended what.
  indexWriters(history, { op: 'append', anomaly: 'duplicate-appends', past: 'appended', plural: 'appends' }, facts, sink);

  // Pass 2: reads of committed transactions, their internal consistency, and lost updates.
  const lostUpdates = new Map<Key, Map<Value | typeof INITIAL, number[]>>();
  for (let t = 0; t < history.length; t++) {
    const txn = history[t]!;
    if (txn.type !== 'ok') continue;
    // This transaction's own appends per key: a later read must end with all of them. (A
    // re-read that sees other transactions' newer appends is a fuzzy read, which read committed
    // allows; under stronger models it shows up as a cycle instead.)
    const local = new Map<Key, Value[]>();
    const extReads = new Map<Key, Value | typeof INITIAL>();
    const touched = new Set<Key>();
    for (const op of txn.ops) {
      const key = op[1];
      if (op[0] === 'append') {
        let appended = local.get(key);
        if (appended === undefined) local.set(key, (appended = []));
        appended.push(op[2]);
        touched.add(key);
        continue;
      }
      if (op[0] !== 'r') continue;
      const value = (op[2] ?? []) as readonly Value[];
      if (!touched.has(key)) extReads.set(key, value.length === 0 ? INITIAL : value[value.length - 1]!);
      touched.add(key);
      const appended = local.get(key);
      if (appended !== undefined && !endsWith(value, appended)) {
        sink.add({ type: 'internal', transactions: [t], key, explanation: `${txnName(t)} appended ${formatList(appended)} to ${formatValue(key)}, then read ${formatValue(key)} = ${formatList(value)}, which does not end with its own appends` });
      }
      const f = facts(key);
      f.reads.push({ txn: t, value });
      checkElements(t, key, value, f, history, sink);
    }
    for (const [key, seen] of extReads) {
      if (!local.has(key)) continue;
      let byValue = lostUpdates.get(key);
      if (byValue === undefined) lostUpdates.set(key, (byValue = new Map()));
      let list = byValue.get(seen);
      if (list === undefined) byValue.set(seen, (list = []));
      list.push(t);
    }
  }
  for (const [key, byValue] of lostUpdates) {
    for (const [seen, txns] of byValue) {
      if (txns.length < 2) continue;
      const state = seen === INITIAL ? 'empty' : `ending in ${formatValue(seen)}`;
      sink.add({
        type: 'lost-update',
        transactions: txns,
        key,
        explanation: `${txns.map(txnName).join(', ')} all read ${formatValue(key)} ${state} and then appended to it: at most one of them can have seen the state it updated`,
      });
    }
  }

  // Pass 3: version orders and edges.
  for (const [key, f] of keys) {
    if (f.duplicated) continue;
    let longest: readonly Value[] = [];
    for (const r of f.reads) if (r.value.length > longest.length) longest = r.value;
    if (new Set(longest).size !== longest.length) {
      const reader = f.reads.find((r) => r.value === longest)!.txn;
      sink.add({ type: 'duplicate-elements', transactions: [reader], key, explanation: `${txnName(reader)} read ${formatValue(key)} = ${formatList(longest)}, in which an element appears twice` });
      continue;
    }
    let compatible = true;
    for (const r of f.reads) {
      if (!isPrefix(r.value, longest)) {
        compatible = false;
        const other = f.reads.find((x) => x.value === longest)!.txn;
        sink.add({
          type: 'incompatible-order',
          transactions: [r.txn, other],
          key,
          explanation: `${txnName(r.txn)} read ${formatValue(key)} = ${formatList(r.value)} and ${txnName(other)} read ${formatValue(key)} = ${formatList(longest)}: neither is a prefix of the other, so no single order of appends explains both`,
        });
        break;
      }
    }
    // wr edges need no version order: the last element read names its writer.
    for (const r of f.reads) {
      if (r.value.length === 0) continue;
      const w = f.writer.get(r.value[r.value.length - 1]!);
      if (w !== undefined && history[w]!.type !== 'fail') edges.add(w, r.txn, WR);
    }
    if (!compatible) continue;
    f.order = longest;
    const position = new Map<Value, number>();
    for (let i = 0; i < longest.length; i++) position.set(longest[i]!, i);
    f.position = position;
    const committed = (value: Value): number | undefined => {
      const w = f.writer.get(value);
      return w !== undefined && history[w]!.type !== 'fail' ? w : undefined;
    };
    for (let i = 0; i + 1 < longest.length; i++) {
      const a = committed(longest[i]!);
      const b = committed(longest[i + 1]!);
      if (a !== undefined && b !== undefined) edges.add(a, b, WW);
    }
    for (const [value, w] of f.writer) {
      if (history[w]!.type !== 'fail' && !position.has(value)) f.unobserved.push(w);
    }
    if (f.unobserved.length > 0 && longest.length > 0) {
      const a = committed(longest[longest.length - 1]!);
      if (a !== undefined) for (const w of f.unobserved) edges.add(a, w, WW);
    }
    for (const r of f.reads) {
      const n = r.value.length;
      if (n < longest.length) {
        const w = committed(longest[n]!);
        if (w !== undefined) edges.add(r.txn, w, RW);
      } else {
        for (const w of f.unobserved) edges.add(r.txn, w, RW);
      }
    }
  }

  return { anomalies: sink.anomalies, explain: (from, to, kind) => explainEdge(history, keys, from, to, kind) };
}

function checkElements(t: number, key: Key, value: readonly Value[], f: KeyFacts, history: readonly Transaction[], sink: AnomalySink): void {
  for (let i = 0; i < value.length; i++) {
    const element = value[i]!;
    const w = f.writer.get(element);
    if (w === undefined) {
      sink.add({ type: 'garbage-read', transactions: [t], key, explanation: `${txnName(t)} read ${formatValue(key)} = ${formatList(value)}, but no transaction appended ${formatValue(element)} to ${formatValue(key)}` });
    } else if (history[w]!.type === 'fail') {
      sink.add({ type: 'G1a', transactions: [w, t], key, explanation: `${txnName(t)} read ${formatValue(key)} = ${formatList(value)}, including ${formatValue(element)}, which ${txnName(w)} appended in a transaction that failed (aborted read)` });
    } else if (i === value.length - 1 && w !== t && f.intermediate?.has(element) === true) {
      sink.add({ type: 'G1b', transactions: [w, t], key, explanation: `${txnName(t)} read ${formatValue(key)} = ${formatList(value)}, ending with ${formatValue(element)}, which ${txnName(w)} appended but then appended more to ${formatValue(key)} (intermediate read)` });
    }
  }
}

function explainEdge(history: readonly Transaction[], keys: Map<Key, KeyFacts>, from: number, to: number, kind: EdgeKind): string {
  const a = txnName(from);
  const b = txnName(to);
  if (kind === 'wr') {
    for (const op of history[to]!.ops) {
      if (op[0] !== 'r' || !Array.isArray(op[2]) || op[2].length === 0) continue;
      const value = op[2] as readonly Value[];
      const lastElement = value[value.length - 1]!;
      if (keys.get(op[1])?.writer.get(lastElement) === from) {
        return `${a} appended ${formatValue(lastElement)} to ${formatValue(op[1])}, and ${b} read ${formatValue(op[1])} = ${formatList(value)}, which ends with it`;
      }
    }
  }
  if (kind === 'ww') {
    for (const op of history[from]!.ops) {
      if (op[0] !== 'append') continue;
      const f = keys.get(op[1]);
      if (f?.order === undefined || f.position === undefined) continue;
      const at = f.position.get(op[2]);
      if (at !== undefined && at + 1 < f.order.length && f.writer.get(f.order[at + 1]!) === to) {
        return `${a} appended ${formatValue(op[2])} to ${formatValue(op[1])}, and ${b} appended ${formatValue(f.order[at + 1]!)} right after it`;
      }
      if (at === f.order.length - 1 && f.unobserved.includes(to)) {
        const theirs = history[to]!.ops.find((o) => o[0] === 'append' && o[1] === op[1] && !f.position!.has(o[2] as Value));
        return `${a} appended ${formatValue(op[2])} to ${formatValue(op[1])}, the last element any read saw, and ${b} appended ${formatValue(theirs?.[2] as Value)}, which no read saw, after it`;
      }
    }
  }
  if (kind === 'rw') {
    for (const op of history[from]!.ops) {
      if (op[0] !== 'r') continue;
      const f = keys.get(op[1]);
      if (f?.order === undefined) continue;
      const value = (op[2] ?? []) as readonly Value[];
      if (value.length < f.order.length) {
        const next = f.order[value.length]!;
        if (f.writer.get(next) === to) return `${a} read ${formatValue(op[1])} = ${formatList(value)} without ${formatValue(next)}, which ${b} appended next`;
      } else if (f.unobserved.includes(to)) {
        const theirs = history[to]!.ops.find((o) => o[0] === 'append' && o[1] === op[1] && !f.position!.has(o[2] as Value));
        return `${a} read ${formatValue(op[1])} = ${formatList(value)}, the longest read, without ${formatValue(theirs?.[2] as Value)}, which ${b} appended`;
      }
    }
  }
  return `${a} precedes ${b} (${kind})`;
}
