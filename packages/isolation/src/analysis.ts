import type { EdgeCollector } from './graph.js';
import type { DataAnomaly, DataAnomalyType, EdgeKind, Transaction } from './types.js';
import { MAX_CASES_PER_TYPE } from './format.js';

/** What a data model's analysis hands to the checker. */
export interface Analysis {
  readonly anomalies: DataAnomaly[];
  /** Why `from` precedes `to` by `kind`, in words (for ww, wr and rw edges). */
  explain(from: number, to: number, kind: EdgeKind): string;
}

/** A data model's analysis: adds dependency edges, returns data anomalies and an explainer. */
export type Analyzer = (history: readonly Transaction[], edges: EdgeCollector, options: AnalyzerOptions) => Analysis;

export interface AnalyzerOptions {
  /** rw-register: assume a transaction's write of a key follows its read of that key. */
  readonly wfrKeys?: boolean;
  /** rw-register: assume each key is sequentially consistent (process order orders versions). */
  readonly sequentialKeys?: boolean;
  /** rw-register: assume each key is linearizable (realtime order orders versions). */
  readonly linearizableKeys?: boolean;
}

/** Collects data anomalies, at most {@link MAX_CASES_PER_TYPE} of each type. */
export class AnomalySink {
  readonly anomalies: DataAnomaly[] = [];
  private readonly counts = new Map<DataAnomalyType, number>();

  add(anomaly: DataAnomaly): void {
    const count = this.counts.get(anomaly.type) ?? 0;
    this.counts.set(anomaly.type, count + 1);
    if (count < MAX_CASES_PER_TYPE) this.anomalies.push(anomaly);
  }
}
