import {
  type Clock,
  type Endpoint,
  InvalidArgumentError,
  type NodeId,
  ProtocolDriver,
  type ProtocolDriverOptions,
  type Random,
  type RecordSink,
  seededRandom,
  type Timers,
} from '@lattice/core';
import { type Disk, DiskView, SimDisk, type SimDiskOptions } from './disk.js';
import { type SimulationKernel, validDelay } from './kernel.js';
import { NodeClock } from './node-clock.js';
import { deriveSeed } from './seeds.js';
import type { SimEndpoint } from './sim-endpoint.js';
import type { SimNetwork } from './sim-network.js';

/** What {@link NodeContext.runCore} needs besides what the node already has (endpoint, clock, timers). */
export type RunCoreOptions<Message, Record = never, Effect = never> = Omit<ProtocolDriverOptions<Message, Record, Effect>, 'endpoint' | 'clock' | 'timers'>;

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
  /**
   * Runs a `ProtocolCore` on this node: a `ProtocolDriver` on this node's endpoint, clock and
   * timers (in this node's time), stopped when the node crashes. With storage that completes
   * synchronously (a {@link DiskRecordLog} on `disk`, or in memory) everything the core does
   * happens inside the simulator event that caused it — a message's replies leave in the
   * delivery event, a timeout's messages in the timer event — so the run loop does not wait
   * for promise continuations after such events (`settleTicks` is for async node and client
   * code). Storage that returns a promise works too, and makes the loop settle after each
   * write. Calling this declares the node's message handlers synchronous: do async work from
   * `timers`, which are always settled. The driver's `error` events count as node errors.
   *
   * @example
   * ```ts
   * node: (ctx) => {
   *   const log = new DiskRecordLog(ctx.disk, { file: 'raft', codec: raftRecordCodec() });
   *   const core = new RaftCore({ id: ctx.id, voters: ctx.nodes, stored: replayRaftRecords(log.load()), now: ctx.clock.monotonic(), random: ctx.random });
   *   return ctx.runCore({ core, codec: raftMessageCodec(), storage: log });
   * }
   * ```
   */
  runCore<Message, Record = never, Effect = never>(options: RunCoreOptions<Message, Record, Effect>): ProtocolDriver<Message, Record, Effect>;
}

/** Builds a node; called at start and again, with the surviving disk, at every restart. */
export type NodeFactory<H> = (context: NodeContext) => H | Promise<H>;

/** Options of the per-node clocks. */
export interface ClockOptions {
  /** Each node gets a random wall-clock skew within ±this, ms. Default 0. */
  maxSkewMs?: number;
  /** Each node gets a random drift within ±this, ppm. Default 0. */
  maxDriftPpm?: number;
  /** Wall time true time 0 maps to. Default 1,700,000,000,000. */
  wallStart?: number;
}

/** One life of a node, from a (re)start to its crash. */
interface Incarnation {
  readonly number: number;
  alive: boolean;
  /** Set once the node runs a protocol core: its message handlers finish inside the event. */
  synchronous: boolean;
  endpoint: SimEndpoint | undefined;
  readonly drivers: ProtocolDriver<unknown, unknown, unknown>[];
}

interface NodeState<H> {
  readonly id: NodeId;
  readonly disk: SimDisk;
  readonly clock: NodeClock;
  readonly initialDrift: number;
  incarnation: Incarnation | undefined;
  handle: H | undefined;
  /** Whether the node was running when the run ended (its handle stays readable). */
  upAtEnd: boolean;
}

/** Options of {@link NodeRuntime}. */
export interface NodeRuntimeOptions<H> {
  seed: number;
  nodes: readonly NodeId[];
  factory: NodeFactory<H>;
  clocks: ClockOptions | undefined;
  disk: SimDiskOptions | undefined;
}

/**
 * The nodes of a simulation: their clocks and disks (which outlive crashes), and each node's
 * current incarnation — endpoint, timers, random stream, protocol drivers — which a crash
 * kills at once and a restart builds anew from the factory and the surviving disk.
 */
export class NodeRuntime<H> {
  readonly #kernel: SimulationKernel;
  readonly #network: SimNetwork;
  readonly #options: NodeRuntimeOptions<H>;
  readonly #states = new Map<NodeId, NodeState<H>>();
  readonly #diskRandom: Random;
  crashes = 0;
  restarts = 0;
  #finished = false;

