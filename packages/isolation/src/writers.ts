import type { AnomalySink } from './analysis.js';
import { formatValue, txnName } from './format.js';
import type { Key, Transaction, Value } from './types.js';

/** What both analyses learn of a key's writes before they look at reads. */
export interface WriterFacts {
  /** The transaction that wrote each value (the first, when written twice). */
  readonly writer: Map<Value, number>;
  /** Values that were not their transaction's last write to this key. */
  intermediate: Set<Value> | undefined;
  /** Some value was written twice: the key is left out of the analysis. */
  duplicated: boolean;
}

/** How a workload names its writes: the op (`append`, `w`) and the words for its reports. */
export interface WriteKind {
  readonly op: 'append' | 'w';
  readonly anomaly: 'duplicate-appends' | 'duplicate-writes';
  /** "appended", "wrote". */
  readonly past: string;
  /** "appends", "writes". */
  readonly plural: string;
}

/**
 * The first pass of both analyses: which transaction wrote each value of each key, which values
 * were overwritten within their own transaction (for G1b), and which keys had a value written
 * twice (reported once per key; unique writes are what lets a read name its writer).
 */
export function indexWriters(history: readonly Transaction[], kind: WriteKind, facts: (key: Key) => WriterFacts, sink: AnomalySink): void {
  for (let t = 0; t < history.length; t++) {
    let last: Map<Key, Value> | undefined;
    for (const op of history[t]!.ops) {
      if (op[0] !== kind.op) continue;
      const key = op[1];
      const value = op[2] as Value;
      const f = facts(key);
      const previous = f.writer.get(value);
      if (previous !== undefined) {
        if (!f.duplicated) {
          sink.add({
            type: kind.anomaly,
            transactions: previous === t ? [t] : [previous, t],
            key,
            explanation: `${txnName(previous)} and ${txnName(t)} both ${kind.past} ${formatValue(value)} to ${formatValue(key)}: ${kind.plural} must be unique, so ${formatValue(key)} is left out of the analysis`,
          });
        }
        f.duplicated = true;
        continue;
      }
      f.writer.set(value, t);
      last ??= new Map();
      const before = last.get(key);
      if (before !== undefined) (f.intermediate ??= new Set()).add(before);
      last.set(key, value);
    }
  }
}
