import { assertNodeId, InvalidArgumentError, type NodeId } from '@lattice/core';

/** A Lamport timestamp: the counter value and the node that produced it (for a total order). */
export interface LamportTimestamp {
  /** The logical time, an integer >= 1 for any issued timestamp. */
  readonly time: number;
  /** The issuing node; breaks ties between equal times. */
  readonly node: NodeId;
}

/**
 * Orders Lamport timestamps totally: by time, then node id (UTF-16 code-unit order). If event e
 * happened before f, then `compareLamport(ts(e), ts(f)) === -1`; the converse does not hold
 * (use a vector clock to detect concurrency).
 *
 * @example
 * ```ts
 * compareLamport({ time: 3, node: 'b' }, { time: 3, node: 'a' }); // 1
 * ```
 */
export function compareLamport(a: LamportTimestamp, b: LamportTimestamp): -1 | 0 | 1 {
  if (a == null || b == null) throw new InvalidArgumentError(`compareLamport needs two Lamport timestamps, got ${String(a)} and ${String(b)}`);
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.node === b.node) return 0;
  return a.node < b.node ? -1 : 1;
}

/**
 * A Lamport clock (Lamport, 1978): a counter that ticks on every event and jumps past the
 * counter of every message received, so causally later events get larger timestamps.
 *
 * @example
 * ```ts
 * import { LamportClock } from '@lattice/clocks';
 *
 * const a = new LamportClock('a');
 * const b = new LamportClock('b');
 * const message = a.send();          // { time: 1, node: 'a' }
 * const received = b.receive(message); // { time: 2, node: 'b' }
 * ```
 */
export class LamportClock {
  /** This node's id. */
  readonly node: NodeId;
  #time: number;

  /** Starts at `time` (default 0: the first event gets 1), e.g. a value restored from storage. */
  constructor(node: NodeId, time = 0) {
    assertNodeId(node);
    assertTime(time, 'time');
    this.node = node;
    this.#time = time;
  }

  /** The current counter value (the time of the last event, or the start value). */
  get time(): number {
    return this.#time;
  }

  /** Records a local event and returns its timestamp. */
  tick(): LamportTimestamp {
    if (this.#time >= Number.MAX_SAFE_INTEGER) throw new InvalidArgumentError('Lamport clock exhausted Number.MAX_SAFE_INTEGER');
    this.#time += 1;
    return { time: this.#time, node: this.node };
  }

  /** Records a send event; attach the returned timestamp (or its `time`) to the message. */
  send(): LamportTimestamp {
    return this.tick();
  }

  /**
   * Records the receipt of a message stamped `remote` (a timestamp or bare time): the clock
   * becomes max(local, remote) + 1. Returns the receive event's timestamp.
   */
  receive(remote: LamportTimestamp | number): LamportTimestamp {
    const time = typeof remote === 'number' ? remote : remote?.time;
    assertTime(time, 'remote time');
    const next = Math.max(time, this.#time) + 1;
    if (next > Number.MAX_SAFE_INTEGER) throw new InvalidArgumentError('Lamport clock exhausted Number.MAX_SAFE_INTEGER');
    this.#time = next;
    return { time: next, node: this.node };
  }
}

function assertTime(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${what} must be a safe integer >= 0, got ${String(value)}`);
  }
}
