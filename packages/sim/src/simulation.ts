import {
  type AbortOptions,
  assertFunction,
  assertNumber,
  assertObject,
  assertOptionalObject,
  type Clock,
  type Endpoint,
  InvalidArgumentError,
  isLatticeError,
  type LatticeError,
  type NodeId,
  type Random,
  seededRandom,
  type TimerHandle,
  type Timers,
} from '@lattice/core';
import type { Operation } from '@lattice/linearizability';
import { type FaultOptions, MemoryNetwork, type NetworkStats } from '@lattice/transport';
import { type DiagramOptions, toSpaceTimeDiagram } from './diagram.js';
import { type Disk, DiskView, SimDisk, type SimDiskOptions } from './disk.js';
import { OperationFailedError, SimulationError } from './errors.js';
import { EventLog } from './event-log.js';
import { formatEvent, type SimEvent, type SimEventKind } from './events.js';
import { type FaultScheduleOptions, type FaultTarget, scheduleFaults } from './faults.js';
import { EventQueue, type ScheduledEvent } from './event-queue.js';
import { NodeClock } from './node-clock.js';
import { deriveSeed, replayCommand } from './seeds.js';
import { type EndpointHost, FRAME_HEADER_BYTES, MAX_NODES, SimEndpoint } from './sim-endpoint.js';
import { toShiViz } from './shiviz.js';

/** What a node's factory receives: everything a node may touch, all under the simulator's control. */
export interface NodeContext {
  /** This node's id. */
  readonly id: NodeId;
  /** 1 for the first start, 2 after the first restart, … */
  readonly incarnation: number;
  /** Every node id of the cluster (this one included), in order. */
  readonly nodes: readonly NodeId[];
  /** This node's clock: skewed, drifting, jumping, as configured and injected. */
  readonly clock: Clock;
  /** Timers in this node's time; they never fire once this incarnation has crashed. */
  readonly timers: Timers;
  /** This incarnation's seeded random stream. */
  readonly random: Random;
  /** This node's endpoint on the simulated network, already open. */
  readonly endpoint: Endpoint;
  /** This node's disk; it survives crashes, minus the writes not yet synced. */
  readonly disk: Disk;
  /** Adds a line to the event log (shown in the ShiViz log and the diagram). */
  log(text: string): void;
}

/** Builds a node; called at start and again, with the surviving disk, at every restart. */
export type NodeFactory<H> = (context: NodeContext) => H | Promise<H>;

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

/** Options of the per-node clocks. */
export interface ClockOptions {
  /** Each node gets a random wall-clock skew within ±this, ms. Default 0. */
  maxSkewMs?: number;
  /** Each node gets a random drift within ±this, ppm. Default 0. */
  maxDriftPpm?: number;
  /** Wall time true time 0 maps to. Default 1,700,000,000,000. */
  wallStart?: number;
}

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
  /** Largest payload a node may send, bytes. Default 4 MiB minus the simulator's 6-byte frame header. */
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
   * Quiet microtask turns the run loop waits after each event (more while node code keeps
   * calling simulator APIs), so promise continuations run at the virtual time of the event
   * that caused them. At least 1; default 2.
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

interface Incarnation {
  readonly number: number;
  alive: boolean;
  endpoint: SimEndpoint | undefined;
}

interface NodeState<H> {
  readonly id: NodeId;
  /** Position in the node list: the node's index in frames and in the event log. */
  readonly index: number;
  readonly disk: SimDisk;
  readonly clock: NodeClock;
  readonly initialDrift: number;
  incarnation: Incarnation | undefined;
  handle: H | undefined;
  /** Whether the node was running when the run ended (its handle stays readable). */
  upAtEnd: boolean;
}

interface OperationRecord<I, O> {
  op: Operation<I, O>;
  status: 'pending' | 'ok' | 'fail' | 'info';
}

