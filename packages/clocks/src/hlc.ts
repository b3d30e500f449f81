import {
  type AbortOptions,
  assertAbortOptions,
  assertInteger,
  assertNodeId,
  assertNumber,
  assertObject,
  assertOptionalClock,
  assertOptionalTimers,
  type Clock,
  InvalidArgumentError,
  isNodeId,
  type NodeId,
  sleep,
  systemClock,
  systemTimers,
  type Timers,
} from '@lattice/core';
import { ClockOffsetError, LogicalOverflowError, WallClockRangeError } from './errors.js';

/**
 * A hybrid logical clock timestamp (Kulkarni et al., 2014): the greatest wall time (ms since the
 * epoch) the issuing node had seen, a logical counter that orders events within that
 * millisecond, and the issuing node's id, which breaks ties so timestamps are totally ordered.
 */
export interface HlcTimestamp {
  /** Milliseconds since the Unix epoch, an integer in [0, 2^48). */
  readonly wallTime: number;
  /** Counter for events within the same `wallTime`, an integer in [0, 65535]. */
  readonly logical: number;
  /** Id of the node that issued the timestamp. */
  readonly node: NodeId;
}

/** The largest wall time representable in the 48-bit field, plus one. */
export const HLC_MAX_WALL_TIME = 2 ** 48;
/** The largest logical counter representable in the 16-bit field. */
export const HLC_MAX_LOGICAL = 0xffff;

/**
 * Where a {@link HybridLogicalClock} persists an upper bound on the wall times it has issued,
 * so a restarted node never issues a timestamp below one it issued before (even if its wall
 * clock went backwards while it was down). Both methods are synchronous: `save` is called once
 * per `persistWindowMs` of clock progress, before the timestamp that needs it is returned.
 */
export interface HlcPersistence {
  /** The last saved bound (ms), or undefined on first start. */
  load(): number | undefined;
  /** Durably records that no timestamp with `wallTime >= upperBoundMs` has been issued. */
  save(upperBoundMs: number): void;
}

/** Options of {@link HybridLogicalClock}. */
export interface HybridLogicalClockOptions {
  /** This node's id; stamped on every timestamp it issues. */
  node: NodeId;
  /** Source of physical time. Default `systemClock`. */
  clock?: Clock;
  /** Timers for {@link HybridLogicalClock.nowAsync}. Default `systemTimers`. */
  timers?: Timers;
  /**
   * Remote timestamps whose wall time is more than this many ms ahead of the local wall clock
   * are refused with a {@link ClockOffsetError}. Default 60,000 ms; `Infinity` disables the check.
   */
  maxOffsetMs?: number;
  /** Largest logical counter before {@link LogicalOverflowError}. Default 65,535 (16 bits). */
  maxLogical?: number;
  /** Persisted upper bound of issued wall times (see {@link HlcPersistence}). */
  persistence?: HlcPersistence;
  /**
   * How far ahead of the issued wall time the persisted bound is set, in ms; a restarted node's
   * first timestamps may be up to this far ahead of its wall clock. Default 1,000 ms; must not
   * exceed `maxOffsetMs`, or peers would refuse those timestamps.
   */
  persistWindowMs?: number;
}

/**
 * Orders HLC timestamps totally: by wall time, then logical counter, then node id (by UTF-16
 * code units, the same order as `<` on strings and as {@link formatHlc}'s strings).
 *
 * @example
 * ```ts
 * compareHlc({ wallTime: 1, logical: 0, node: 'a' }, { wallTime: 1, logical: 0, node: 'b' }); // -1
 * ```
 */
export function compareHlc(a: HlcTimestamp, b: HlcTimestamp): -1 | 0 | 1 {
  // A comparator runs in sorts, so the arguments are not checked up front: only a missing one
  // is refused (as a typed error, where reading its fields would throw a TypeError).
  if (a == null || b == null) throw new InvalidArgumentError(`compareHlc needs two HLC timestamps, got ${String(a)} and ${String(b)}`);
  if (a.wallTime !== b.wallTime) return a.wallTime < b.wallTime ? -1 : 1;
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1;
  if (a.node === b.node) return 0;
  return a.node < b.node ? -1 : 1;
}

