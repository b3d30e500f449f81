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
  // One array per event name, replaced (never changed in place) on every subscribe and
  // unsubscribe: an emit walks the array it started with, so listeners added or removed by a
  // listener take effect from the next emit, and emitting copies nothing (it runs per message).
  readonly #listeners = new Map<keyof Events, readonly ((value: never) => void)[]>();

  /** Calls `listener` with every `event` emitted from now on; returns its remover. */
  on<K extends keyof Events>(event: K, listener: (value: Events[K]) => void): Unsubscribe {
    assertFunction(listener, `listener of "${String(event)}"`);
    const entry = listener as (value: never) => void;
    const existing = this.#listeners.get(event) ?? [];
    // A function subscribed twice is called once (as with a set of listeners).
    if (!existing.includes(entry)) this.#listeners.set(event, [...existing, entry]);
    return () => {
      const current = this.#listeners.get(event);
      if (current === undefined || !current.includes(entry)) return;
      this.#listeners.set(event, current.filter((other) => other !== entry));
    };
  }

  /** Number of listeners of `event` (lets an emitter skip building a value nobody reads). */
  protected listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /** Hands `value` to every listener of `event`, isolating listeners that throw. */
  protected emit<K extends keyof Events>(event: K, value: Events[K]): void {
    const listeners = this.#listeners.get(event);
    if (listeners === undefined) return;
    for (let i = 0; i < listeners.length; i++) {
      try {
        (listeners[i] as (value: Events[K]) => void)(value);
      } catch (cause) {
        if (event === 'error') continue;
        this.emit('error', new HandlerError(`A listener of "${String(event)}" threw`, { cause }));
      }
    }
  }
}
