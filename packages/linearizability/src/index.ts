/**
 * A fast linearizability checker: does a concurrent history (invocations and responses, per
 * client) behave like some sequential execution of a model that respects real time?
 *
 * - {@link check} / {@link checkAsync}: Wing & Gong's search with Lowe's just-in-time
 *   linearization and memoisation of (linearized set, state), as Porcupine; P-compositional
 *   partitioning (e.g. per key); a time budget or abort signal answers `unknown`, never a guess.
 * - Built-in models: {@link registerModel}, {@link casRegisterModel}, {@link kvModel}, and
 *   Knossos's {@link mutexModel}, {@link multiRegisterModel}, {@link setModel},
 *   {@link unorderedQueueModel} and {@link fifoQueueModel}; write your own against {@link Model}.
 * - On a violation, a {@link Counterexample} and {@link renderReport}: a self-contained HTML
 *   page drawing the history per process with the failing point marked.
 * - Parsers for Jepsen logs, Jepsen EDN histories and the library's own JSON format
 *   ({@link parseJsonHistory}). The CLI `lattice-lincheck` (Node) wraps
 *   all of it.
 *
 * Runs anywhere (no Node APIs outside the CLI).
 *
 * @example
 * ```ts
 * import { check, kvModel, renderReport } from '@lattice/linearizability';
 *
 * const history = [
 *   { process: 0, call: 0, return: 4, input: { op: 'put', key: 'x', value: 'a' }, output: undefined },
 *   { process: 1, call: 5, return: 6, input: { op: 'get', key: 'x' }, output: '' },
 * ] as const;
 * const result = check(kvModel, [...history]);
 * console.log(result.verdict); // 'not linearizable': the put finished before the get began
 * const html = renderReport(result, [...history], kvModel); // save and open in a browser
 * ```
 *
 * @packageDocumentation
 */
export { type CheckAsyncOptions, check, checkAsync } from './check.js';
export { MalformedHistoryError } from './errors.js';
export { fromNondeterministic, type NondeterministicModel } from './nondeterministic.js';
export { type EdnHistoryOptions, type EdnRegisterHistoryOptions, parseEdnHistory, parseEdnKvHistory, parseEdnRegisterHistory } from './edn-history.js';
export type { BuiltInModelName, KnossosHistory, KnossosModelName, KnossosOperations, NilReads } from './jepsen-operations.js';
export { type JepsenLogOptions, type ParseOptions, parseJepsenLog } from './jepsen-log.js';
export { type JsonHistoryModel, type JsonHistoryOptions, parseJsonHistory } from './json-history.js';
export { type ReportOptions, renderReport } from './report.js';
export {
  type CasRegisterInput,
  type CasRegisterModelOptions,
  type CasRegisterOutput,
  casRegisterModel,
  createCasRegisterModel,
} from './models/cas-register.js';
export { type FifoQueueState, fifoQueueModel } from './models/fifo-queue.js';
export {
  createMultiRegisterModel,
  type MultiRegisterInput,
  type MultiRegisterKey,
  type MultiRegisterMicroOp,
  type MultiRegisterModelOptions,
  type MultiRegisterOutput,
  type MultiRegisterState,
  multiRegisterModel,
} from './models/multi-register.js';
export { type MutexInput, type MutexState, mutexModel } from './models/mutex.js';
export type { QueueInput, QueueOutput, QueueValue } from './models/queue-operations.js';
export { type SetInput, type SetOutput, type SetState, setModel } from './models/set.js';
export { type QueueMultiset, unorderedQueueModel } from './models/unordered-queue.js';
export { type KvInput, type KvOutput, KvState, kvModel, partitionByKey } from './models/kv.js';
export {
  createRegisterModel,
  type RegisterInput,
  type RegisterModelOptions,
  type RegisterOutput,
  type RegisterValue,
  registerModel,
} from './models/register.js';
export type {
  CheckOptions,
  CheckResult,
  Counterexample,
  Model,
  Operation,
  PartitionResult,
  StepResult,
  UnknownReason,
  Verdict,
} from './types.js';