/**
 * Throws an `InvalidArgumentError` unless `value` is a well-formed {@link HlcTimestamp}.
 *
 * @example
 * ```ts
 * assertHlcTimestamp(JSON.parse(text)); // after this, TypeScript knows it is an HlcTimestamp
 * ```
 */
export function assertHlcTimestamp(value: unknown, what = 'HLC timestamp'): asserts value is HlcTimestamp {
  if (isHlcTimestamp(value)) return;
  if (typeof value !== 'object' || value === null) throw new InvalidArgumentError(`${what} must be an object, got ${String(value)}`);
  const { wallTime, logical, node } = value as Record<string, unknown>;
  if (typeof wallTime !== 'number' || !Number.isInteger(wallTime) || wallTime < 0 || wallTime >= HLC_MAX_WALL_TIME) {
    throw new InvalidArgumentError(`${what}.wallTime must be an integer in [0, 2^48), got ${String(wallTime)}`);
  }
  if (typeof logical !== 'number' || !Number.isInteger(logical) || logical < 0 || logical > HLC_MAX_LOGICAL) {
    throw new InvalidArgumentError(`${what}.logical must be an integer in [0, 65535], got ${String(logical)}`);
  }
  assertNodeId(node, `${what}.node`);
  throw new InvalidArgumentError(`${what} is malformed`);
}

/**
 * True when `value` is a well-formed {@link HlcTimestamp} (the fast check behind {@link assertHlcTimestamp}).
 *
 * @example
 * ```ts
 * isHlcTimestamp({ wallTime: 1, logical: 0, node: 'a' }); // true
 * isHlcTimestamp({ wallTime: -1, logical: 0, node: 'a' }); // false
 * ```
 */
export function isHlcTimestamp(value: unknown): value is HlcTimestamp {
  if (typeof value !== 'object' || value === null) return false;
  const { wallTime, logical, node } = value as Record<string, unknown>;
  return (
    typeof wallTime === 'number' &&
    wallTime >= 0 &&
    wallTime < HLC_MAX_WALL_TIME &&
    Math.floor(wallTime) === wallTime &&
    typeof logical === 'number' &&
    logical >= 0 &&
    logical <= HLC_MAX_LOGICAL &&
    (logical | 0) === logical &&
    isNodeId(node)
  );
}

/**
 * A hybrid logical clock (Kulkarni, Demirbas et al., "Logical Physical Clocks", 2014): timestamps
 * close to physical time that still respect causality. Call {@link HybridLogicalClock.now} for a
 * local or send event and {@link HybridLogicalClock.update} with the timestamp of every received
 * message.
 *
 * Guarantees: timestamps it issues strictly increase (under {@link compareHlc}) even when the
 * wall clock jumps backwards; if event e happened before f, then ts(e) < ts(f); the wall time
 * of every timestamp is at most `maxOffsetMs` ahead of the local wall clock (plus
 * `persistWindowMs` right after a restart with persistence). A remote timestamp too far ahead
 * is refused with {@link ClockOffsetError} and leaves the clock unchanged; running out of
 * logical counter within one millisecond throws {@link LogicalOverflowError} (or waits, with
 * {@link HybridLogicalClock.nowAsync}) and also leaves it unchanged.
 *
 * @example
 * ```ts
 * import { HybridLogicalClock, compareHlc } from '@lattice/clocks';
 *
 * const a = new HybridLogicalClock({ node: 'a' });
 * const b = new HybridLogicalClock({ node: 'b' });
 * const sent = a.now();            // stamp an outgoing message
 * const received = b.update(sent); // on receipt: merge, and get the receive event's stamp
 * compareHlc(sent, received);      // -1: the send happened before the receive
 * ```
 */
