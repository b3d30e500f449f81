import {
  assertFunction,
  assertNumber,
  assertObject,
  assertOptionalObject,
  type Clock,
  InvalidArgumentError,
  isNodeId,
  MAX_NODE_ID_LENGTH,
  type NodeId,
  type Random,
  seededRandom,
  type Timers,
} from '@lattice/core';
import type { Operation } from '@lattice/linearizability';
import type { FaultOptions, NetworkStats } from '@lattice/transport';
import { type ClientOptions, Clients } from './clients.js';
import { type DiagramOptions, toSpaceTimeDiagram } from './diagram.js';
import type { SimDisk, SimDiskOptions } from './disk.js';
import { SimulationError } from './errors.js';
import { formatEvent, type SimEvent } from './events.js';
import { type FaultScheduleOptions, type FaultTarget, scheduleFaults } from './faults.js';
import { SimulationKernel, validDelay } from './kernel.js';
import { MessageTracking } from './message-tracking.js';
import type { NodeClock } from './node-clock.js';
import { type ClockOptions, type NodeFactory, NodeRuntime } from './node-runtime.js';
import { runLoop, settle } from './run-loop.js';
import { deriveSeed, replayCommand } from './seeds.js';
import { toShiViz } from './shiviz.js';
import { SimNetwork } from './sim-network.js';

/** Options of {@link Simulation}. */
export interface SimulationOptions<H, I = unknown, O = unknown> {
  /** The seed every random decision derives from. Same seed, same run. */
  seed: number;
  /** Node ids, or a count (ids `n1` … `nN`). */
  nodes: readonly NodeId[] | number;
  /** Builds a node. */
  node: NodeFactory<H>;
  /** Client processes that issue operations and record a history. */
  clients?: ClientOptions<H, I, O>;
  /** The network's normal behaviour (faults add to it for a while). Default: latency 1–10 ms, no loss. */
  network?: FaultOptions;
  /** Largest payload a node may send, bytes. Default 4 MiB. */
  maxMessageSize?: number;
  /** Clock skew and drift of the nodes. */
  clocks?: ClockOptions;
  /** Disk behaviour on crash. */
  disk?: SimDiskOptions;
  /** A seeded random fault schedule; `false` or absent: none (schedule faults yourself with `at`). */
  faults?: FaultScheduleOptions | false;
  /** Record the event log. Default true. */
  log?: boolean;
  /** Command that replays a run, with `{seed}` in place of the seed. Default `SIM_SEED={seed} npx vitest run`. */
  replay?: string;
  /**
   * Quiet microtask turns the run loop waits after an instant whose events ran async code
   * (more while node code keeps calling simulator APIs), so promise continuations run at the
   * virtual time of the event that caused them. Instants that ran only synchronous work —
   * deliveries to and timers of nodes running a protocol core ({@link NodeContext.runCore}),
   * network deliveries, the fault schedule — are not settled, unless clients are running.
   * At least 1; default 2.
   */
  settleTicks?: number;
  /** Let a run succeed even when node code threw. Default false: `run` throws a `SimulationError`. */
  allowNodeErrors?: boolean;
  /**
   * Most events at one virtual instant before the run fails: code that keeps scheduling
   * zero-delay timers would otherwise never let time advance. Default 1,000,000.
   */
  maxEventsPerInstant?: number;
}

/** Options of {@link Simulation.run}. */
export interface RunOptions {
  /** Virtual ms to simulate at most. */
  duration: number;
  /** End as soon as every client's `run` has returned. Default true. */
  stopWhenClientsDone?: boolean;
}

/** Counters of a finished run. */
export interface SimulationStats {
  /** Events taken off the queue (timers, deliveries, faults). */
  events: number;
  /** The network's counters. */
  network: NetworkStats;
  /** Instants after which the run loop waited for promise continuations (0 for a run of protocol cores alone). */
  settles: number;
  /** Crashes and restarts. */
  crashes: number;
  restarts: number;
  /** Client operations by outcome. */
  ok: number;
  fail: number;
  info: number;
}

