import { assertFunction } from './arguments.js';
import { HandlerError, type LatticeError } from './errors.js';

/** The events every observable object has: `error`, with the typed error it reports instead of throwing. */
export interface BaseEvents {
  error: LatticeError;
}

/** Removes the listener it was returned for. Calling it twice is a no-op. */
export type Unsubscribe = () => void;

/**
 * The one shape of everything in Lattice that reports events: `on(event, listener)` returns its
 * remover, and `stats()` returns a snapshot of counters (plain numbers, never live fields a
 * caller could change).
 *
 * A listener that throws never breaks the emitter: its exception is reported as a
 * `HandlerError` on `error` (and an `error` listener that throws is ignored, having nowhere
 * further to report to).
 *
 * @example
 * ```ts
 * const stop = driver.on('error', (error) => console.warn(error.code, error.message));
 * console.log(driver.stats().messagesSent);
 * stop();
 * ```
 */
export class Observable<Events extends BaseEvents> {
  // One set per event name, created on first subscription (no module-level state).
  readonly #listeners = new Map<keyof Events, Set<(value: never) => void>>();

  /** Calls `listener` with every `event` emitted from now on; returns its remover. */
  on<K extends keyof Events>(event: K, listener: (value: Events[K]) => void): Unsubscribe {
    assertFunction(listener, `listener of "${String(event)}"`);
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    const entry = listener as (value: never) => void;
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  /** Number of listeners of `event` (lets an emitter skip building a value nobody reads). */
  protected listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  /** Hands `value` to every listener of `event`, isolating listeners that throw. */
  protected emit<K extends keyof Events>(event: K, value: Events[K]): void {
    const set = this.#listeners.get(event);
    if (set === undefined || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        (listener as (value: Events[K]) => void)(value);
      } catch (cause) {
        if (event === 'error') continue;
        this.emit('error', new HandlerError(`A listener of "${String(event)}" threw`, { cause }));
      }
    }
  }
}