const DEFAULT_LATENCY = { min: 1, max: 10 } as const;
const MESSAGE_IN_FLIGHT = 1;
const MESSAGE_DELIVERED = 2;
const MESSAGE_DROPPED = 3;

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
  readonly #queue = new EventQueue();
  readonly #network: MemoryNetwork;
  readonly #baseline: { dropRate: number; duplicateRate: number; reorderRate: number; latency: { min: number; max: number } };
  readonly #nodes = new Map<NodeId, NodeState<H>>();
  readonly #log: EventLog;
  readonly #logging: boolean;
  readonly #errors: string[] = [];
  readonly #operations: OperationRecord<I, O>[] = [];
  #messageStates = new Uint8Array(4096);
  #linksFaulty = false;
  #dropRate = 0;
  readonly #settleTicks: number;
  readonly #diskRandom: Random;
  readonly #trueClock: Clock;
  readonly #trueTimers: Timers;
  readonly #host: EndpointHost;
  #now = 0;
  #activity = 0;
  #messageIds = 0;
  #eventsRun = 0;
  #crashes = 0;
  #restarts = 0;
  #started = false;
  #finished = false;

  constructor(options: SimulationOptions<H, I, O>) {
    assertObject(options, 'Simulation options');
    if (!Number.isSafeInteger(options.seed)) throw new InvalidArgumentError(`seed must be a safe integer, got ${options.seed}`);
    if (typeof options.node !== 'function') throw new InvalidArgumentError('node must be a factory function');
    this.seed = options.seed;
    this.#options = options;
    this.nodes = resolveNodes(options.nodes);
    this.#log = new EventLog([...this.nodes, ...Array.from({ length: options.clients?.count ?? 0 }, (_, i) => `c${i + 1}`)]);
    this.replay = replayCommand(options.replay ?? 'SIM_SEED={seed} npx vitest run', options.seed);
    this.#logging = options.log ?? true;
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
    const maxMessageSize = options.maxMessageSize ?? 4 * 1024 * 1024 - FRAME_HEADER_BYTES;
    if (!Number.isSafeInteger(maxMessageSize) || maxMessageSize <= 0) throw new InvalidArgumentError(`maxMessageSize must be a positive integer, got ${maxMessageSize}`);
    this.#trueClock = { now: () => (options.clocks?.wallStart ?? 1_700_000_000_000) + this.#now, monotonic: () => this.#now };
    this.#trueTimers = {
      setTimeout: (callback, delayMs) => this.#queue.push(this.#now + validDelay(delayMs), callback),
      clearTimeout: (handle) => this.#cancel(handle),
    };
    const base = { dropRate: 0, duplicateRate: 0, reorderRate: 0, latency: { ...DEFAULT_LATENCY }, ...options.network };
    this.#network = new MemoryNetwork({
      timers: this.#trueTimers,
      random: seededRandom(deriveSeed(options.seed, 'network')),
      maxMessageSize: maxMessageSize + FRAME_HEADER_BYTES,
      faults: base,
    });
    const resolved = this.#network.faults;
    this.#baseline = { ...resolved, latency: { ...resolved.latency } };
    this.#dropRate = resolved.dropRate;
    this.#diskRandom = seededRandom(deriveSeed(options.seed, 'disk'));

    const clockRandom = seededRandom(deriveSeed(options.seed, 'clocks'));
    const maxSkew = options.clocks?.maxSkewMs ?? 0;
    const maxDrift = options.clocks?.maxDriftPpm ?? 0;
    if (typeof maxSkew !== 'number' || typeof maxDrift !== 'number' || !(maxSkew >= 0 && maxSkew < Number.POSITIVE_INFINITY) || !(maxDrift >= 0)) throw new InvalidArgumentError('clocks.maxSkewMs and clocks.maxDriftPpm must be >= 0');
    for (const id of this.nodes) {
      const skewMs = maxSkew === 0 ? 0 : (clockRandom.next() * 2 - 1) * maxSkew;
      const driftPpm = maxDrift === 0 ? 0 : (clockRandom.next() * 2 - 1) * maxDrift;
      const clockOptions = options.clocks?.wallStart === undefined ? { skewMs, driftPpm } : { skewMs, driftPpm, wallStart: options.clocks.wallStart };
      this.#nodes.set(id, {
        id,
        index: this.#nodes.size,
        disk: new SimDisk(options.disk ?? {}),
        clock: new NodeClock(() => this.#now, clockOptions),
        initialDrift: driftPpm,
        incarnation: undefined,
        handle: undefined,
        upAtEnd: false,
      });
    }

    // Scheduled now, so bad fault options fail at construction rather than mid-run.
    if (options.faults) scheduleFaults(this.#faultTarget(), options.faults, seededRandom(deriveSeed(options.seed, 'faults')));

    this.#host = {
      nextMessageId: () => {
        const id = ++this.#messageIds;
        if (id > 0xffff_ffff) throw new SimulationError('more than 2^32 messages in one run', this.seed, this.replay);
        return id;
      },
      transmit: (from, to, id, framed, bytes, real, sendOptions) => this.#transmit(from, to, id, framed, bytes, real, sendOptions),
      received: (to, from, id) => {
        this.#activity++;
        const duplicate = this.#messageStates[id] !== MESSAGE_IN_FLIGHT;
        this.#markMessage(id, MESSAGE_DELIVERED);
        if (this.#logging) this.#log.addIndexed(this.#now, 'deliver', to, from, id, Number.NaN, duplicate ? 'duplicate' : undefined);
      },
      nodeError: (node, error) => this.#nodeError(node, error),
      touch: () => {
        this.#activity++;
      },
    };
  }

  /** Virtual (true) time now, ms. */
  now(): number {
    return this.#now;
  }

  /** Schedules `action` at virtual time `time` (ms; now if in the past). */
  at(time: number, action: () => void): void {
    if (!Number.isFinite(time)) throw new InvalidArgumentError(`at(time) needs a finite time, got ${time}`);
    assertFunction(action, 'action');
    this.#queue.push(Math.max(time, this.#now), action);
  }

  /** True when node `id` is running (after the run: was running when it ended). */
  isUp(id: NodeId): boolean {
    const state = this.#node(id);
    return this.#finished ? state.upAtEnd : state.incarnation?.alive === true;
  }

  /**
   * The running node's handle, or undefined while it is down or starting. After the run, the
   * handle of each node that was up at the end stays readable, to check final states
   * (replicas converged, logs agree).
   */
  handle(id: NodeId): H | undefined {
    const state = this.#node(id);
    return this.isUp(id) ? state.handle : undefined;
  }

  /** The clock of node `id` (to inspect skew and drift). */
  clock(id: NodeId): NodeClock {
    return this.#node(id).clock;
  }

  /** The disk of node `id`. */
  disk(id: NodeId): SimDisk {
    return this.#node(id).disk;
  }

  /** Crashes node `id`: endpoint closed, timers dead, unsynced disk writes lost. No-op if down. */
  crash(id: NodeId): void {
    const state = this.#node(id);
    const incarnation = state.incarnation;
    if (incarnation === undefined || !incarnation.alive) return;
    incarnation.alive = false;
    state.handle = undefined;
    incarnation.endpoint?.kill();
    const loss = state.disk.crash(this.#diskRandom);
    this.#crashes++;
    this.#activity++;
    if (this.#logging) {
      let text = `lost ${loss.lost} unsynced write${loss.lost === 1 ? '' : 's'}`;
      if (loss.torn !== undefined) text += `; torn write to ${loss.torn.key}: ${loss.torn.bytesWritten} of ${loss.torn.of} bytes landed`;
      this.#log.add(this.#now, 'crash', id, undefined, Number.NaN, Number.NaN, text);
    }
  }

  /** Restarts a crashed node: its factory runs again with the surviving disk. No-op if up, not yet started, or after the run. */
  restart(id: NodeId): void {
    const state = this.#node(id);
    if (state.incarnation === undefined || state.incarnation.alive || this.#finished) return;
    this.#restarts++;
    void this.#start(state);
  }

  /** Splits the network into named groups that cannot reach each other. */
  partition(groups: Record<string, readonly NodeId[]>): void {
    assertObject(groups, 'partition groups');
    for (const group of Object.values(groups)) if (!Array.isArray(group)) throw new InvalidArgumentError('every partition group must be an array of node ids');
    for (const group of Object.values(groups)) for (const id of group) this.#node(id);
    this.#network.partition(groups);
    this.#linksFaulty = true;
    this.#fault(`partition ${Object.values(groups).map((group) => `[${group.join(' ')}]`).join(' | ')}`);
  }

  /** Cuts every link to and from `id`. */
  isolate(id: NodeId): void {
    this.#node(id);
    this.#network.isolate(id);
    this.#linksFaulty = true;
    this.#fault(`isolate ${id}`);
  }

  /** Cuts the link from `from` to `to`, one way. */
  cut(from: NodeId, to: NodeId): void {
    this.#node(from);
    this.#node(to);
    this.#network.cut(from, to);
    this.#linksFaulty = true;
    this.#fault(`cut ${from} -> ${to}`);
  }

  /** Restores a link cut with {@link Simulation.cut}. */
  restore(from: NodeId, to: NodeId): void {
    this.#node(from);
    this.#node(to);
    this.#network.restore(from, to);
    this.#fault(`restore ${from} -> ${to}`);
  }

  /** Removes every partition, cut and isolation. */
  heal(): void {
    this.#network.heal();
    this.#linksFaulty = false;
    this.#fault('heal');
  }

  /** Changes the network's drop/duplicate/reorder rates or latency from now on. */
  setNetworkFaults(faults: FaultOptions): void {
    this.#network.configure(faults);
    this.#dropRate = this.#network.faults.dropRate;
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
    this.#node(id).clock.jumpWall(deltaMs);
    this.#fault(`clock of ${id} jumps ${deltaMs >= 0 ? '+' : ''}${deltaMs} ms`);
  }

  /** Sets node `id`'s clock drift, ppm. */
  setDrift(id: NodeId, driftPpm: number): void {
    const clock = this.#node(id).clock;
    if (clock.driftPpm === driftPpm) return;
    clock.setDrift(driftPpm);
    this.#fault(`clock of ${id} drifts ${round3(driftPpm)} ppm`);
  }

  /** The drift node `id` started with, ppm. */
  initialDrift(id: NodeId): number {
    return this.#node(id).initialDrift;
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
    this.#started = true;
    const stopWhenClientsDone = options.stopWhenClientsDone ?? true;

    await Promise.all([...this.#nodes.values()].map((state) => this.#start(state)));
    const clientOptions = this.#options.clients;
    let clientsRunning = 0;
    const clientCount = clientOptions?.count ?? 0;
    if (clientOptions !== undefined) {
      const nextProcess = { value: clientCount };
      for (let index = 0; index < clientCount; index++) {
        clientsRunning++;
        const context = this.#client(clientOptions, index, nextProcess);
        let body: Promise<void>;
        try {
          body = Promise.resolve(clientOptions.run(context));
        } catch (error) {
          body = Promise.reject(error);
        }
        body.then(
          () => {
            clientsRunning--;
            this.#activity++;
          },
          (error: unknown) => {
            clientsRunning--;
            this.#activity++;
            this.#recordError(context.id, 'client', error);
          },
        );
      }
    }

    const queue = this.#queue;
    const maxPerInstant = this.#options.maxEventsPerInstant ?? 1_000_000;
    if (!(maxPerInstant > 0)) throw new InvalidArgumentError(`maxEventsPerInstant must be > 0, got ${maxPerInstant}`);
    let instant = Number.NaN;
    let atInstant = 0;
    await this.#settle();
    const settleTicks = this.#settleTicks;
    // The loop is a chain of promise callbacks rather than an async function with awaits: a
    // callback hop is cheaper than resuming a large async frame, and this runs once per event.
    const endTime = await new Promise<number>((resolve, reject) => {
      const settled = Promise.resolve();
      let idle = 0;
      let mark = 0;
      // After an event, wait microtask turns while node code keeps calling simulator APIs, and
      // `settleTicks` quiet turns more, so the continuations it set off run at its virtual time.
      const hop = (): void => {
        if (this.#activity !== mark) {
          mark = this.#activity;
          idle = 0;
        } else if (++idle >= settleTicks) {
          step();
          return;
        }
        void settled.then(hop);
      };
      const step = (): void => {
        try {
          for (;;) {
            if (stopWhenClientsDone && clientCount > 0 && clientsRunning === 0) {
              resolve(this.#now);
              return;
            }
            const next = queue.peekTime();
            if (next === undefined || next > duration) {
              resolve(duration);
              return;
            }
            const event = queue.pop()!;
            if (event.time === instant) {
              if (++atInstant > maxPerInstant) {
                this.#recordError(undefined, 'livelock', `more than ${maxPerInstant} events at virtual time ${instant} (a zero-delay timer loop?)`);
                resolve(this.#now);
                return;
              }
            } else {
              instant = event.time;
              atInstant = 1;
            }
            this.#now = event.time;
            this.#eventsRun++;
            try {
              event.run();
            } catch (error) {
              this.#recordError(undefined, 'event', error);
            }
            // The next event at the same instant may run first: continuations still run at this time.
            if (queue.peekTime() !== this.#now) break;
          }
          idle = 0;
          mark = this.#activity;
          void settled.then(hop);
        } catch (error) {
          reject(error);
        }
      };
      step();
    });
    this.#now = Math.max(this.#now, endTime);
    return this.#finish();
  }

  async #settle(): Promise<void> {
    let idle = 0;
    let mark = this.#activity;
    while (idle < Math.max(this.#settleTicks, 8)) {
      await undefined;
      if (this.#activity === mark) idle++;
      else {
        mark = this.#activity;
        idle = 0;
      }
    }
  }

  async #start(state: NodeState<H>): Promise<void> {
    const previous = state.incarnation;
    const incarnation: Incarnation = { number: (previous?.number ?? 0) + 1, alive: true, endpoint: undefined };
    state.incarnation = incarnation;
    state.handle = undefined;
    this.#activity++;
    if (this.#logging) this.#log.add(this.#now, 'start', state.id, undefined, incarnation.number, Number.NaN, undefined);
    const alive = (): boolean => incarnation.alive;
    let real: Endpoint;
    try {
      real = await this.#network.open(state.id);
    } catch (error) {
      this.#recordError(state.id, 'open', error);
      return;
    }
    if (!incarnation.alive) {
      await real.close();
      return;
    }
    const endpoint = new SimEndpoint(real, state.index, this.#host, incarnation);
    incarnation.endpoint = endpoint;
    const clock = state.clock;
    const timers: Timers = {
      setTimeout: (callback, delayMs) => {
        this.#activity++;
        if (!incarnation.alive) return undefined;
        const delay = clock.toTrueDuration(validDelay(delayMs));
        return this.#queue.push(this.#now + delay, () => {
          if (!incarnation.alive) return;
          try {
            callback();
          } catch (error) {
            this.#recordError(state.id, 'timer', error);
          }
        });
      },
      clearTimeout: (handle) => this.#cancel(handle),
    };
    const context: NodeContext = {
      id: state.id,
      incarnation: incarnation.number,
      nodes: this.nodes,
      clock,
      timers,
      random: seededRandom(deriveSeed(this.seed, `node/${state.id}/${incarnation.number}`)),
      endpoint,
      disk: new DiskView(state.disk, alive),
      log: (text) => {
        if (incarnation.alive && this.#logging) this.#log.add(this.#now, 'note', state.id, undefined, Number.NaN, Number.NaN, String(text));
      },
    };
    try {
      const handle = await this.#options.node(context);
      if (incarnation.alive) state.handle = handle;
    } catch (error) {
      if (incarnation.alive) this.#recordError(state.id, 'factory', error);
    }
  }

  #client(options: ClientOptions<H, I, O>, index: number, nextProcess: { value: number }): ClientContext<H, I, O> {
    const id = `c${index + 1}`;
    const timeoutDefault = options.timeoutMs ?? 1_000;
    const describe = (input: I, output?: O): string => {
      if (options.describe !== undefined) return options.describe(input, output);
      return output === undefined ? text(input) : `${text(input)} -> ${text(output)}`;
    };
    let process = index;
    let busy = false;
    const record = (kind: SimEventKind, processId: number, what: string): void => {
      this.#activity++;
      if (this.#logging) this.#log.add(this.#now, kind, id, undefined, processId, Number.NaN, what);
    };
    return {
      id,
      get process() {
        return process;
      },
      nodes: this.nodes,
      clock: this.#trueClock,
      timers: this.#trueTimers,
      random: seededRandom(deriveSeed(this.seed, `client/${id}`)),
      node: (nodeId) => this.handle(nodeId),
      upNodes: () => this.nodes.filter((nodeId) => this.isUp(nodeId)),
      sleep: (ms) =>
        new Promise<void>((resolve) => {
          this.#activity++;
          this.#queue.push(this.#now + Math.max(0, ms), resolve);
        }),
      log: (line) => {
        if (this.#logging) this.#log.add(this.#now, 'note', id, undefined, Number.NaN, Number.NaN, String(line));
      },
      invoke: (input, execute, invokeOptions) => {
        if (busy) return Promise.reject(new InvalidArgumentError(`client ${id} already has an operation open; await it first`));
        const timeoutMs = invokeOptions?.timeoutMs ?? timeoutDefault;
        if (!(timeoutMs > 0)) return Promise.reject(new InvalidArgumentError(`timeoutMs must be > 0, got ${timeoutMs}`));
        busy = true;
        const processId = process;
        const entry: OperationRecord<I, O> = { op: { process: processId, call: this.#now, return: undefined, input, output: undefined }, status: 'pending' };
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
          const timer = this.#queue.push(this.#now + timeoutMs, () => {
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
              this.#queue.cancel(timer);
              entry.status = 'ok';
              entry.op.return = this.#now;
              entry.op.output = output;
              busy = false;
              record('ok', processId, describe(input, output));
              resolve({ status: 'ok', output });
            },
            (error: unknown) => {
              if (settled) return;
              settled = true;
              this.#queue.cancel(timer);
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

  #transmit(from: number, to: NodeId, id: number, framed: Uint8Array, bytes: number, real: Endpoint, options: AbortOptions | undefined): Promise<void> {
    const target = this.#nodes.get(to);
    // Refusals (unknown peer, aborted signal) reject inside send; nothing goes out, nothing is logged.
    if (target === undefined || options?.signal?.aborted === true) return real.send(to, framed, options);
    const network = this.#network;
    // Reading the network's counters allocates, so only look when the send could be dropped.
    const mayDrop = this.#linksFaulty || this.#dropRate > 0 || target.incarnation?.alive !== true || target.incarnation.endpoint === undefined;
    const droppedBefore = mayDrop ? network.stats().dropped : 0;
    const sending = real.send(to, framed, options);
    const dropped = mayDrop && network.stats().dropped !== droppedBefore;
    this.#markMessage(id, dropped ? MESSAGE_DROPPED : MESSAGE_IN_FLIGHT);
    if (this.#logging) {
      this.#log.addIndexed(this.#now, 'send', from, target.index, id, bytes, undefined);
      if (dropped) this.#log.addIndexed(this.#now, 'drop', from, target.index, id, Number.NaN, undefined);
    }
    return sending;
  }

  #markMessage(id: number, state: number): void {
    let states = this.#messageStates;
    if (id >= states.length) {
      const grown = new Uint8Array(Math.max(states.length * 2, id + 1024));
      grown.set(states);
      this.#messageStates = states = grown;
    }
    states[id] = state;
  }

  #finish(): SimulationResult<I, O> {
    const endTime = this.#now;
    this.#finished = true;
    for (const state of this.#nodes.values()) {
      state.upAtEnd = state.incarnation?.alive === true;
      if (state.incarnation !== undefined) state.incarnation.alive = false;
      state.incarnation?.endpoint?.kill();
    }
    void this.#network.close();
    if (this.#logging) {
      const states = this.#messageStates;
      for (const lost of this.#log.sends((msg) => states[msg] === MESSAGE_IN_FLIGHT)) {
        this.#log.add(endTime, 'lost', lost.node, lost.peer, lost.msg, Number.NaN, undefined);
      }
    }
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
    const log = this.#log;
    const nodes = this.nodes;
    const errors = this.#errors.slice();
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
      stats: { events: this.#eventsRun, network: this.#network.stats(), crashes: this.#crashes, restarts: this.#restarts, ok, fail, info },
      log: () => log.toEvents().map(formatEvent),
      shiviz: () => toShiViz(log.toEvents(), nodes),
      diagram: (diagramOptions) => toSpaceTimeDiagram(log.toEvents(), nodes, { title: `Simulation, seed ${this.seed}`, ...diagramOptions }),
    };
    if (errors.length > 0 && !(this.#options.allowNodeErrors ?? false)) {
      throw new SimulationError(`${errors.length} error${errors.length === 1 ? '' : 's'} in node or client code; first: ${errors[0]}`, this.seed, this.replay);
    }
    return result;
  }

  #faultTarget(): FaultTarget {
    return {
      nodes: this.nodes,
      now: () => this.#now,
      at: (time, action) => this.at(time, action),
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
    this.#activity++;
    if (this.#logging) this.#log.add(this.#now, 'fault', undefined, undefined, Number.NaN, Number.NaN, text);
  }

  #cancel(handle: TimerHandle): void {
    if (typeof handle === 'object' && handle !== null && 'seq' in handle && 'cancelled' in handle) this.#queue.cancel(handle as ScheduledEvent);
  }

  #node(id: NodeId): NodeState<H> {
    const state = this.#nodes.get(id);
    if (state === undefined) throw new InvalidArgumentError(`unknown node ${JSON.stringify(id)}; nodes are ${this.nodes.join(', ')}`);
    return state;
  }

  #nodeError(node: NodeId, error: LatticeError): void {
    this.#recordError(node, 'handler', error.cause ?? error);
  }

  #recordError(where: string | undefined, what: string, error: unknown): void {
    const line = `${where ?? '*'} ${what}: ${errorText(error)}`;
    this.#errors.push(line);
    if (this.#logging) this.#log.add(this.#now, 'error', where, undefined, Number.NaN, Number.NaN, line);
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
    if (typeof id !== 'string' || id.length === 0 || /\s/.test(id)) throw new InvalidArgumentError(`node ids must be non-empty strings without whitespace, got ${JSON.stringify(id)}`);
    if (seen.has(id)) throw new InvalidArgumentError(`node id ${JSON.stringify(id)} appears twice`);
    seen.add(id);
  }
  return [...nodes];
}

function text(value: unknown): string {
  try {
    return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** A delay as timers treat it: negative, NaN or infinite counts as 0 (fire on the next turn). */
function validDelay(delayMs: number): number {
  return Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