/** What a run produced. */
export interface SimulationResult<I = unknown, O = unknown> {
  readonly seed: number;
  /** Command that replays this run. */
  readonly replay: string;
  readonly nodes: readonly NodeId[];
  /** Virtual time at which the run ended, ms. */
  readonly endTime: number;
  /** The event log (empty with `log: false`). */
  readonly events: readonly SimEvent[];
  /** Client operations for the checker: definite failures left out, unknown outcomes with `return: undefined`. */
  readonly history: Operation<I, O>[];
  /** Errors thrown by node or client code, as text. */
  readonly errors: readonly string[];
  readonly stats: SimulationStats;
  /** The event log as text lines. */
  log(): string[];
  /** The run as a ShiViz log. */
  shiviz(): string;
  /** The run as a self-contained HTML page with an SVG space-time diagram. */
  diagram(options?: DiagramOptions): string;
}

const DEFAULT_LATENCY = { min: 1, max: 10 } as const;
const DEFAULT_MAX_MESSAGE_SIZE = 4 * 1024 * 1024;

/** Most nodes a simulation takes: far more than any simulated cluster, so a larger count is a mistake. */
export const MAX_NODES = 0xffff;

/**
 * A seeded, deterministic simulation of a cluster. One event queue ordered by (virtual time,
 * sequence) drives everything: node timers (in each node's skewed, drifting time), message
 * deliveries of a `MemoryNetwork` built on the simulator's timers and seeded randomness, the
 * fault schedule, and client processes. Nodes crash (endpoint closed, timers dead, unsynced
 * disk writes lost) and restart (factory called again with the surviving disk).
 *
 * Same seed, same run: the event log of two runs with one seed is identical.
 *
 * @example
 * ```ts
 * const sim = new Simulation({
 *   seed: 42,
 *   nodes: 3,
 *   node: (ctx) => {
 *     const beat = () => {
 *       for (const peer of ctx.nodes) if (peer !== ctx.id) void ctx.endpoint.send(peer, new Uint8Array([1]));
 *       ctx.timers.setTimeout(beat, 50);
 *     };
 *     beat();
 *     return {};
 *   },
 *   faults: { kinds: ['partition', 'crash'] },
 * });
 * const result = await sim.run({ duration: 10_000 });
 * console.log(result.log().slice(0, 20).join('\n'));
 * ```
 */
export class Simulation<H = unknown, I = unknown, O = unknown> {
  readonly seed: number;
  readonly nodes: readonly NodeId[];
  readonly replay: string;
  readonly #options: SimulationOptions<H, I, O>;
  readonly #kernel: SimulationKernel;
  readonly #network: SimNetwork;
  readonly #runtime: NodeRuntime<H>;
  readonly #tracking: MessageTracking | undefined;
  readonly #baseline: { dropRate: number; duplicateRate: number; reorderRate: number; latency: { min: number; max: number } };
  readonly #settleTicks: number;
  readonly #trueClock: Clock;
  readonly #trueTimers: Timers;
  /** Nodes slowed down by {@link Simulation.slowDown}: most ms each message waits before it is handled. */
  readonly #slow = new Map<NodeId, number>();
  readonly #slowRandom: Random;
  #eventsRun = 0;
  #settles = 0;
  #started = false;

