import { type Analysis, type AnalyzerOptions, AnomalySink } from './analysis.js';
import { formatValue, txnName } from './format.js';
import { type EdgeCollector, RW, WR, WW } from './graph.js';
import type { EdgeKind, Key, Transaction, Value } from './types.js';
import { indexWriters, type WriterFacts } from './writers.js';

/** The initial state of every register, which precedes every written version. */
const INITIAL = null;
type Version = Value | typeof INITIAL;

interface KeyFacts extends WriterFacts {
  /** Committed transactions whose external read saw each version (`null`: the initial state). */
  readonly readers: Map<Version, number[]>;
  /** Versions known to follow a version directly, and why. */
  readonly after: Map<Version, Map<Value, string>>;
}

function newFacts(): KeyFacts {
  return { writer: new Map(), intermediate: undefined, readers: new Map(), after: new Map(), duplicated: false };
}

/**
 * The rw-register analysis. Writes are unique, so a read names its writer (wr). The version
 * order of a register is not observable in general, so ww and rw edges come only from orders
 * that are known: the initial state precedes every version (always), a transaction's write
 * follows its own read (`wfrKeys`), a process's later transactions see later versions
 * (`sequentialKeys`), and a transaction called after another returned sees a later version
 * (`linearizableKeys`) — the last three only when the caller asserts the store gives them.
 */
