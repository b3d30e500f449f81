import { type Clock, InvalidArgumentError, isLatticeError, type NodeId, type Random, seededRandom, type Timers } from '@lattice/core';
import type { Operation } from '@lattice/linearizability';
import { OperationFailedError } from './errors.js';
import type { SimEventKind } from './events.js';
import { errorText, type SimulationKernel } from './kernel.js';
import { deriveSeed } from './seeds.js';

/** How a client's operation ended. */
export type InvokeResult<O> =
  | { readonly status: 'ok'; readonly output: O }
  | { readonly status: 'fail'; readonly error: unknown }
  | { readonly status: 'info'; readonly error?: unknown };

/** Options of {@link ClientContext.invoke}. */
export interface InvokeOptions {
  /** Virtual ms after which the outcome is recorded as unknown. Default: the clients' `timeoutMs`. */
  timeoutMs?: number;
}

/**
 * What a client process gets: it issues operations against nodes and the simulator records
 * each as an `Operation` for the linearizability checker, with virtual (true) call and return times.
 */
export interface ClientContext<H, I, O> {
  /** Client id (`c1`, `c2`, …). */
  readonly id: string;
  /**
   * The process number operations are recorded under. It changes after an operation with an
   * unknown outcome, since that operation may still take effect later (as in Jepsen).
   */
  readonly process: number;
  /** The node ids of the cluster. */
  readonly nodes: readonly NodeId[];
  /** True time (clients are the observers; their clocks are exact). */
  readonly clock: Clock;
  /** Timers in true time. */
  readonly timers: Timers;
  /** This client's seeded random stream. */
  readonly random: Random;
  /** The handle of node `id` if it is up, else undefined. */
  node(id: NodeId): H | undefined;
  /** The ids of the nodes that are up now. */
  upNodes(): NodeId[];
  /** Resolves after `ms` of virtual time. */
  sleep(ms: number): Promise<void>;
  /**
   * Runs one operation and records it. `execute` returns the output; if it throws
   * `OperationFailedError` the operation definitely did not happen (left out of the history);
   * any other error, or no answer within the timeout, makes the outcome unknown.
   */
  invoke(input: I, execute: () => O | Promise<O>, options?: InvokeOptions): Promise<InvokeResult<O>>;
  /** Adds a line to the event log. */
  log(text: string): void;
}

/** Options of the simulated clients. */
export interface ClientOptions<H, I, O> {
  /** Number of client processes. */
  count: number;
  /** Body of each client; the run may end before it returns. */
  run(client: ClientContext<H, I, O>): Promise<void>;
  /** Default operation timeout, virtual ms. Default 1,000. */
  timeoutMs?: number;
  /** Text of an operation in the event log. Default: JSON. */
  describe?(input: I, output?: O): string;
}

/** What the clients need of the simulation besides the kernel. */
export interface ClientHost<H> {
  readonly seed: number;
  readonly nodes: readonly NodeId[];
  readonly trueClock: Clock;
  readonly trueTimers: Timers;
  handle(id: NodeId): H | undefined;
  isUp(id: NodeId): boolean;
}

interface OperationRecord<I, O> {
  op: Operation<I, O>;
  status: 'pending' | 'ok' | 'fail' | 'info';
}

/** A run's history with the counts of each outcome. */
export interface ClientHistory<I, O> {
  history: Operation<I, O>[];
  ok: number;
  fail: number;
  info: number;
}

/**
 * The client processes of a simulation and the history they record. Clients live in true time
 * and are async code, so the run loop settles promise continuations after every instant while
 * any client is still running.
 */
export class Clients<H, I, O> {
  readonly #kernel: SimulationKernel;
  readonly #host: ClientHost<H>;
  readonly #options: ClientOptions<H, I, O>;
  readonly #operations: OperationRecord<I, O>[] = [];
  readonly #nextProcess: { value: number };
  /** Client bodies that have not returned yet. */
  running = 0;

  constructor(kernel: SimulationKernel, host: ClientHost<H>, options: ClientOptions<H, I, O>) {
    this.#kernel = kernel;
    this.#host = host;
    this.#options = options;
    this.#nextProcess = { value: options.count };
  }

  /** Starts every client's body. */
  startAll(): void {
    const options = this.#options;
    const kernel = this.#kernel;
    for (let index = 0; index < options.count; index++) {
      this.running++;
      const context = this.#context(index);
      let body: Promise<void>;
      try {
        body = Promise.resolve(options.run(context));
      } catch (error) {
        body = Promise.reject(error);
      }
      body.then(
        () => {
          this.running--;
          kernel.activity++;
        },
        (error: unknown) => {
          this.running--;
          kernel.activity++;
          kernel.recordError(context.id, 'client', error);
        },
      );
    }
  }

