import { assertOptionalObject, describeValue } from '@lattice/core';
import type { Analyzer } from './analysis.js';
import { checkModel, checkOptionalBoolean, checkOptionalString } from './arguments.js';
import { FORBIDDEN } from './consistency.js';
import { type CycleSearchLimits, DEFAULT_LIMITS, findCycles, type FoundCycle } from './cycle-search.js';
import { InvalidCheckOptionsError } from './errors.js';
import { formatValue, txnName } from './format.js';
import { EdgeCollector } from './graph.js';
import { analyzeListAppend } from './list-append.js';
import { addProcessEdges, addRealtimeEdges, isNode } from './orders.js';
import { analyzeRwRegister } from './rw-register.js';
import {
  type Anomaly,
  type AnomalyType,
  CONSISTENCY_MODELS,
  type CheckResult,
  type ConsistencyModel,
  type CycleAnomaly,
  type CycleStep,
  type DataModel,
  type ModelVerdict,
  type Transaction,
} from './types.js';
import { validateHistory } from './validate.js';

/** Options of {@link check}. */
export interface CheckOptions {
  /** The data model of the history's micro-operations. Default `'list-append'`. */
  readonly model?: DataModel;
  /** The model `valid` answers for. Default `'serializable'`. */
  readonly consistency?: ConsistencyModel;
  /** Add realtime edges (T1 returned before T2 was called), needed for strict serializability. Implied by `consistency: 'strict-serializable'`. */
  readonly strict?: boolean;
  /** Add process-order edges (each process's transactions in the order it ran them). */
  readonly session?: boolean;
  /** rw-register: assume writes follow reads within a transaction (see the README). */
  readonly wfrKeys?: boolean;
  /** rw-register: assume each key is sequentially consistent (see the README). */
  readonly sequentialKeys?: boolean;
  /** rw-register: assume each key is linearizable (see the README). */
  readonly linearizableKeys?: boolean;
  /** Name of the input in error messages. */
  readonly source?: string;
  /** Bounds on the cycle search per strongly connected component. */
  readonly limits?: Partial<CycleSearchLimits>;
}

const ANALYZERS: Readonly<Record<DataModel, Analyzer>> = { 'list-append': analyzeListAppend, 'rw-register': analyzeRwRegister };

const ANOMALY_ORDER: readonly AnomalyType[] = [
  'internal',
  'garbage-read',
  'duplicate-elements',
  'duplicate-appends',
  'duplicate-writes',
  'incompatible-order',
  'G1a',
  'G1b',
  'G0',
  'G1c',
  'lost-update',
  'G-single',
  'G2-item',
  'G0-process',
  'G1c-process',
  'G-single-process',
  'G2-item-process',
  'G0-realtime',
  'G1c-realtime',
  'G-single-realtime',
  'G2-item-realtime',
];

/** The cycle search limits: the defaults, with any given ones (positive integers) in their place. */
function checkLimits(limits: Partial<CycleSearchLimits> | undefined): CycleSearchLimits {
  if (limits === undefined) return DEFAULT_LIMITS;
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) throw new InvalidCheckOptionsError(`limits must be an object, got ${describeValue(limits)}`);
  for (const name of ['startsPerComponent', 'expansionsPerComponent'] as const) {
    const value = limits[name];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) throw new InvalidCheckOptionsError(`limits.${name} must be a positive integer, got ${describeValue(value)}`);
  }
  return {
    startsPerComponent: limits.startsPerComponent ?? DEFAULT_LIMITS.startsPerComponent,
    expansionsPerComponent: limits.expansionsPerComponent ?? DEFAULT_LIMITS.expansionsPerComponent,
  };
}

/**
 * Checks a transactional history for isolation anomalies and says which consistency models it
 * is compatible with. Sound, not complete: every anomaly reported is in the history; a history
 * with no anomaly reported may still hide one the observations cannot show.
 *
 * @example
 * ```ts
 * const result = check(history, { model: 'list-append', consistency: 'serializable' });
 * if (!result.valid) console.log(result.models.find((m) => m.model === 'serializable')?.counterexample);
 * ```
 */