export function analyzeRwRegister(history: readonly Transaction[], edges: EdgeCollector, options: AnalyzerOptions): Analysis {
  const keys = new Map<Key, KeyFacts>();
  const sink = new AnomalySink();
  const facts = (key: Key): KeyFacts => {
    let f = keys.get(key);
    if (f === undefined) keys.set(key, (f = newFacts()));
    return f;
  };
  const precede = (f: KeyFacts, before: Version, after: Value, why: string): void => {
    if (before === after) return;
    let next = f.after.get(before);
    if (next === undefined) f.after.set(before, (next = new Map()));
    if (!next.has(after)) next.set(after, why);
  };

  indexWriters(history, { op: 'w', anomaly: 'duplicate-writes', past: 'wrote', plural: 'writes' }, facts, sink);

  const lostUpdates = new Map<Key, Map<Version, number[]>>();
  // Per process, the version of each key its last committed transaction left it at.
  const sessionVersions = new Map<number | string, Map<Key, Version>>();
  const byCall = history.map((_, i) => i).filter((i) => history[i]!.type === 'ok');
  if (options.sequentialKeys === true) byCall.sort((a, b) => history[a]!.call - history[b]!.call || a - b);
  // Per key, each committed transaction's first and last version of it, for linearizableKeys.
  const touches = new Map<Key, { txn: number; first: Version; last: Version }[]>();
  for (const t of byCall) {
    const txn = history[t]!;
    const local = new Map<Key, Version>();
    const extReads = new Map<Key, Version>();
    const finalWrites = new Map<Key, Value>();
    for (const op of txn.ops) {
      const key = op[1];
      if (op[0] === 'w') {
        if (!local.has(key)) local.set(key, op[2]);
        finalWrites.set(key, op[2]);
        continue;
      }
      if (op[0] !== 'r') continue;
      const value = op[2] as Version;
      if (finalWrites.has(key)) {
        const expected = finalWrites.get(key)!;
        if (expected !== value) {
          sink.add({ type: 'internal', transactions: [t], key, explanation: `${txnName(t)} wrote ${formatValue(key)} = ${formatValue(expected)}, then read ${formatValue(key)} = ${formatValue(value)}` });
        }
        continue;
      }
      // A second read before any write is a fuzzy read (allowed by read committed): only the first is external.
      if (local.has(key)) continue;
      local.set(key, value);
      extReads.set(key, value);
      const f = facts(key);
      let readers = f.readers.get(value);
      if (readers === undefined) f.readers.set(value, (readers = []));
      readers.push(t);
      if (value === INITIAL) continue;
      const w = f.writer.get(value);
      if (w === undefined) {
        sink.add({ type: 'garbage-read', transactions: [t], key, explanation: `${txnName(t)} read ${formatValue(key)} = ${formatValue(value)}, but no transaction wrote ${formatValue(value)} to ${formatValue(key)}` });
      } else if (history[w]!.type === 'fail') {
        sink.add({ type: 'G1a', transactions: [w, t], key, explanation: `${txnName(t)} read ${formatValue(key)} = ${formatValue(value)}, which ${txnName(w)} wrote in a transaction that failed (aborted read)` });
      } else if (w !== t) {
        edges.add(w, t, WR);
        if (f.intermediate?.has(value) === true) {
          sink.add({ type: 'G1b', transactions: [w, t], key, explanation: `${txnName(t)} read ${formatValue(key)} = ${formatValue(value)}, which ${txnName(w)} wrote but then overwrote in the same transaction (intermediate read)` });
        }
      }
    }
    for (const [key, seen] of extReads) {
      const written = finalWrites.get(key);
      if (written === undefined) continue;
      let byValue = lostUpdates.get(key);
      if (byValue === undefined) lostUpdates.set(key, (byValue = new Map()));
      let list = byValue.get(seen);
      if (list === undefined) byValue.set(seen, (list = []));
      list.push(t);
      if (options.wfrKeys === true && seen !== INITIAL) precede(facts(key), seen, written, `${txnName(t)} read ${formatValue(key)} = ${formatValue(seen)} and then wrote ${formatValue(written)} (writes follow reads)`);
    }
    if (options.linearizableKeys === true) {
      for (const key of new Set([...extReads.keys(), ...finalWrites.keys()])) {
        const first = extReads.has(key) ? extReads.get(key)! : finalWrites.get(key)!;
        const last = finalWrites.has(key) ? finalWrites.get(key)! : first;
        let list = touches.get(key);
        if (list === undefined) touches.set(key, (list = []));
        list.push({ txn: t, first, last });
      }
    }
    if (options.sequentialKeys === true) {
      let session = sessionVersions.get(txn.process);
      if (session === undefined) sessionVersions.set(txn.process, (session = new Map()));
      for (const key of new Set([...extReads.keys(), ...finalWrites.keys()])) {
        const first = extReads.has(key) ? extReads.get(key)! : finalWrites.get(key)!;
        const previous = session.has(key) ? session.get(key)! : undefined;
        if (previous !== undefined && first !== INITIAL) precede(facts(key), previous, first, `process ${formatValue(txn.process)} saw ${formatValue(key)} = ${formatValue(previous)} and later ${formatValue(first)} (keys are sequential)`);
        session.set(key, finalWrites.has(key) ? finalWrites.get(key)! : first);
      }
    }
  }
  for (const [key, list] of touches) addRealtimeVersionOrder(history, facts(key), key, list, precede);
  for (const [key, byValue] of lostUpdates) {
    for (const [seen, txns] of byValue) {
      if (txns.length < 2) continue;
      sink.add({
        type: 'lost-update',
        transactions: txns,
        key,
        explanation: `${txns.map(txnName).join(', ')} all read ${formatValue(key)} = ${formatValue(seen)} and then wrote it: at most one of them can have seen the state it updated`,
      });
    }
  }

  for (const f of keys.values()) {
    if (f.duplicated) continue;
    const committedWriter = (value: Value): number | undefined => {
      const w = f.writer.get(value);
      return w !== undefined && history[w]!.type !== 'fail' ? w : undefined;
    };
    // The initial state precedes every version that was written by a transaction that may have committed.
    const initialReaders = f.readers.get(INITIAL);
    if (initialReaders !== undefined) {
      for (const [value] of f.writer) {
        const w = committedWriter(value);
        if (w !== undefined) for (const r of initialReaders) edges.add(r, w, RW);
      }
    }
    for (const [before, nexts] of f.after) {
      if (before === INITIAL) continue;
      const a = committedWriter(before);
      for (const [after] of nexts) {
        const b = committedWriter(after);
        if (b === undefined) continue;
        if (a !== undefined) edges.add(a, b, WW);
        for (const r of f.readers.get(before) ?? []) edges.add(r, b, RW);
      }
    }
  }

  return { anomalies: sink.anomalies, explain: (from, to, kind) => explainEdge(history, keys, from, to, kind) };
}

