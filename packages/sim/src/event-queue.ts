import { InvalidArgumentError } from '@lattice/core';
/** One scheduled callback of the {@link EventQueue}. */
export interface ScheduledEvent {
  /** Virtual time (ms) at which it runs. */
  readonly time: number;
  /** Tie-breaker: events at the same time run in the order they were scheduled. */
  readonly seq: number;
  /** What runs. */
  readonly run: () => void;
  /**
   * True when `run` is known to do all its work before it returns (network deliveries, the
   * fault schedule, timers of protocol cores): the run loop need not wait for promise
   * continuations after it.
   */
  readonly quiet: boolean;
  /** Set by {@link EventQueue.cancel}; a cancelled event is skipped when it comes up. */
  cancelled: boolean;
}

/**
 * The one queue that drives a simulation: a binary min-heap ordered by (virtual time,
 * sequence number), so the order of events is a pure function of what was scheduled and when.
 * Cancellation is lazy (the event is flagged and skipped), which keeps cancel O(1).
 *
 * @example
 * ```ts
 * const queue = new EventQueue();
 * queue.push(10, () => console.log('second'));
 * queue.push(5, () => console.log('first'));
 * for (let event = queue.pop(); event; event = queue.pop()) event.run();
 * ```
 */
export class EventQueue {
  readonly #heap: ScheduledEvent[] = [];
  #seq = 0;
  #live = 0;

  /** Events scheduled and neither run nor cancelled. */
  get size(): number {
    return this.#live;
  }

  /** Schedules `run` at virtual time `time`; `quiet`: see {@link ScheduledEvent.quiet} (default false). */
  push(time: number, run: () => void, quiet = false): ScheduledEvent {
    // NaN or Infinity would break the heap order silently; `time - time` is 0 only for finite numbers.
    if (typeof time !== 'number' || time - time !== 0 || typeof run !== 'function') {
      throw new InvalidArgumentError(`an event needs a finite time and a function, got ${String(time)} and ${typeof run}`);
    }
    const event: ScheduledEvent = { time, seq: this.#seq++, run, quiet, cancelled: false };
    const heap = this.#heap;
    let index = heap.length;
    heap.push(event);
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (parent.time < time || (parent.time === time && parent.seq < event.seq)) break;
      heap[index] = parent;
      index = parentIndex;
    }
    heap[index] = event;
    this.#live++;
    return event;
  }

  /** Cancels a scheduled event; a no-op if it already ran or was cancelled. */
  cancel(event: ScheduledEvent): void {
    if (event.cancelled) return;
    event.cancelled = true;
    this.#live--;
  }

  /** Time of the next live event, or undefined when none is left. */
  peekTime(): number | undefined {
    this.#dropCancelled();
    return this.#heap[0]?.time;
  }

  /** Removes and returns the next live event. */
  pop(): ScheduledEvent | undefined {
    this.#dropCancelled();
    const top = this.#removeTop();
    if (top !== undefined) {
      // Marking it cancelled makes a later cancel() of a fired timer a no-op.
      top.cancelled = true;
      this.#live--;
    }
    return top;
  }

  #dropCancelled(): void {
    while (this.#heap.length > 0 && this.#heap[0]!.cancelled) this.#removeTop();
  }

  #removeTop(): ScheduledEvent | undefined {
    const heap = this.#heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop()!;
    const length = heap.length;
    if (length > 0) {
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        if (left >= length) break;
        const right = left + 1;
        let child = left;
        let candidate = heap[left]!;
        if (right < length) {
          const other = heap[right]!;
          if (other.time < candidate.time || (other.time === candidate.time && other.seq < candidate.seq)) {
            child = right;
            candidate = other;
          }
        }
        if (last.time < candidate.time || (last.time === candidate.time && last.seq < candidate.seq)) break;
        heap[index] = candidate;
        index = child;
      }
      heap[index] = last;
    }
    return top;
  }
}
