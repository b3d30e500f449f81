import type { TimerHandle } from '@lattice/core';
import { EventLog } from './event-log.js';
import { EventQueue, type ScheduledEvent } from './event-queue.js';

/**
 * What every part of a running simulation shares: the event queue and virtual time, the event
 * log, the errors of node and client code, and the two signals the run loop reads after each
 * instant — `activity` (node or client code called a simulator API: keep waiting for its
 * promise continuations) and `settleNeeded` (something ran that may have left promise
 * continuations behind, so the loop must wait a few microtask turns before time moves on).
 */
export class SimulationKernel {
  readonly queue: EventQueue = new EventQueue();
  readonly log: EventLog;
  /** Whether the event log is recorded. */
  readonly logging: boolean;
  readonly errors: string[] = [];
  /** Virtual (true) time, ms. */
  now = 0;
  activity = 0;
  settleNeeded = false;

  constructor(names: readonly string[], logging: boolean) {
    this.log = new EventLog(names);
    this.logging = logging;
  }

  /**
   * Counts a call by node or client code. `synchronous`: the caller declared that it finishes
   * its work inside the current event (a protocol core's driver), so no settling is needed for it.
   */
  touch(synchronous: boolean): void {
    this.activity++;
    if (!synchronous) this.settleNeeded = true;
  }

  /** Schedules `run` after `delayMs` of true time; see {@link ScheduledEvent.quiet}. */
  schedule(delayMs: number, run: () => void, quiet: boolean): ScheduledEvent {
    return this.queue.push(this.now + delayMs, run, quiet);
  }

  /** Cancels a handle returned by {@link SimulationKernel.schedule}; anything else is ignored, as `clearTimeout` does. */
  cancel(handle: TimerHandle): void {
    if (typeof handle === 'object' && handle !== null && 'seq' in handle && 'cancelled' in handle) this.queue.cancel(handle as ScheduledEvent);
  }

  /** Records an error of node or client code (`where`: the node or client; `what`: the kind of code). */
  recordError(where: string | undefined, what: string, error: unknown): void {
    const line = `${where ?? '*'} ${what}: ${errorText(error)}`;
    this.errors.push(line);
    if (this.logging) this.log.add(this.now, 'error', where, undefined, Number.NaN, Number.NaN, line);
  }

  /** Adds a free-text event (`note`, `fault`) at the current time, when logging. */
  note(kind: 'note' | 'fault', where: string | undefined, text: string): void {
    if (this.logging) this.log.add(this.now, kind, where, undefined, Number.NaN, Number.NaN, text);
  }
}

/** An error as one line of text. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** A delay as timers treat it: negative, NaN or infinite counts as 0 (fire on the next turn). */
export function validDelay(delayMs: number): number {
  return Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
}