  constructor(kernel: SimulationKernel, network: SimNetwork, options: NodeRuntimeOptions<H>) {
    this.#kernel = kernel;
    this.#network = network;
    this.#options = options;
    this.#diskRandom = seededRandom(deriveSeed(options.seed, 'disk'));
    const clockRandom = seededRandom(deriveSeed(options.seed, 'clocks'));
    const maxSkew = options.clocks?.maxSkewMs ?? 0;
    const maxDrift = options.clocks?.maxDriftPpm ?? 0;
    if (typeof maxSkew !== 'number' || typeof maxDrift !== 'number' || !(maxSkew >= 0 && maxSkew < Number.POSITIVE_INFINITY) || !(maxDrift >= 0)) {
      throw new InvalidArgumentError('clocks.maxSkewMs and clocks.maxDriftPpm must be >= 0');
    }
    for (const id of options.nodes) {
      const skewMs = maxSkew === 0 ? 0 : (clockRandom.next() * 2 - 1) * maxSkew;
      const driftPpm = maxDrift === 0 ? 0 : (clockRandom.next() * 2 - 1) * maxDrift;
      const wallStart = options.clocks?.wallStart;
      const clockOptions = wallStart === undefined ? { skewMs, driftPpm } : { skewMs, driftPpm, wallStart };
      this.#states.set(id, {
        id,
        disk: new SimDisk(options.disk ?? {}),
        clock: new NodeClock(() => kernel.now, clockOptions),
        initialDrift: driftPpm,
        incarnation: undefined,
        handle: undefined,
        upAtEnd: false,
      });
    }
  }

  /**
   * Starts every node: all endpoints open first (so no factory sends to a peer the network does
   * not know yet), then the factories run; resolves once those that returned promises have settled.
   */
  async startAll(): Promise<void> {
    const begun = [...this.#states.values()].map((state) => this.#begin(state));
    await Promise.all(begun.map((start) => (start === undefined ? undefined : this.#build(start.state, start.incarnation, start.endpoint))));
  }

  isUp(id: NodeId): boolean {
    const state = this.#state(id);
    return this.#finished ? state.upAtEnd : state.incarnation?.alive === true;
  }

  handle(id: NodeId): H | undefined {
    const state = this.#state(id);
    return this.isUp(id) ? state.handle : undefined;
  }

  clock(id: NodeId): NodeClock {
    return this.#state(id).clock;
  }

  disk(id: NodeId): SimDisk {
    return this.#state(id).disk;
  }

  initialDrift(id: NodeId): number {
    return this.#state(id).initialDrift;
  }

  /** Throws `InvalidArgumentError` unless `id` is a node of the simulation. */
  assertNode(id: NodeId): void {
    this.#state(id);
  }

  crash(id: NodeId): void {
    const state = this.#state(id);
    const incarnation = state.incarnation;
    if (incarnation === undefined || !incarnation.alive) return;
    incarnation.alive = false;
    state.handle = undefined;
    incarnation.endpoint?.kill();
    for (const driver of incarnation.drivers) void driver.stop();
    const loss = state.disk.crash(this.#diskRandom);
    this.crashes++;
    const kernel = this.#kernel;
    kernel.activity++;
    if (kernel.logging) {
      let text = `lost ${loss.lost} unsynced write${loss.lost === 1 ? '' : 's'}`;
      if (loss.torn !== undefined) text += `; torn write to ${loss.torn.key}: ${loss.torn.bytesWritten} of ${loss.torn.of} bytes landed`;
      kernel.log.add(kernel.now, 'crash', id, undefined, Number.NaN, Number.NaN, text);
    }
  }

  restart(id: NodeId): void {
    const state = this.#state(id);
    if (state.incarnation === undefined || state.incarnation.alive || this.#finished) return;
    this.restarts++;
    const start = this.#begin(state);
    if (start !== undefined) void this.#build(state, start.incarnation, start.endpoint);
  }

  /** Ends the run: remembers which nodes were up, then kills every incarnation. */
  finish(): void {
    this.#finished = true;
    for (const state of this.#states.values()) {
      const incarnation = state.incarnation;
      state.upAtEnd = incarnation?.alive === true;
      if (incarnation === undefined) continue;
      incarnation.alive = false;
      incarnation.endpoint?.kill();
      for (const driver of incarnation.drivers) void driver.stop();
    }
  }

  /** Begins a new incarnation inside the current event: its endpoint is open when this returns. */
  #begin(state: NodeState<H>): { state: NodeState<H>; incarnation: Incarnation; endpoint: SimEndpoint } | undefined {
    const kernel = this.#kernel;
    const incarnation: Incarnation = { number: (state.incarnation?.number ?? 0) + 1, alive: true, synchronous: false, endpoint: undefined, drivers: [] };
    state.incarnation = incarnation;
    state.handle = undefined;
    kernel.activity++;
    if (kernel.logging) kernel.log.add(kernel.now, 'start', state.id, undefined, incarnation.number, Number.NaN, undefined);
    let endpoint: SimEndpoint;
    try {
      endpoint = this.#network.attach(state.id, incarnation);
    } catch (error) {
      kernel.recordError(state.id, 'open', error);
      return undefined;
    }
    incarnation.endpoint = endpoint;
    return { state, incarnation, endpoint };
  }

  /** Runs the factory of a begun incarnation; a promise comes back only when the factory returned one. */
  #build(state: NodeState<H>, incarnation: Incarnation, endpoint: SimEndpoint): Promise<void> | undefined {
    const kernel = this.#kernel;
    let built: H | Promise<H>;
    try {
      built = this.#options.factory(this.#context(state, incarnation, endpoint));
    } catch (error) {
      kernel.recordError(state.id, 'factory', error);
      return undefined;
    }
    // Plain node code may have set promise work going; a node running a core has not.
    if (!incarnation.synchronous) kernel.settleNeeded = true;
    if (isPromiseLike(built)) {
      kernel.settleNeeded = true;
      return Promise.resolve(built).then(
        (handle) => {
          if (incarnation.alive) state.handle = handle;
        },
        (error: unknown) => {
          if (incarnation.alive) kernel.recordError(state.id, 'factory', error);
        },
      );
    }
    state.handle = built;
    return undefined;
  }

  #context(state: NodeState<H>, incarnation: Incarnation, endpoint: SimEndpoint): NodeContext {
    const kernel = this.#kernel;
    const clock = state.clock;
    let coreTimers: Timers | undefined;
    return {
      id: state.id,
      incarnation: incarnation.number,
      nodes: this.#options.nodes,
      clock,
      timers: this.#timers(state, incarnation, false),
      random: seededRandom(deriveSeed(this.#options.seed, `node/${state.id}/${incarnation.number}`)),
      endpoint,
      disk: new DiskView(state.disk, () => incarnation.alive),
      log: (text) => {
        if (incarnation.alive) kernel.note('note', state.id, String(text));
      },
      runCore: <Message, Record, Effect>(options: RunCoreOptions<Message, Record, Effect>): ProtocolDriver<Message, Record, Effect> => {
        if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('runCore needs options: { core, codec, storage?, apply? }');
        coreTimers ??= this.#timers(state, incarnation, true);
        // Declared before the driver exists: its constructor may already send and set timers.
        incarnation.synchronous = true;
        const driverOptions: ProtocolDriverOptions<Message, Record, Effect> = { ...options, endpoint, clock, timers: coreTimers };
        if (options.storage !== undefined) driverOptions.storage = settlingStorage(options.storage, kernel);
        const driver = new ProtocolDriver<Message, Record, Effect>(driverOptions);
        incarnation.drivers.push(driver as unknown as ProtocolDriver<unknown, unknown, unknown>);
        driver.on('error', (error) => {
          if (incarnation.alive) kernel.recordError(state.id, 'core', error.cause ?? error);
        });
        if (!incarnation.alive) void driver.stop();
        return driver;
      },
    };
  }

  /** Timers in the node's time that die with `incarnation`; `quiet` for a protocol driver's, whose callbacks finish inside the event. */
  #timers(state: NodeState<H>, incarnation: Incarnation, quiet: boolean): Timers {
    const kernel = this.#kernel;
    const clock = state.clock;
    return {
      setTimeout: (callback, delayMs) => {
        kernel.touch(quiet);
        if (!incarnation.alive) return undefined;
        return kernel.schedule(
          clock.toTrueDuration(validDelay(delayMs)),
          () => {
            if (!incarnation.alive) return;
            try {
              callback();
            } catch (error) {
              kernel.recordError(state.id, 'timer', error);
            }
          },
          quiet,
        );
      },
      clearTimeout: (handle) => kernel.cancel(handle),
    };
  }

  #state(id: NodeId): NodeState<H> {
    const state = this.#states.get(id);
    if (state === undefined) throw new InvalidArgumentError(`unknown node ${JSON.stringify(id)}; nodes are ${this.#options.nodes.join(', ')}`);
    return state;
  }
}

/**
 * Storage that returns a promise (a file log on `SimFileSystem`) leaves the driver's next steps
 * to promise continuations: such a write asks the run loop to settle after its event.
 */
function settlingStorage<Record>(storage: RecordSink<Record>, kernel: SimulationKernel): RecordSink<Record> {
  // Anything that is not a sink is handed on unchanged, for the driver to refuse.
  if (typeof storage?.persist !== 'function') return storage;
  return {
    persist: (records, options) => {
      const written = storage.persist(records, options);
      if (written !== undefined) kernel.settleNeeded = true;
      return written;
    },
  };
}

function isPromiseLike<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
