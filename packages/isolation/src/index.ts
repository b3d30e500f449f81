/**
 * An Elle-style checker for transactional histories: infers the dependencies between
 * transactions (ww, wr, rw; realtime and process order when asked) from what their reads
 * returned, finds dependency cycles (Tarjan, then the shortest cycle of each class by BFS), and
 * says which consistency models the history is compatible with, with the smallest cycle as the
 * counterexample, in words and as an HTML report.
 *
 * Runs anywhere (no Node APIs outside the CLI `lattice-txncheck`).
 *
 * @example
 * ```ts
 * import { check } from '@lattice/isolation';
 *
 * const result = check(
 *   [
 *     { process: 0, type: 'ok', call: 0, return: 1, ops: [['append', 'x', 1], ['r', 'y', []]] },
 *     { process: 1, type: 'ok', call: 0, return: 1, ops: [['append', 'y', 1], ['r', 'x', []]] },
 *     { process: 2, type: 'ok', call: 2, return: 3, ops: [['r', 'x', [1]], ['r', 'y', [1]]] },
 *   ],
 *   { model: 'list-append' },
 * );
 * result.anomalyTypes; // ['G2-item']: write skew
 * ```
 *
 * @packageDocumentation
 */
export { type CheckOptions, check } from './check.js';
export { FORBIDDEN } from './consistency.js';
export type { CycleSearchLimits } from './cycle-search.js';
export { InvalidCheckOptionsError, MalformedHistoryError } from './errors.js';
export type {
  Anomaly,
  AnomalyType,
  AppendOp,
  CheckResult,
  CheckStats,
  ConsistencyModel,
  CycleAnomaly,
  CycleAnomalyType,
  CycleStep,
  DataAnomaly,
  DataAnomalyType,
  DataModel,
  EdgeKind,
  Key,
  MicroOp,
  ModelVerdict,
  ReadOp,
  Transaction,
  TransactionType,
  Value,
  WriteOp,
} from './types.js';
export { CONSISTENCY_MODELS } from './types.js';
export { validateHistory } from './validate.js';
export { renderAnomalySvg } from './anomaly-drawing.js';
export { describeTransaction, renderCycleSvg, renderReport, type ReportOptions } from './report.js';
export { type ParseHistoryOptions, parseEdnHistory, parseJsonHistory } from './history-parsers.js';
export { createWorkload, HistoryRecorder, type PendingTransaction, type Workload, type WorkloadOptions } from './workload.js';
