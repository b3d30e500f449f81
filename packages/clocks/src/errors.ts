import { LatticeError, type LatticeErrorOptions } from '@lattice/core';
import type { HlcTimestamp } from './hlc.js';

/**
 * Thrown by `HybridLogicalClock.update` when a remote timestamp is further ahead of the local
 * wall clock than the configured maximum offset. The clock is left unchanged, so one peer with
 * a bad clock cannot drag the cluster's clocks forward.
 */
export class ClockOffsetError extends LatticeError {
  static readonly code = 'ERR_CLOCK_OFFSET';
  override readonly name = 'ClockOffsetError';
  /** Wall time (ms) of the refused remote timestamp. */
  readonly remoteWallTime: number;
  /** Local physical time (ms) when it was refused. */
  readonly localWallTime: number;
  /** The configured maximum offset (ms) it exceeded. */
  readonly maxOffsetMs: number;
  constructor(remoteWallTime: number, localWallTime: number, maxOffsetMs: number, options?: LatticeErrorOptions) {
    super(
      ClockOffsetError.code,
      `Remote timestamp is ${remoteWallTime - localWallTime} ms ahead of the local clock, more than the maximum offset of ${maxOffsetMs} ms`,
      options,
    );
    this.remoteWallTime = remoteWallTime;
    this.localWallTime = localWallTime;
    this.maxOffsetMs = maxOffsetMs;
  }
}

/**
 * Thrown when a hybrid logical clock would need a logical counter above its maximum (65,535 by
 * default) within one millisecond of wall time. The clock is left unchanged; the condition
 * clears as soon as the wall clock moves past the clock's wall time
 * (`HybridLogicalClock.nowAsync` waits for that instead of throwing).
 */
export class LogicalOverflowError extends LatticeError {
  static readonly code = 'ERR_LOGICAL_OVERFLOW';
  override readonly name = 'LogicalOverflowError';
  /** Wall time (ms) at which the counter ran out. */
  readonly wallTime: number;
  constructor(wallTime: number, maxLogical: number, options?: LatticeErrorOptions) {
    super(LogicalOverflowError.code, `Logical counter would exceed ${maxLogical} at wall time ${wallTime}`, options);
    this.wallTime = wallTime;
  }
}

/**
 * Thrown when the wall clock reads a time a hybrid logical clock cannot represent: negative,
 * not finite, or at or beyond 2^48 ms (the 48-bit field of the 64-bit encoding, year 10889).
 */
export class WallClockRangeError extends LatticeError {
  static readonly code = 'ERR_WALL_CLOCK_RANGE';
  override readonly name = 'WallClockRangeError';
  constructor(wallTime: number, options?: LatticeErrorOptions) {
    super(WallClockRangeError.code, `Wall clock reads ${wallTime}, outside [0, 2^48) ms`, options);
  }
}

/**
 * Thrown (as a rejection of `AppliedWatermark.waitFor`) when a replica has not applied the
 * writes a client's session token requires within the time allowed; the client can retry or
 * read from another replica.
 */
export class NotCaughtUpError extends LatticeError {
  static readonly code = 'ERR_NOT_CAUGHT_UP';
  override readonly name = 'NotCaughtUpError';
  /** What the session token asked for. */
  readonly required: HlcTimestamp;
  /** What the replica had applied when it gave up (undefined: nothing). */
  readonly applied: HlcTimestamp | undefined;
  constructor(message: string, required: HlcTimestamp, applied: HlcTimestamp | undefined, options?: LatticeErrorOptions) {
    super(NotCaughtUpError.code, message, options);
    this.required = required;
    this.applied = applied;
  }
}

/** Thrown when an increment or a new dot would take a counter past `Number.MAX_SAFE_INTEGER` (the state is left as it was): a `DotContext` that has used every counter of a node, or a CRDT counter of `@lattice/crdt`. */
export class CounterOverflowError extends LatticeError {
  static readonly code = 'ERR_COUNTER_OVERFLOW';
  override readonly name = 'CounterOverflowError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(CounterOverflowError.code, message, options);
  }
}