export class HybridLogicalClock {
  /** This node's id. */
  readonly node: NodeId;
  /** The maximum accepted offset of remote timestamps, in ms. */
  readonly maxOffsetMs: number;
  /** The largest logical counter. */
  readonly maxLogical: number;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #persistence: HlcPersistence | undefined;
  readonly #persistWindowMs: number;
  #persistedBound = Number.POSITIVE_INFINITY;
  #wallTime = 0;
  #logical = 0;

  constructor(options: HybridLogicalClockOptions) {
    assertObject(options, 'HybridLogicalClock options');
    assertNodeId(options.node, 'options.node');
    const maxOffsetMs = options.maxOffsetMs ?? 60_000;
    assertNumber(maxOffsetMs, 'maxOffsetMs', 0);
    assertOptionalClock(options.clock, 'options.clock');
    assertOptionalTimers(options.timers, 'options.timers');
    const { persistence } = options;
    if (persistence !== undefined && (typeof persistence?.load !== 'function' || typeof persistence.save !== 'function')) {
      throw new InvalidArgumentError('options.persistence must be an HlcPersistence (load and save functions)');
    }
    if (options.persistWindowMs !== undefined) assertInteger(options.persistWindowMs, 'persistWindowMs', 1);
    const maxLogical = options.maxLogical ?? HLC_MAX_LOGICAL;
    if (!Number.isInteger(maxLogical) || maxLogical < 1 || maxLogical > HLC_MAX_LOGICAL) {
      throw new InvalidArgumentError(`maxLogical must be an integer in [1, 65535], got ${maxLogical}`);
    }
    const persistWindowMs = options.persistWindowMs ?? Math.max(1, Math.min(1_000, Math.floor(maxOffsetMs)));
    if (options.persistence !== undefined && (!Number.isInteger(persistWindowMs) || persistWindowMs < 1 || persistWindowMs > maxOffsetMs)) {
      throw new InvalidArgumentError(`persistWindowMs must be an integer in [1, maxOffsetMs], got ${persistWindowMs}`);
    }
    this.node = options.node;
    this.maxOffsetMs = maxOffsetMs;
    this.maxLogical = maxLogical;
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#persistWindowMs = persistWindowMs;
    this.#persistence = options.persistence;
    if (this.#persistence !== undefined) {
      const bound = this.#persistence.load();
      if (bound !== undefined) {
        if (!Number.isInteger(bound) || bound < 0 || bound >= HLC_MAX_WALL_TIME) {
          throw new InvalidArgumentError(`persisted HLC bound must be an integer in [0, 2^48), got ${bound}`);
        }
        // Every timestamp issued before the restart had wallTime < bound; starting the state
        // at (bound, 0) makes every later one greater.
        this.#wallTime = bound;
      }
      this.#persistedBound = this.#wallTime;
    }
  }

