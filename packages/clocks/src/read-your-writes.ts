import {
  type AbortOptions,
  AbortError,
  assertAbortOptions,
  assertOptionalObject,
  assertOptionalTimers,
  ClosedError,
  DecodeError,
  InvalidArgumentError,
  systemTimers,
  type TimerHandle,
  type Timers,
} from '@lattice/core';
import { NotCaughtUpError } from './errors.js';
import { assertHlcTimestamp, compareHlc, type HlcTimestamp } from './hlc.js';
import { formatHlc, parseHlc } from './hlc-encoding.js';

/**
 * Client side of read-your-writes: remembers the highest HLC timestamp the client has seen
 * (its writes' timestamps, and those of data it read) and hands it out as an opaque session
 * token to send with every read. Any replica that has applied up to the token's timestamp
 * shows the client its own writes (and everything it saw before).
 *
 * @example
 * ```ts
 * import { ClientSession } from '@lattice/clocks';
 *
 * const session = new ClientSession();
 * session.observe(writeResponse.timestamp);          // after each write (and read)
 * await fetch(`/read?key=k&session=${session.token}`); // replicas wait until they caught up
 * ```
 */
export class ClientSession {
  #highest: HlcTimestamp | undefined;

  /** Starts a session, optionally resuming from a token a previous session handed out. */
  constructor(token?: string) {
    if (token !== undefined && token !== '') this.#highest = parseSessionToken(token);
  }

  /** The highest timestamp seen so far, or undefined before any. */
  get highest(): HlcTimestamp | undefined {
    return this.#highest;
  }

  /** Records a timestamp the client has seen (a write's, or a read's); lower ones are ignored. */
  observe(timestamp: HlcTimestamp | string): void {
    const parsed = typeof timestamp === 'string' ? parseSessionToken(timestamp) : timestamp;
    assertHlcTimestamp(parsed);
    if (this.#highest === undefined || compareHlc(parsed, this.#highest) > 0) this.#highest = { ...parsed };
  }

  /** The session token to send with reads: the empty string before anything was observed. */
  get token(): string {
    return this.#highest === undefined ? '' : formatHlc(this.#highest);
  }
}

/**
 * Parses a session token into the timestamp it carries.
 *
 * @example
 * ```ts
 * parseSessionToken(session.token).wallTime; // the highest wall time the client has seen
 * ```
 *
 * @throws `DecodeError` if the token is malformed.
 */
export function parseSessionToken(token: string): HlcTimestamp {
  return parseHlc(token);
}

/** {@link AppliedWatermark.check}'s answer. */
export interface CatchUpStatus {
  /** True when the replica has applied everything up to the token. */
  readonly caughtUp: boolean;
  /** What the token asks for (undefined for the empty token). */
  readonly required: HlcTimestamp | undefined;
  /** What the replica has applied (undefined before anything). */
  readonly applied: HlcTimestamp | undefined;
}

/** Options of {@link AppliedWatermark.waitFor}. */
export interface WaitForOptions extends AbortOptions {
  /** Give up after this many ms with a {@link NotCaughtUpError}. Default 1,000 ms; 0 answers at once. */
  timeoutMs?: number;
}

interface Waiter {
  readonly required: HlcTimestamp;
  readonly resolve: (applied: HlcTimestamp) => void;
  readonly reject: (error: Error) => void;
  readonly cleanup: () => void;
}

/**
 * Server side of read-your-writes: a replica's applied position (the timestamp up to which it
 * has applied every write, in timestamp order) and the check a read makes against a client's
 * session token: answer now if caught up, otherwise wait (bounded, abortable) for the
 * replica to catch up, or report that it has not so the client can go to another replica.
 *
 * @example
 * ```ts
 * import { AppliedWatermark } from '@lattice/clocks';
 *
 * const watermark = new AppliedWatermark();
 * replica.onApply((entry) => watermark.advance(entry.timestamp)); // in timestamp order
 * async function read(key: string, token: string) {
 *   await watermark.waitFor(token, { timeoutMs: 200 }); // NotCaughtUpError after 200 ms
 *   return replica.get(key);
 * }
 * ```
 */
export class AppliedWatermark {
  readonly #timers: Timers;
  #applied: HlcTimestamp | undefined;
  #waiters = new Set<Waiter>();
  #closed = false;

