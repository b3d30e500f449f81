import { AbortError, assertAbortOptions, type Clock, InvalidArgumentError, TimeoutError, type Timers, type TimerHandle } from '@lattice/core';
import { QueueFullError } from './errors.js';

/** One try of a waiter: done with a value, or not yet (try again after `retryAfter` ms). */
export type Attempt<T> = { done: true; value: T } | { done: false; retryAfter: number };

/** Options of a wait: abortable, with an optional time budget. */
export interface WaitOptions {
  /** Aborting rejects the wait with an `AbortError` and removes it from the queue. */
  signal?: AbortSignal | undefined;
  /** Longest time to wait in ms: a wait that cannot be served within it rejects with a `TimeoutError` (as soon as that is known). */
  timeoutMs?: number | undefined;
}

interface Waiter<T> {
  readonly attempt: () => Promise<Attempt<T>>;
  readonly undo: ((value: T) => void) | undefined;
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
  readonly deadline: number;
  settled: boolean;
  timer: TimerHandle | undefined;
  wake: (() => void) | undefined;
  cleanup: (() => void) | undefined;
}

/**
 * Per-key FIFO of waiters: only the head of a key's queue tries; the others wait behind it, so
 * waiters are served in arrival order. Bounded per key, abortable, with an optional deadline.
 */
export class KeyedWaitQueue {
  readonly #queues = new Map<string, Waiter<unknown>[]>();
  readonly #timers: Timers;
  readonly #clock: Clock;
  readonly #maxQueue: number;

  constructor(timers: Timers, clock: Clock, maxQueue: number) {
    this.#timers = timers;
    this.#clock = clock;
    this.#maxQueue = maxQueue;
  }

  /** Waiters queued for `key`. */
  size(key: string): number {
    return this.#queues.get(key)?.length ?? 0;
  }

  wait<T>(key: string, attempt: () => Promise<Attempt<T>>, options: WaitOptions = {}, undo?: (value: T) => void): Promise<T> {
    try {
      assertAbortOptions(options);
      const { timeoutMs } = options;
      if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))) {
        throw new InvalidArgumentError(`timeoutMs must be a number >= 0, got ${String(timeoutMs)}`);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const { signal, timeoutMs } = options;
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    let queue = this.#queues.get(key) as Waiter<T>[] | undefined;
    if (queue === undefined) {
      queue = [];
      this.#queues.set(key, queue as unknown as Waiter<unknown>[]);
    }
    if (queue.length >= this.#maxQueue) return Promise.reject(new QueueFullError(key, this.#maxQueue));
    const list = queue;
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        attempt,
        undo,
        resolve,
        reject,
        deadline: timeoutMs === undefined ? Number.POSITIVE_INFINITY : this.#clock.monotonic() + timeoutMs,
        settled: false,
        timer: undefined,
        wake: undefined,
        cleanup: undefined,
      };
      if (signal !== undefined) {
        const onAbort = (): void => {
          if (waiter.settled) return;
          this.#settle(waiter, () => reject(new AbortError(undefined, { cause: signal.reason })));
          const index = list.indexOf(waiter);
          if (index > 0) list.splice(index, 1);
          // The head is removed by the pump when it wakes.
          waiter.wake?.();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      list.push(waiter);
      if (list.length === 1) void this.#pump(key, list);
    });
  }

  /** Makes the head of `key`'s queue try again now (e.g. a permit was released). */
  wake(key: string): void {
    this.#queues.get(key)?.[0]?.wake?.();
  }

  #settle<T>(waiter: Waiter<T>, action: () => void): void {
    waiter.settled = true;
    waiter.cleanup?.();
    if (waiter.timer !== undefined) this.#timers.clearTimeout(waiter.timer);
    action();
  }

  async #pump<T>(key: string, queue: Waiter<T>[]): Promise<void> {
    while (queue.length > 0) {
      const waiter = queue[0]!;
      if (waiter.settled) {
        queue.shift();
        continue;
      }
      let attempt: Attempt<T>;
      try {
        attempt = await waiter.attempt();
      } catch (error) {
        if (!waiter.settled) this.#settle(waiter, () => waiter.reject(error));
        queue.shift();
        continue;
      }
      if (waiter.settled) {
        // Aborted while the attempt was in flight: give back what it took.
        if (attempt.done) waiter.undo?.(attempt.value);
        queue.shift();
        continue;
      }
      if (attempt.done) {
        const value = attempt.value;
        this.#settle(waiter, () => waiter.resolve(value));
        queue.shift();
        continue;
      }
      if (this.#clock.monotonic() + attempt.retryAfter > waiter.deadline) {
        this.#settle(waiter, () => waiter.reject(new TimeoutError(`Key "${key}" cannot be served within the wait's timeout (next chance in ${attempt.retryAfter} ms)`)));
        queue.shift();
        continue;
      }
      await new Promise<void>((resolve) => {
        waiter.wake = resolve;
        waiter.timer = this.#timers.setTimeout(resolve, Math.max(0, attempt.retryAfter));
      });
      if (waiter.timer !== undefined) this.#timers.clearTimeout(waiter.timer);
      waiter.timer = undefined;
      waiter.wake = undefined;
    }
    if (this.#queues.get(key) === (queue as unknown as Waiter<unknown>[])) this.#queues.delete(key);
  }
}