  /** The history for the checker: definite failures left out, unknown outcomes with `return: undefined`. */
  history(): ClientHistory<I, O> {
    const history: Operation<I, O>[] = [];
    let ok = 0;
    let fail = 0;
    let info = 0;
    for (const entry of this.#operations) {
      if (entry.status === 'fail') {
        fail++;
        continue;
      }
      if (entry.status === 'ok') ok++;
      else info++;
      history.push(entry.op);
    }
    return { history, ok, fail, info };
  }

  #context(index: number): ClientContext<H, I, O> {
    const kernel = this.#kernel;
    const host = this.#host;
    const options = this.#options;
    const nextProcess = this.#nextProcess;
    const id = `c${index + 1}`;
    const timeoutDefault = options.timeoutMs ?? 1_000;
    const describe = (input: I, output?: O): string => {
      if (options.describe !== undefined) return options.describe(input, output);
      return output === undefined ? text(input) : `${text(input)} -> ${text(output)}`;
    };
    let process = index;
    let busy = false;
    const record = (kind: SimEventKind, processId: number, what: string): void => {
      kernel.activity++;
      if (kernel.logging) kernel.log.add(kernel.now, kind, id, undefined, processId, Number.NaN, what);
    };
    return {
      id,
      get process() {
        return process;
      },
      nodes: host.nodes,
      clock: host.trueClock,
      timers: host.trueTimers,
      random: seededRandom(deriveSeed(host.seed, `client/${id}`)),
      node: (nodeId) => host.handle(nodeId),
      upNodes: () => host.nodes.filter((nodeId) => host.isUp(nodeId)),
      sleep: (ms) => {
        if (typeof ms !== 'number' || !Number.isFinite(ms)) return Promise.reject(new InvalidArgumentError(`sleep needs a finite number of ms, got ${String(ms)}`));
        return new Promise<void>((resolve) => {
          kernel.activity++;
          kernel.queue.push(kernel.now + Math.max(0, ms), resolve);
        });
      },
      log: (line) => kernel.note('note', id, String(line)),
      invoke: (input, execute, invokeOptions) => {
        if (busy) return Promise.reject(new InvalidArgumentError(`client ${id} already has an operation open; await it first`));
        if (typeof execute !== 'function') return Promise.reject(new InvalidArgumentError('invoke needs a function that executes the operation'));
        const timeoutMs = invokeOptions?.timeoutMs ?? timeoutDefault;
        if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) return Promise.reject(new InvalidArgumentError(`timeoutMs must be > 0, got ${timeoutMs}`));
        busy = true;
        const processId = process;
        const entry: OperationRecord<I, O> = { op: { process: processId, call: kernel.now, return: undefined, input, output: undefined }, status: 'pending' };
        this.#operations.push(entry);
        record('invoke', processId, describe(input));
        return new Promise<InvokeResult<O>>((resolve) => {
          let settled = false;
          const unknown = (error: unknown, why: string): void => {
            entry.status = 'info';
            process = nextProcess.value++;
            busy = false;
            record('info', processId, `${describe(input)}: ${why}`);
            resolve(error === undefined ? { status: 'info' } : { status: 'info', error });
          };
          const timer = kernel.queue.push(kernel.now + timeoutMs, () => {
            if (settled) return;
            settled = true;
            unknown(undefined, `timed out after ${timeoutMs} ms`);
          });
          let pending: Promise<O>;
          try {
            pending = Promise.resolve(execute());
          } catch (error) {
            pending = Promise.reject(error);
          }
          pending.then(
            (output) => {
              if (settled) return;
              settled = true;
              kernel.queue.cancel(timer);
              entry.status = 'ok';
              entry.op.return = kernel.now;
              entry.op.output = output;
              busy = false;
              record('ok', processId, describe(input, output));
              resolve({ status: 'ok', output });
            },
            (error: unknown) => {
              if (settled) return;
              settled = true;
              kernel.queue.cancel(timer);
              if (isLatticeError(error, OperationFailedError.code)) {
                entry.status = 'fail';
                busy = false;
                record('fail', processId, `${describe(input)}: ${(error as Error).message}`);
                resolve({ status: 'fail', error });
              } else {
                unknown(error, `threw ${errorText(error)}`);
              }
            },
          );
        });
      },
    };
  }
}

function text(value: unknown): string {
  try {
    return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  } catch {
    return String(value);
  }
}