export function check(history: readonly Transaction[], options: CheckOptions = {}): CheckResult {
  assertOptionalObject(options, 'check options');
  const model = checkModel(options.model ?? 'list-append');
  const analyze = ANALYZERS[model];
  const consistency = options.consistency ?? 'serializable';
  if (!CONSISTENCY_MODELS.includes(consistency)) throw new InvalidCheckOptionsError(`consistency must be one of ${CONSISTENCY_MODELS.join(', ')}, got ${String(consistency)}`);
  for (const name of ['strict', 'session', 'wfrKeys', 'sequentialKeys', 'linearizableKeys'] as const) checkOptionalBoolean(options[name], name);
  checkOptionalString(options.source, 'source');
  const limits = checkLimits(options.limits);
  validateHistory(history, model, options.source);
  const strict = options.strict === true || consistency === 'strict-serializable';
  const session = options.session === true;

  const edges = new EdgeCollector();
  const analysis = analyze(history, edges, {
    wfrKeys: options.wfrKeys === true,
    sequentialKeys: options.sequentialKeys === true,
    linearizableKeys: options.linearizableKeys === true,
  });
  if (strict) addRealtimeEdges(history, edges);
  if (session) addProcessEdges(history, edges);
  const graph = edges.freeze(history.length);
  const found = findCycles(graph, strict || session, limits);

  const cycles = found.map((cycle) => describeCycle(cycle, history, analysis.explain));
  const anomalies: Anomaly[] = [...analysis.anomalies, ...cycles];
  const rank = (type: AnomalyType): number => ANOMALY_ORDER.indexOf(type);
  anomalies.sort((a, b) => rank(a.type) - rank(b.type) || size(a) - size(b));
  const anomalyTypes = [...new Set(anomalies.map((a) => a.type))];

  const models: ModelVerdict[] = CONSISTENCY_MODELS.map((m) => {
    const violatedBy = anomalyTypes.filter((type) => FORBIDDEN[m].includes(type));
    if (violatedBy.length > 0) return { model: m, verdict: 'incompatible', violatedBy, counterexample: smallest(anomalies.filter((a) => FORBIDDEN[m].includes(a.type))) };
    if (m === 'strict-serializable' && !strict) return { model: m, verdict: 'unchecked', violatedBy };
    return { model: m, verdict: 'compatible', violatedBy };
  });
  const inCycle = new Set<number>();
  for (const cycle of found) for (const node of cycle.nodes) inCycle.add(node);
  return {
    valid: models.find((m) => m.model === consistency)!.verdict === 'compatible',
    consistency,
    model,
    anomalyTypes,
    anomalies,
    models,
    stats: { transactions: history.length, nodes: history.filter(isNode).length, edges: graph.edges, cyclicTransactions: inCycle.size },
  };
}

/**
 * The counterexample of a model: the smallest anomaly it forbids (fewest transactions, so the
 * shortest cycle), the most basic type among equals. `anomalies` is sorted by type, then size.
 */
function smallest(anomalies: readonly Anomaly[]): Anomaly {
  let best = anomalies[0]!;
  for (const anomaly of anomalies) if (size(anomaly) < size(best)) best = anomaly;
  return best;
}

function size(anomaly: Anomaly): number {
  return 'steps' in anomaly ? anomaly.steps.length : anomaly.transactions.length;
}

const CLASS_WORDS: Readonly<Record<string, string>> = {
  G0: 'a cycle of write-write dependencies only (write cycle)',
  G1c: 'a cycle of write-write and write-read dependencies (circular information flow)',
  'G-single': 'a cycle with exactly one anti-dependency (read skew)',
  'G2-item': 'a cycle with two or more anti-dependencies (e.g. write skew)',
};

function describeCycle(cycle: FoundCycle, history: readonly Transaction[], explain: (from: number, to: number, kind: CycleStep['kind']) => string): CycleAnomaly {
  const steps: CycleStep[] = [];
  for (let i = 0; i + 1 < cycle.nodes.length; i++) {
    const from = cycle.nodes[i]!;
    const to = cycle.nodes[i + 1]!;
    const kind = cycle.kinds[i]!;
    let because: string;
    if (kind === 'rt') because = `${txnName(from)} completed (at ${history[from]!.return}) before ${txnName(to)} began (at ${history[to]!.call})`;
    else if (kind === 'process') because = `${txnName(from)} and then ${txnName(to)} ran on process ${formatValue(history[from]!.process)}`;
    else because = explain(from, to, kind);
    steps.push({ from, to, kind, because });
  }
  const base = cycle.type.replace(/-(realtime|process)$/, '');
  const order = cycle.type.endsWith('-realtime') ? ', closed by realtime order' : cycle.type.endsWith('-process') ? ', closed by process order' : '';
  const names = cycle.nodes.map(txnName).join(' → ');
  const lines = [`${cycle.type}: ${CLASS_WORDS[base]}${order}: ${names}`];
  for (const step of steps) lines.push(`  ${txnName(step.from)} < ${txnName(step.to)} (${step.kind}): ${step.because}`);
  return { type: cycle.type, steps, explanation: lines.join('\n') };
}
