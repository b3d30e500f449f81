/** A key of the store under test: numbers and strings are distinct keys (`1` is not `'1'`). */
export type Key = number | string;
/** A value appended or written; each must be written at most once per key. */
export type Value = number | string;

/** Appends `value` to the list at `key` (list-append model). */
export type AppendOp = readonly ['append', Key, Value];
/** Writes `value` to the register at `key` (rw-register model). */
export type WriteOp = readonly ['w', Key, Value];
/**
 * Reads `key`. The third element is what the read returned: a list for list-append, a value
 * or `null` (the initial state) for rw-register; `null` in a submitted transaction and in one
 * whose outcome is unknown. In a committed list-append transaction `null` is read as the empty
 * list (stores return nil for a key never written).
 */
export type ReadOp = readonly ['r', Key, readonly Value[] | Value | null];
/** One micro-operation of a transaction, in Elle's shapes. */
export type MicroOp = AppendOp | WriteOp | ReadOp;

/**
 * What became of a transaction: `ok` committed, `fail` certainly did not take effect, `info`
 * unknown (a timeout, a crash): it may have committed or not.
 */
export type TransactionType = 'ok' | 'fail' | 'info';

/** One transaction of a history, as the client saw it. */
export interface Transaction {
  /** The client (a logical thread) that ran it; one transaction at a time per process. */
  readonly process: number | string;
  readonly type: TransactionType;
  /** When it was submitted, in any monotone unit. */
  readonly call: number;
  /** When its outcome arrived; absent or `null` when it never did (an `info`). */
  readonly return?: number | null | undefined;
  readonly ops: readonly MicroOp[];
}

/** Which kind of objects the history's transactions operate on. */
export type DataModel = 'list-append' | 'rw-register';

/** The consistency models the checker can judge, weakest first. */
export type ConsistencyModel = 'read-committed' | 'snapshot-isolation' | 'serializable' | 'strict-serializable';

/** Every consistency model, weakest first. */
export const CONSISTENCY_MODELS: readonly ConsistencyModel[] = Object.freeze([
  'read-committed',
  'snapshot-isolation',
  'serializable',
  'strict-serializable',
]);

/** The kinds of dependency between two transactions. */
export type EdgeKind = 'ww' | 'wr' | 'rw' | 'rt' | 'process';

/** Anomalies that are dependency cycles, in Adya's classes (Elle's names). */
export type CycleAnomalyType =
  | 'G0'
  | 'G1c'
  | 'G-single'
  | 'G2-item'
  | 'G0-process'
  | 'G1c-process'
  | 'G-single-process'
  | 'G2-item-process'
  | 'G0-realtime'
  | 'G1c-realtime'
  | 'G-single-realtime'
  | 'G2-item-realtime';

/** Anomalies seen in single reads or pairs of transactions, not in cycles. */
export type DataAnomalyType =
  | 'G1a'
  | 'G1b'
  | 'lost-update'
  | 'internal'
  | 'garbage-read'
  | 'duplicate-elements'
  | 'duplicate-appends'
  | 'duplicate-writes'
  | 'incompatible-order';

export type AnomalyType = CycleAnomalyType | DataAnomalyType;

/** One step of a cycle: `from` must precede `to` because of `kind`, as `because` says. */
export interface CycleStep {
  readonly from: number;
  readonly to: number;
  readonly kind: EdgeKind;
  readonly because: string;
}

/** A dependency cycle: the transactions (indices into the history) and why each precedes the next. */
export interface CycleAnomaly {
  readonly type: CycleAnomalyType;
  /** The steps, in order; the last step's `to` is the first step's `from`. */
  readonly steps: readonly CycleStep[];
  /** The cycle in words, one line per step. */
  readonly explanation: string;
}

/** A non-cycle anomaly: which transactions, which key, and what went wrong in words. */
export interface DataAnomaly {
  readonly type: DataAnomalyType;
  readonly transactions: readonly number[];
  readonly key: Key;
  readonly explanation: string;
}

export type Anomaly = CycleAnomaly | DataAnomaly;

/** Whether the history could have come from a store providing `model`. */
export interface ModelVerdict {
  readonly model: ConsistencyModel;
  /**
   * `compatible`: no anomaly the model forbids was found (which does not prove the store
   * provides it: the checker is sound, not complete); `incompatible`: `counterexample` shows
   * one; `unchecked`: strict serializability without realtime edges (pass `strict: true`).
   */
  readonly verdict: 'compatible' | 'incompatible' | 'unchecked';
  /** The anomaly types found that this model forbids. */
  readonly violatedBy: readonly AnomalyType[];
  /** When incompatible: the smallest anomaly the model forbids (the shortest cycle; among equals, the most basic type). */
  readonly counterexample?: Anomaly;
}

/** What {@link check} found. */
export interface CheckResult {
  /** True when the history is compatible with the requested consistency model. */
  readonly valid: boolean;
  readonly consistency: ConsistencyModel;
  readonly model: DataModel;
  /** Every anomaly type found, sorted. */
  readonly anomalyTypes: readonly AnomalyType[];
  /** The anomalies found: the smallest cycle per strongly connected component and class, and every data anomaly (up to a cap per type). */
  readonly anomalies: readonly Anomaly[];
  /** One verdict per consistency model, weakest first. */
  readonly models: readonly ModelVerdict[];
  readonly stats: CheckStats;
}

export interface CheckStats {
  readonly transactions: number;
  /** Transactions that are nodes of the dependency graph (`ok` and `info`). */
  readonly nodes: number;
  /** Distinct ordered pairs of transactions linked by at least one dependency. */
  readonly edges: number;
  /** Distinct transactions on the cycles reported. */
  readonly cyclicTransactions: number;
}