  constructor(options: { timers?: Timers; applied?: HlcTimestamp } = {}) {
    assertOptionalObject(options, 'AppliedWatermark options');
    assertOptionalTimers(options.timers, 'options.timers');
    this.#timers = options.timers ?? systemTimers;
    if (options.applied !== undefined) {
      assertHlcTimestamp(options.applied, 'applied');
      this.#applied = { ...options.applied };
    }
  }

  /** The timestamp up to which this replica has applied every write. */
  get applied(): HlcTimestamp | undefined {
    return this.#applied;
  }

  /** Records that every write up to `timestamp` has been applied; wakes the reads waiting for it. Lower values are ignored. */
  advance(timestamp: HlcTimestamp): void {
    assertHlcTimestamp(timestamp);
    if (this.#applied !== undefined && compareHlc(timestamp, this.#applied) <= 0) return;
    const applied = { ...timestamp };
    this.#applied = applied;
    for (const waiter of this.#waiters) {
      if (compareHlc(waiter.required, applied) <= 0) {
        waiter.cleanup();
        waiter.resolve(applied);
      }
    }
  }

  /**
   * Whether this replica has caught up with `token` (a session token, or a timestamp).
   *
   * @throws `DecodeError` if the token is malformed.
   */
  check(token: string | HlcTimestamp): CatchUpStatus {
    const required = toRequired(token);
    const applied = this.#applied;
    const caughtUp = required === undefined || (applied !== undefined && compareHlc(required, applied) <= 0);
    return { caughtUp, required, applied };
  }

  /**
   * Resolves (with the applied timestamp) once this replica has applied everything up to
   * `token`; rejects with {@link NotCaughtUpError} after `timeoutMs`, with an `AbortError` if
   * the signal aborts, a `ClosedError` on {@link close}, or a `DecodeError` for a malformed token.
   */
  waitFor(token: string | HlcTimestamp, options: WaitForOptions = {}): Promise<HlcTimestamp | undefined> {
    let required: HlcTimestamp | undefined;
    try {
      assertAbortOptions(options);
      required = toRequired(token);
      if (this.#closed) throw new ClosedError('AppliedWatermark is closed');
      if (options.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason });
    } catch (error) {
      return Promise.reject(error);
    }
    const timeoutMs = options.timeoutMs ?? 1_000;
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) return Promise.reject(new InvalidArgumentError(`timeoutMs must be >= 0, got ${timeoutMs}`));
    const status = this.check(required ?? '');
    if (status.caughtUp) return Promise.resolve(status.applied);
    const needed = required!;
    if (timeoutMs === 0) return Promise.reject(notCaughtUp(needed, this.#applied, 0));
    return new Promise<HlcTimestamp>((resolve, reject) => {
      const signal = options.signal;
      let timer: TimerHandle;
      const onAbort = (): void => {
        waiter.cleanup();
        reject(new AbortError(undefined, { cause: signal?.reason }));
      };
      const waiter: Waiter = {
        required: needed,
        resolve,
        reject,
        cleanup: () => {
          this.#waiters.delete(waiter);
          this.#timers.clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      timer = this.#timers.setTimeout(() => {
        waiter.cleanup();
        reject(notCaughtUp(needed, this.#applied, timeoutMs));
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** Number of reads currently waiting. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Rejects every waiting read with a `ClosedError`; later `waitFor` calls reject too. */
  close(): void {
    this.#closed = true;
    for (const waiter of [...this.#waiters]) {
      waiter.cleanup();
      waiter.reject(new ClosedError('AppliedWatermark was closed while a read was waiting'));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}

function toRequired(token: string | HlcTimestamp): HlcTimestamp | undefined {
  if (typeof token === 'string') return token === '' ? undefined : parseSessionToken(token);
  if (typeof token !== 'object' || token === null) throw new DecodeError('session token must be a string');
  assertHlcTimestamp(token, 'session timestamp');
  return token;
}

function notCaughtUp(required: HlcTimestamp, applied: HlcTimestamp | undefined, waitedMs: number): NotCaughtUpError {
  return new NotCaughtUpError(
    `Replica has applied up to ${applied === undefined ? 'nothing' : formatHlc(applied)}, the session needs ${formatHlc(required)} (waited ${waitedMs} ms)`,
    required,
    applied,
  );
}