/**
 * Under linearizable keys, a transaction called after another returned sees that one's last
 * version of the key or a later one. The same frontier sweep as the realtime edges keeps this
 * to direct predecessors; the version order is transitive, so nothing sound is lost.
 */
function addRealtimeVersionOrder(
  history: readonly Transaction[],
  f: KeyFacts,
  key: Key,
  touches: readonly { txn: number; first: Version; last: Version }[],
  precede: (f: KeyFacts, before: Version, after: Value, why: string) => void,
): void {
  const events: { time: number; at: number; isReturn: boolean }[] = [];
  touches.forEach((touch, at) => {
    events.push({ time: history[touch.txn]!.call, at, isReturn: false });
    events.push({ time: history[touch.txn]!.return!, at, isReturn: true });
  });
  events.sort((a, b) => a.time - b.time || (a.isReturn === b.isReturn ? a.at - b.at : a.isReturn ? 1 : -1));
  const frontier = new Set<number>();
  const predecessors = new Map<number, number[]>();
  for (const event of events) {
    const later = touches[event.at]!;
    if (!event.isReturn) {
      const before = [...frontier];
      predecessors.set(event.at, before);
      for (const b of before) {
        const earlier = touches[b]!;
        if (later.first === INITIAL || earlier.last === later.first) continue;
        precede(f, earlier.last, later.first, `${txnName(earlier.txn)} left ${formatValue(key)} = ${formatValue(earlier.last)} and returned before ${txnName(later.txn)} began, which saw ${formatValue(later.first)} (keys are linearizable)`);
      }
    } else {
      for (const b of predecessors.get(event.at) ?? []) frontier.delete(b);
      predecessors.delete(event.at);
      frontier.add(event.at);
    }
  }
}

function explainEdge(history: readonly Transaction[], keys: Map<Key, KeyFacts>, from: number, to: number, kind: EdgeKind): string {
  const a = txnName(from);
  const b = txnName(to);
  if (kind === 'wr') {
    for (const op of history[to]!.ops) {
      if (op[0] === 'r' && op[2] !== null && keys.get(op[1])?.writer.get(op[2] as Value) === from) {
        return `${a} wrote ${formatValue(op[1])} = ${formatValue(op[2] as Value)}, and ${b} read it`;
      }
    }
  }
  for (const op of history[kind === 'ww' ? from : to]!.ops) {
    if (op[0] !== 'w') continue;
    const f = keys.get(op[1]);
    if (f === undefined) continue;
    if (kind === 'ww') {
      for (const [after, why] of f.after.get(op[2]) ?? []) {
        if (f.writer.get(after) === to) return `${a} wrote ${formatValue(op[1])} = ${formatValue(op[2])}, and ${b} wrote ${formatValue(after)} after it: ${why}`;
      }
    } else if (kind === 'rw') {
      if (f.readers.get(INITIAL)?.includes(from) === true) {
        return `${a} read ${formatValue(op[1])} = nil, the initial state, which ${b} overwrote with ${formatValue(op[2])}`;
      }
      for (const [before, nexts] of f.after) {
        const why = nexts.get(op[2]);
        if (why !== undefined && f.readers.get(before)?.includes(from) === true) {
          return `${a} read ${formatValue(op[1])} = ${formatValue(before)}, which ${b} overwrote with ${formatValue(op[2])}: ${why}`;
        }
      }
    }
  }
  return `${a} precedes ${b} (${kind})`;
}