  constructor(options: SimulationOptions<H, I, O>) {
    assertObject(options, 'Simulation options');
    if (!Number.isSafeInteger(options.seed)) throw new InvalidArgumentError(`seed must be a safe integer, got ${options.seed}`);
    if (typeof options.node !== 'function') throw new InvalidArgumentError('node must be a factory function');
    this.seed = options.seed;
    this.#options = options;
    this.nodes = resolveNodes(options.nodes);
    const logging = options.log ?? true;
    const kernel = new SimulationKernel([...this.nodes, ...Array.from({ length: options.clients?.count ?? 0 }, (_, i) => `c${i + 1}`)], logging);
    this.#kernel = kernel;
    this.replay = replayCommand(options.replay ?? 'SIM_SEED={seed} npx vitest run', options.seed);
    this.#settleTicks = options.settleTicks ?? 2;
    if (!Number.isInteger(this.#settleTicks) || this.#settleTicks < 1) throw new InvalidArgumentError(`settleTicks must be an integer >= 1, got ${options.settleTicks}`);
    if (options.replay !== undefined && typeof options.replay !== 'string') throw new InvalidArgumentError('replay must be a command template string');
    assertOptionalObject(options.network, 'network');
    assertOptionalObject(options.clocks, 'clocks');
    assertOptionalObject(options.disk, 'disk');
    if (options.faults !== undefined && options.faults !== false) assertObject(options.faults, 'faults');
    if (options.maxEventsPerInstant !== undefined) assertNumber(options.maxEventsPerInstant, 'maxEventsPerInstant', 1);
    if (options.clients !== undefined) {
      assertObject(options.clients, 'clients');
      const { count, timeoutMs, run } = options.clients;
      if (!Number.isInteger(count) || count < 0) throw new InvalidArgumentError(`clients.count must be an integer >= 0, got ${count}`);
      if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs > 0))) throw new InvalidArgumentError(`clients.timeoutMs must be > 0, got ${timeoutMs}`);
      if (typeof run !== 'function') throw new InvalidArgumentError('clients.run must be a function');
    }
    const maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    if (!Number.isSafeInteger(maxMessageSize) || maxMessageSize <= 0) throw new InvalidArgumentError(`maxMessageSize must be a positive integer, got ${maxMessageSize}`);
    this.#trueClock = { now: () => (options.clocks?.wallStart ?? 1_700_000_000_000) + kernel.now, monotonic: () => kernel.now };
    this.#trueTimers = {
      setTimeout: (callback, delayMs) => kernel.schedule(validDelay(delayMs), callback, false),
      clearTimeout: (handle) => kernel.cancel(handle),
    };
    // Deliveries only hand messages to endpoints; the endpoint of a node running async code asks for settling itself.
    const networkTimers: Timers = {
      setTimeout: (callback, delayMs) => kernel.schedule(validDelay(delayMs), callback, true),
      clearTimeout: (handle) => kernel.cancel(handle),
    };
    this.#network = new SimNetwork({
      timers: networkTimers,
      clock: this.#trueClock,
      random: seededRandom(deriveSeed(options.seed, 'network')),
      maxMessageSize,
      faults: { dropRate: 0, duplicateRate: 0, reorderRate: 0, latency: { ...DEFAULT_LATENCY }, ...options.network },
      host: {
        nodeError: (node, error) => kernel.recordError(node, 'handler', error.cause ?? error),
        touch: (synchronous) => kernel.touch(synchronous),
        processingDelay: (node) => {
          const max = this.#slow.get(node);
          return max === undefined ? 0 : this.#slowRandom.next() * max;
        },
        // Quiet: the handler's own `touch` asks for settling when the node runs async code.
        defer: (delayMs, run) => kernel.schedule(delayMs, run, true),
      },
    });
    const resolved = this.#network.network.faults;
    this.#baseline = { ...resolved, latency: { ...resolved.latency } };
    this.#slowRandom = seededRandom(deriveSeed(options.seed, 'slow'));
    this.#runtime = new NodeRuntime(kernel, this.#network, { seed: options.seed, nodes: this.nodes, factory: options.node, clocks: options.clocks, disk: options.disk });
    this.#tracking = logging ? new MessageTracking(this.#network.network, kernel.log, new Map(this.nodes.map((id, index) => [id, index])), () => kernel.now) : undefined;

    // Scheduled now, so bad fault options fail at construction rather than mid-run.
    if (options.faults) scheduleFaults(this.#faultTarget(), options.faults, seededRandom(deriveSeed(options.seed, 'faults')));
  }

  /** Virtual (true) time now, ms. */
  now(): number {
    return this.#kernel.now;
  }

  /** Schedules `action` at virtual time `time` (ms; now if in the past). */
  at(time: number, action: () => void): void {
    this.#schedule(time, action, false);
  }

  /** True when node `id` is running (after the run: was running when it ended). */
  isUp(id: NodeId): boolean {
    return this.#runtime.isUp(id);
  }

  /**
   * The running node's handle, or undefined while it is down or starting. After the run, the
   * handle of each node that was up at the end stays readable, to check final states
   * (replicas converged, logs agree).
   */
  handle(id: NodeId): H | undefined {
    return this.#runtime.handle(id);
  }

  /** The clock of node `id` (to inspect skew and drift). */
  clock(id: NodeId): NodeClock {
    return this.#runtime.clock(id);
  }

  /** The disk of node `id`. */
  disk(id: NodeId): SimDisk {
    return this.#runtime.disk(id);
  }

  /** Crashes node `id`: endpoint closed, timers dead, unsynced disk writes lost. No-op if down. */
  crash(id: NodeId): void {
    this.#runtime.crash(id);
  }

  /** Restarts a crashed node: its factory runs again with the surviving disk. No-op if up, not yet started, or after the run. */
  restart(id: NodeId): void {
    this.#runtime.restart(id);
  }

  /** Splits the network into named groups that cannot reach each other. */
  partition(groups: Record<string, readonly NodeId[]>): void {
    assertObject(groups, 'partition groups');
    for (const group of Object.values(groups)) if (!Array.isArray(group)) throw new InvalidArgumentError('every partition group must be an array of node ids');
    for (const group of Object.values(groups)) for (const id of group) this.#runtime.assertNode(id);
    this.#network.network.partition(groups);
    this.#fault(`partition ${Object.values(groups).map((group) => `[${group.join(' ')}]`).join(' | ')}`);
  }

  /**
   * Slows node `id` down as a process starved of CPU (the Lifeguard paper's slow member): each
   * message it receives from now on is handled a seeded random 0–`maxDelayMs` ms late, so its
   * acks and replies leave late too. `0` restores it. The node's own timers are not delayed.
   */
  slowDown(id: NodeId, maxDelayMs: number): void {
    this.#runtime.assertNode(id);
    if (typeof maxDelayMs !== 'number' || !(maxDelayMs >= 0) || !Number.isFinite(maxDelayMs)) {
      throw new InvalidArgumentError(`maxDelayMs must be a finite number >= 0, got ${String(maxDelayMs)}`);
    }
    if (maxDelayMs === 0) this.#slow.delete(id);
    else this.#slow.set(id, maxDelayMs);
    this.#fault(maxDelayMs === 0 ? `${id} handles messages at once again` : `${id} handles each message up to ${maxDelayMs} ms late`);
  }

  /** Cuts every link to and from `id`. */
  isolate(id: NodeId): void {
    this.#runtime.assertNode(id);
    this.#network.network.isolate(id);
    this.#fault(`isolate ${id}`);
  }

  /** Cuts the link from `from` to `to`, one way. */
  cut(from: NodeId, to: NodeId): void {
    this.#runtime.assertNode(from);
    this.#runtime.assertNode(to);
    this.#network.network.cut(from, to);
    this.#fault(`cut ${from} -> ${to}`);
  }

  /** Restores a link cut with {@link Simulation.cut}. */
  restore(from: NodeId, to: NodeId): void {
    this.#runtime.assertNode(from);
    this.#runtime.assertNode(to);
    this.#network.network.restore(from, to);
    this.#fault(`restore ${from} -> ${to}`);
  }

  /** Removes every partition, cut and isolation. */
  heal(): void {
    this.#network.network.heal();
    this.#fault('heal');
  }

  /** Changes the network's drop/duplicate/reorder rates or latency from now on. */
  setNetworkFaults(faults: FaultOptions): void {
    this.#network.network.configure(faults);
    const parts: string[] = [];
    if (faults.dropRate !== undefined) parts.push(`drop rate ${faults.dropRate}`);
    if (faults.duplicateRate !== undefined) parts.push(`duplicate rate ${faults.duplicateRate}`);
    if (faults.reorderRate !== undefined) parts.push(`reorder rate ${faults.reorderRate}`);
    if (faults.latency !== undefined) parts.push(`latency ${faults.latency.min}-${faults.latency.max} ms`);
    this.#fault(parts.join(', '));
  }

  /** The network's normal settings (what faults return to). */
  baselineNetworkFaults(): { dropRate: number; duplicateRate: number; reorderRate: number; latency: { min: number; max: number } } {
    return { ...this.#baseline, latency: { ...this.#baseline.latency } };
  }

  /** Steps node `id`'s wall clock by `deltaMs` (negative = backwards). */
  jumpClock(id: NodeId, deltaMs: number): void {
    this.#runtime.clock(id).jumpWall(deltaMs);
    this.#fault(`clock of ${id} jumps ${deltaMs >= 0 ? '+' : ''}${deltaMs} ms`);
  }

  /** Sets node `id`'s clock drift, ppm. */
  setDrift(id: NodeId, driftPpm: number): void {
    const clock = this.#runtime.clock(id);
    if (clock.driftPpm === driftPpm) return;
    clock.setDrift(driftPpm);
    this.#fault(`clock of ${id} drifts ${round3(driftPpm)} ppm`);
  }

  /** The drift node `id` started with, ppm. */
  initialDrift(id: NodeId): number {
    return this.#runtime.initialDrift(id);
  }

  /**
   * Runs the simulation: starts the nodes, the fault schedule and the clients, then processes
   * events until `duration` (or until the clients are done). Throws a `SimulationError` naming
   * the seed and the replay command if node or client code threw (unless `allowNodeErrors`).
   */
  async run(options: RunOptions): Promise<SimulationResult<I, O>> {
    if (this.#started) throw new InvalidArgumentError('a Simulation runs once; create a new one (same seed = same run)');
    assertObject(options, 'run options');
    const duration = options.duration;
    if (!(duration >= 0) || !Number.isFinite(duration)) throw new InvalidArgumentError(`duration must be a finite number >= 0, got ${duration}`);
    const stopWhenClientsDone = options.stopWhenClientsDone ?? true;
    if (typeof stopWhenClientsDone !== 'boolean') throw new InvalidArgumentError(`stopWhenClientsDone must be a boolean, got ${String(stopWhenClientsDone)}`);
    this.#started = true;
    const kernel = this.#kernel;

    await this.#runtime.startAll();
    const clientOptions = this.#options.clients;
    const clients = clientOptions === undefined ? undefined : new Clients(kernel, this.#clientHost(), clientOptions);
    clients?.startAll();
    const clientCount = clientOptions?.count ?? 0;

    const maxEventsPerInstant = this.#options.maxEventsPerInstant ?? 1_000_000;
    if (!(maxEventsPerInstant > 0)) throw new InvalidArgumentError(`maxEventsPerInstant must be > 0, got ${maxEventsPerInstant}`);
    await settle(kernel, Math.max(this.#settleTicks, 8));
    const loop = await runLoop(kernel, {
      duration,
      settleTicks: this.#settleTicks,
      maxEventsPerInstant,
      // A run without clients (or with zero of them) is not "done" before its duration.
      clients: clientCount > 0 ? clients : undefined,
      stopWhenClientsDone,
    });
    this.#eventsRun = loop.events;
    this.#settles = loop.settles;
    kernel.now = Math.max(kernel.now, loop.endTime);
    return this.#finish(clients);
  }

  #finish(clients: Clients<H, I, O> | undefined): SimulationResult<I, O> {
    const kernel = this.#kernel;
    const endTime = kernel.now;
    this.#runtime.finish();
    void this.#network.close();
    this.#tracking?.finish(endTime);
    const { history, ok, fail, info } = clients?.history() ?? { history: [] as Operation<I, O>[], ok: 0, fail: 0, info: 0 };
    const log = kernel.log;
    const nodes = this.nodes;
    const errors = kernel.errors.slice();
    const runtime = this.#runtime;
    const result: SimulationResult<I, O> = {
      seed: this.seed,
      replay: this.replay,
      nodes,
      endTime,
      get events() {
        return log.toEvents();
      },
      history,
      errors,
      stats: { events: this.#eventsRun, settles: this.#settles, network: this.#network.network.stats(), crashes: runtime.crashes, restarts: runtime.restarts, ok, fail, info },
      log: () => log.toEvents().map(formatEvent),
      shiviz: () => toShiViz(log.toEvents(), nodes),
      diagram: (diagramOptions) => toSpaceTimeDiagram(log.toEvents(), nodes, { title: `Simulation, seed ${this.seed}`, ...diagramOptions }),
    };
    if (errors.length > 0 && !(this.#options.allowNodeErrors ?? false)) {
      throw new SimulationError(`${errors.length} error${errors.length === 1 ? '' : 's'} in node or client code; first: ${errors[0]}`, this.seed, this.replay);
    }
    return result;
  }

  #schedule(time: number, action: () => void, quiet: boolean): void {
    if (!Number.isFinite(time)) throw new InvalidArgumentError(`at(time) needs a finite time, got ${time}`);
    assertFunction(action, 'action');
    this.#kernel.queue.push(Math.max(time, this.#kernel.now), action, quiet);
  }

  #clientHost() {
    return {
      seed: this.seed,
      nodes: this.nodes,
      trueClock: this.#trueClock,
      trueTimers: this.#trueTimers,
      handle: (id: NodeId) => this.handle(id),
      isUp: (id: NodeId) => this.isUp(id),
    };
  }

  #faultTarget(): FaultTarget {
    return {
      nodes: this.nodes,
      now: () => this.#kernel.now,
      // The schedule's own actions do all their work before returning (a restart runs the factory at once).
      at: (time, action) => this.#schedule(time, action, true),
      isUp: (id) => this.isUp(id),
      crash: (id) => this.crash(id),
      restart: (id) => this.restart(id),
      partition: (groups) => this.partition(groups),
      isolate: (id) => this.isolate(id),
      cut: (from, to) => this.cut(from, to),
      heal: () => this.heal(),
      setNetworkFaults: (faults) => this.setNetworkFaults(faults),
      baselineNetworkFaults: () => this.baselineNetworkFaults(),
      jumpClock: (id, delta) => this.jumpClock(id, delta),
      setDrift: (id, ppm) => this.setDrift(id, ppm),
      initialDrift: (id) => this.initialDrift(id),
    };
  }

  #fault(text: string): void {
    this.#kernel.activity++;
    this.#kernel.note('fault', undefined, text);
  }
}

function resolveNodes(nodes: readonly NodeId[] | number): NodeId[] {
  if (typeof nodes === 'number') {
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) throw new InvalidArgumentError(`nodes must be an integer from 1 to ${MAX_NODES} or a list of ids, got ${nodes}`);
    return Array.from({ length: nodes }, (_, i) => `n${i + 1}`);
  }
  if (!Array.isArray(nodes) || nodes.length === 0 || nodes.length > MAX_NODES) throw new InvalidArgumentError(`nodes must be a non-empty list of at most ${MAX_NODES} node ids`);
  const seen = new Set<string>();
  for (const id of nodes) {
    // Core's node-id rule, and no whitespace: ids are words of the event log and the replay command.
    if (!isNodeId(id) || /\s/.test(id)) {
      throw new InvalidArgumentError(`node ids must be node ids (1 to ${MAX_NODE_ID_LENGTH} characters, no control characters) without whitespace, got ${JSON.stringify(id)}`);
    }
    if (seen.has(id)) throw new InvalidArgumentError(`node id ${JSON.stringify(id)} appears twice`);
    seen.add(id);
  }
  return [...nodes];
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