  /** The most recent timestamp state (not a newly issued one): what a new `now()` must exceed. */
  get last(): HlcTimestamp {
    return { wallTime: this.#wallTime, logical: this.#logical, node: this.node };
  }

  /**
   * Issues a timestamp for a local or send event, greater than every timestamp this clock has
   * issued or received.
   *
   * @throws {@link LogicalOverflowError} if the logical counter is exhausted in this millisecond.
   * @throws {@link WallClockRangeError} if the wall clock reads outside [0, 2^48).
   */
  now(): HlcTimestamp {
    const physical = this.#physical();
    let wallTime = this.#wallTime;
    let logical: number;
    if (physical > wallTime) {
      wallTime = physical;
      logical = 0;
    } else {
      logical = this.#logical + 1;
      if (logical > this.maxLogical) throw new LogicalOverflowError(wallTime, this.maxLogical);
    }
    return this.#commit(wallTime, logical);
  }

  /**
   * Like {@link HybridLogicalClock.now}, but when the logical counter is exhausted it waits
   * (on the injected timers) until the wall clock moves past the clock's wall time instead of
   * throwing. Rejects with an `AbortError` if `options.signal` aborts first.
   */
  async nowAsync(options?: AbortOptions): Promise<HlcTimestamp> {
    assertAbortOptions(options);
    for (;;) {
      try {
        return this.now();
      } catch (error) {
        if (!(error instanceof LogicalOverflowError)) throw error;
        const wait = this.#wallTime + 1 - this.#physical();
        await sleep(this.#timers, Math.max(1, wait), options);
      }
    }
  }

  /**
   * Merges a remote timestamp (from a received message) and issues the receive event's
   * timestamp, greater than both `remote` and everything this clock issued before.
   *
   * @throws {@link ClockOffsetError} if `remote.wallTime` is more than `maxOffsetMs` ahead of
   *   the local wall clock; the clock is unchanged.
   * @throws {@link LogicalOverflowError} if the logical counter would overflow; the clock is unchanged.
   * @throws `InvalidArgumentError` if `remote.wallTime` or `remote.logical` is out of range
   *   (its node id is not read).
   */
  update(remote: HlcTimestamp): HlcTimestamp {
    // Only wallTime and logical are read; the remote node id does not affect the clock, so it
    // is not validated here (validate it where you decode messages).
    // Assigned in the try; when it throws, `valid` is false and the method throws below.
    let remoteWall!: number;
    let remoteLogical!: number;
    let valid: boolean;
    try {
      remoteWall = remote.wallTime;
      remoteLogical = remote.logical;
      // Strict equality with the value's own integer form rejects non-numbers, NaN and
      // fractions in one comparison; the mask keeps logical in [0, 65535]. A null remote, or a
      // bigint or symbol field (which Math.floor and & throw on), lands in the catch.
      valid =
        Math.floor(remoteWall) === remoteWall && remoteWall >= 0 && remoteWall < HLC_MAX_WALL_TIME && (remoteLogical & HLC_MAX_LOGICAL) === remoteLogical;
    } catch {
      valid = false;
    }
    if (!valid) {
      assertHlcTimestamp(remote, 'remote timestamp'); // throws the precise error
      // Reached only if a second read of the fields gave valid values (getters): still refuse.
      throw new InvalidArgumentError('remote timestamp changed while it was read');
    }
    const physical = this.#physical();
    if (remoteWall - physical > this.maxOffsetMs) throw new ClockOffsetError(remoteWall, physical, this.maxOffsetMs);
    const localWall = this.#wallTime;
    let wallTime: number;
    let logical: number;
    if (physical > localWall && physical > remoteWall) {
      wallTime = physical;
      logical = 0;
    } else if (localWall === remoteWall) {
      wallTime = localWall;
      logical = Math.max(this.#logical, remoteLogical) + 1;
    } else if (localWall > remoteWall) {
      wallTime = localWall;
      logical = this.#logical + 1;
    } else {
      wallTime = remoteWall;
      logical = remoteLogical + 1;
    }
    if (logical > this.maxLogical) throw new LogicalOverflowError(wallTime, this.maxLogical);
    return this.#commit(wallTime, logical);
  }

  #commit(wallTime: number, logical: number): HlcTimestamp {
    if (wallTime >= this.#persistedBound) {
      const bound = wallTime + this.#persistWindowMs;
      // Save first: if it throws, nothing was issued and the state is unchanged.
      this.#persistence?.save(bound);
      this.#persistedBound = bound;
    }
    this.#wallTime = wallTime;
    this.#logical = logical;
    return { wallTime, logical, node: this.node };
  }

  #physical(): number {
    const now = Math.floor(this.#clock.now());
    if (!(now >= 0 && now < HLC_MAX_WALL_TIME)) throw new WallClockRangeError(now);
    return now;
  }
}
