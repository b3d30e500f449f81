import type { SimulationKernel } from './kernel.js';

/** Options of {@link runLoop}. */
export interface RunLoopOptions {
  /** Virtual time at which the run ends, ms. */
  duration: number;
  /** Quiet microtask turns to wait after an instant that needs settling. */
  settleTicks: number;
  /** Most events at one virtual instant before the run stops with a livelock error. */
  maxEventsPerInstant: number;
  /**
   * The run's clients, if any: while one runs, async code the loop cannot see may be waiting,
   * so every instant is settled; with `stopWhenClientsDone`, the run ends when none runs.
   */
  clients: { readonly running: number } | undefined;
  stopWhenClientsDone: boolean;
}

/** Counters of a finished {@link runLoop}. */
export interface RunLoopResult {
  /** Virtual time at which the loop stopped. */
  endTime: number;
  /** Events taken off the queue. */
  events: number;
  /** Instants after which the loop waited for promise continuations. */
  settles: number;
}

/**
 * How virtual time advances. The loop takes events off the kernel's queue in (time, sequence)
 * order; all events of one instant run back to back. After an instant whose events may have
 * left promise continuations behind (`kernel.settleNeeded`, or `alwaysSettle()`), it yields to
 * the microtask queue until node code has been quiet for `settleTicks` turns, so those
 * continuations run at the instant's virtual time; after an instant of synchronous work only
 * (protocol cores, deliveries, the fault schedule) it goes straight on.
 *
 * The loop is a chain of promise callbacks rather than an async function with awaits: a callback
 * hop is cheaper than resuming a large async frame, and it runs once per settled instant.
 */
export function runLoop(kernel: SimulationKernel, options: RunLoopOptions): Promise<RunLoopResult> {
  const { duration, settleTicks, maxEventsPerInstant, clients, stopWhenClientsDone } = options;
  const queue = kernel.queue;
  let instant = Number.NaN;
  let atInstant = 0;
  let events = 0;
  let settles = 0;
  return new Promise<RunLoopResult>((resolve, reject) => {
    const finish = (endTime: number): void => resolve({ endTime, events, settles });
    const settled = Promise.resolve();
    let idle = 0;
    let mark = 0;
    // Wait microtask turns while node code keeps calling simulator APIs, and `settleTicks` quiet turns more.
    const hop = (): void => {
      if (kernel.activity !== mark) {
        mark = kernel.activity;
        idle = 0;
      } else if (++idle >= settleTicks) {
        step();
        return;
      }
      void settled.then(hop);
    };
    const step = (): void => {
      try {
        kernel.settleNeeded = false;
        for (;;) {
          const clientsRunning = clients === undefined ? 0 : clients.running;
          if (clients !== undefined && stopWhenClientsDone && clientsRunning === 0) {
            finish(kernel.now);
            return;
          }
          const next = queue.peekTime();
          if (next === undefined || next > duration) {
            finish(duration);
            return;
          }
          const event = queue.pop()!;
          if (event.time === instant) {
            if (++atInstant > maxEventsPerInstant) {
              kernel.recordError(undefined, 'livelock', `more than ${maxEventsPerInstant} events at virtual time ${instant} (a zero-delay timer loop?)`);
              finish(kernel.now);
              return;
            }
          } else {
            instant = event.time;
            atInstant = 1;
          }
          kernel.now = event.time;
          events++;
          if (!event.quiet) kernel.settleNeeded = true;
          try {
            event.run();
          } catch (error) {
            kernel.recordError(undefined, 'event', error);
          }
          // The next event at the same instant may run first: continuations still run at this time.
          if (queue.peekTime() === kernel.now) continue;
          if (kernel.settleNeeded || clientsRunning > 0) break;
        }
        settles++;
        idle = 0;
        mark = kernel.activity;
        void settled.then(hop);
      } catch (error) {
        reject(error);
      }
    };
    step();
  });
}

/** Yields microtask turns until node code has been quiet for `quietTurns` in a row (the settling before the first event). */
export async function settle(kernel: SimulationKernel, quietTurns: number): Promise<void> {
  let idle = 0;
  let mark = kernel.activity;
  while (idle < quietTurns) {
    await undefined;
    if (kernel.activity === mark) idle++;
    else {
      mark = kernel.activity;
      idle = 0;
    }
  }
}
