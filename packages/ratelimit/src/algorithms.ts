import { assertInteger, assertNumber, assertObject, describeValue, InvalidArgumentError } from '@lattice/core';
/**
 * The state transitions of every algorithm, written once in JavaScript. The memory store runs
 * them directly; `lua.ts` is a line-by-line port that the Redis store runs inside one script, so
 * both stores make the same decision from the same state and time.
 *
 * All state is integers: rates are kept as "R tokens per I milliseconds" and fractional tokens
 * are counted in units of 1/I token (or 1/R millisecond), so no decision depends on floating-point
 * rounding, in JavaScript or in Redis's Lua.
 */

/** Numeric ids of the algorithms, shared with the Lua script. */
export const AlgorithmId = {
  TokenBucket: 1,
  LeakyBucket: 2,
  LeakyBucketQueue: 3,
  FixedWindow: 4,
  SlidingWindowLog: 5,
  SlidingWindowCounter: 6,
  Gcra: 7,
  Concurrency: 8,
} as const;
/** One of {@link AlgorithmId}'s values. */
export type AlgorithmId = (typeof AlgorithmId)[keyof typeof AlgorithmId];

/** Numeric ids of the operations a store applies, shared with the Lua script. */
export const StoreAction = {
  Consume: 0,
  Peek: 1,
  Reset: 2,
  Penalty: 3,
  Reward: 4,
  Block: 5,
  Release: 6,
  Extend: 7,
} as const;
/** One of {@link StoreAction}'s values. */
export type StoreAction = (typeof StoreAction)[keyof typeof StoreAction];

/**
 * One configured limit as a store sees it: the algorithm, its three integer parameters and the
 * namespace its keys live in. Built by the limiter classes; users rarely write one by hand.
 *
 * | algorithm | p1 | p2 | p3 |
 * | --- | --- | --- | --- |
 * | TokenBucket, LeakyBucket | capacity | tokens per interval (R) | interval ms (I) |
 * | LeakyBucketQueue, Gcra | queue size / burst | tokens per interval (R) | interval ms (I) |
 * | FixedWindow, SlidingWindowLog, SlidingWindowCounter | limit | window ms | 0 |
 * | Concurrency | permits | lease ms | 0 |
 */
export interface LimitSpec {
  /** Namespace of the keys (distinct per limiter sharing a store). */
  readonly name: string;
  readonly algorithm: AlgorithmId;
  readonly p1: number;
  readonly p2: number;
  readonly p3: number;
}

/**
 * Slots per entry in a store's decision array: allowed (1/0), remaining, resetAt (epoch ms),
 * retryAfter (ms), delay (ms), ttl (ms the key is kept).
 */
export const RESULT_STRIDE = 6;

/**
 * Scratch arrays an algorithm with a fixed-size state may return its next state in, instead of
 * allocating one per decision (the memory store copies it into the key's own array).
 */
export interface StateScratch {
  readonly two: number[];
  readonly three: number[];
}

/**
 * Applies `action` to one key's `state` at time `now` (integer ms), writes the decision into
 * `out[o .. o+5]` and returns the state to store, `undefined` when nothing must be written, or an
 * empty array when the key can be deleted. Never mutates `state`. With `scratch`, a 2- or 3-number
 * state is returned in `scratch.two` / `scratch.three` (valid until the next call).
 */
export function evaluate(
  spec: LimitSpec,
  state: readonly number[] | undefined,
  now: number,
  action: StoreAction,
  amount: number,
  arg: number,
  out: number[],
  o: number,
  scratch?: StateScratch,
): number[] | undefined {
  switch (spec.algorithm) {
    case AlgorithmId.TokenBucket:
      return tokenBucket(spec, state, now, action, amount, out, o, scratch);
    case AlgorithmId.LeakyBucket:
      return leakyBucket(spec, state, now, action, amount, out, o, scratch);
    case AlgorithmId.LeakyBucketQueue:
    case AlgorithmId.Gcra:
      return gcra(spec, state, now, action, amount, out, o, scratch);
    case AlgorithmId.FixedWindow:
      return fixedWindow(spec, state, now, action, amount, out, o, scratch);
    case AlgorithmId.SlidingWindowLog:
      return slidingLog(spec, state, now, action, amount, out, o);
    case AlgorithmId.SlidingWindowCounter:
      return slidingCounter(spec, state, now, action, amount, out, o, scratch);
    case AlgorithmId.Concurrency:
      return concurrency(spec, state, now, action, amount, arg, out, o);
  }
}

const ALGORITHM_IDS: ReadonlySet<unknown> = new Set(Object.values(AlgorithmId));
const STORE_ACTIONS: ReadonlySet<unknown> = new Set(Object.values(StoreAction));

/**
 * Applies `action` to one key's `state` at time `now` (integer ms), writes the decision into
 * `out[o .. o+5]` and returns the state to store, `undefined` when nothing must be written, or an
 * empty array when the key can be deleted. Never mutates `state`. With `scratch`, a 2- or 3-number
 * state is returned in `scratch.two` / `scratch.three` (valid until the next call). For custom
 * stores: arguments of the wrong type or range are an `InvalidArgumentError`, not a `TypeError`
 * or a decision computed from `NaN` (the built-in stores call an unchecked copy).
 */
export function evaluateChecked(
  spec: LimitSpec,
  state: readonly number[] | undefined,
  now: number,
  action: StoreAction,
  amount: number,
  arg: number,
  out: number[],
  o: number,
  scratch?: StateScratch,
): number[] | undefined {
  assertObject(spec, 'spec');
  if (!ALGORITHM_IDS.has(spec.algorithm)) throw new InvalidArgumentError(`spec.algorithm must be one of AlgorithmId's values, got ${describeValue(spec.algorithm)}`);
  for (const name of ['p1', 'p2', 'p3'] as const) assertNumber(spec[name], `spec.${name}`, 0);
  if (state !== undefined && !Array.isArray(state)) throw new InvalidArgumentError(`state must be an array of numbers or undefined, got ${describeValue(state)}`);
  assertNumber(now, 'now', Number.NEGATIVE_INFINITY, Number.MAX_VALUE);
  if (!STORE_ACTIONS.has(action)) throw new InvalidArgumentError(`action must be one of StoreAction's values, got ${describeValue(action)}`);
  assertNumber(amount, 'amount', Number.NEGATIVE_INFINITY, Number.MAX_VALUE);
  assertNumber(arg, 'arg', Number.NEGATIVE_INFINITY, Number.MAX_VALUE);
  if (!Array.isArray(out)) throw new InvalidArgumentError(`out must be an array of numbers, got ${describeValue(out)}`);
  assertInteger(o, 'o', 0);
  if (scratch !== undefined && (typeof scratch !== 'object' || scratch === null || !Array.isArray(scratch.two) || !Array.isArray(scratch.three))) {
    throw new InvalidArgumentError(`scratch must be { two: number[], three: number[] } or undefined, got ${describeValue(scratch)}`);
  }
  return evaluate(spec, state, now, action, amount, arg, out, o, scratch);
}

function pair(scratch: StateScratch | undefined, a: number, b: number): number[] {
  if (scratch === undefined) return [a, b];
  const next = scratch.two;
  next[0] = a;
  next[1] = b;
  return next;
}

function put(out: number[], o: number, allowed: boolean, remaining: number, resetAt: number, retryAfter: number, delay: number, ttl: number): void {
  out[o] = allowed ? 1 : 0;
  out[o + 1] = remaining;
  out[o + 2] = resetAt;
  out[o + 3] = retryAfter;
  out[o + 4] = delay;
  out[o + 5] = Math.max(ttl , 1);
}

// Token bucket: S = tokens * I, refilled by R per ms up to C * I. State [S, last].
function tokenBucket(spec: LimitSpec, st: readonly number[] | undefined, now: number, action: StoreAction, amount: number, out: number[], o: number, scratch: StateScratch | undefined): number[] | undefined {
  const full = spec.p1 * spec.p3;
  const rate = spec.p2;
  const unit = spec.p3;
  let s = full;
  let last = now;
  if (st !== undefined && st.length >= 2) {
    s = st[0]!;
    last = st[1]!;
  }
  const t = Math.max(now , last);
  s = Math.min(full, s + (t - last) * rate);
  let after = s;
  let ok = true;
  let write = false;
  if (action === StoreAction.Consume || action === StoreAction.Peek) {
    ok = s >= amount * unit;
    if (ok && action === StoreAction.Consume) {
      after = s - amount * unit;
      write = true;
    }
  } else if (action === StoreAction.Penalty) {
    after = s - amount * unit;
    write = true;
  } else if (action === StoreAction.Reward) {
    after = Math.min(full, s + amount * unit);
    write = true;
  }
  const remaining = after > 0 ? Math.floor(after / unit) : 0;
  const resetAt = t + Math.ceil((full - after) / rate);
  const retryAfter = ok ? 0 : t - now + Math.ceil((amount * unit - s) / rate);
  put(out, o, ok, remaining, resetAt, retryAfter, 0, resetAt - now);
  return write ? pair(scratch, after, t) : undefined;
}

// Leaky bucket as a meter: L = level * I, leaking R per ms, at most C * I. State [L, last].
function leakyBucket(spec: LimitSpec, st: readonly number[] | undefined, now: number, action: StoreAction, amount: number, out: number[], o: number, scratch: StateScratch | undefined): number[] | undefined {
  const full = spec.p1 * spec.p3;
  const rate = spec.p2;
  const unit = spec.p3;
  let level = 0;
  let last = now;
  if (st !== undefined && st.length >= 2) {
    level = st[0]!;
    last = st[1]!;
  }
  const t = Math.max(now , last);
  level = Math.max(0, level - (t - last) * rate);
  let after = level;
  let ok = true;
  let write = false;
  if (action === StoreAction.Consume || action === StoreAction.Peek) {
    ok = level + amount * unit <= full;
    if (ok && action === StoreAction.Consume) {
      after = level + amount * unit;
      write = true;
    }
  } else if (action === StoreAction.Penalty) {
    after = level + amount * unit;
    write = true;
  } else if (action === StoreAction.Reward) {
    after = Math.max(0, level - amount * unit);
    write = true;
  }
  const remaining = full - after > 0 ? Math.floor((full - after) / unit) : 0;
  const resetAt = t + Math.ceil(after / rate);
  const retryAfter = ok ? 0 : t - now + Math.ceil((level + amount * unit - full) / rate);
  put(out, o, ok, remaining, resetAt, retryAfter, 0, resetAt - now);
  return write ? pair(scratch, after, t) : undefined;
}

// GCRA and the shaping queue. The theoretical arrival time TAT = tms + trem / R is kept exactly
// as [tms, trem]; D = (TAT - now) * R is how far it runs ahead of now, in units of 1/R ms.
// A request of n tokens moves TAT by n * I / R and is admitted while D stays within B * I.
function gcra(spec: LimitSpec, st: readonly number[] | undefined, now: number, action: StoreAction, amount: number, out: number[], o: number, scratch: StateScratch | undefined): number[] | undefined {
  const burst = spec.p1 * spec.p3;
  const rate = spec.p2;
  const unit = spec.p3;
  let d = 0;
  if (st !== undefined && st.length >= 2) {
    d = (st[0]! - now) * rate + st[1]!;
    if (d < 0) d = 0;
  }
  let after = d;
  let ok = true;
  let write = false;
  let delay = 0;
  if (action === StoreAction.Consume || action === StoreAction.Peek) {
    ok = d + amount * unit <= burst;
    if (ok && action === StoreAction.Consume) {
      after = d + amount * unit;
      write = true;
      if (spec.algorithm === AlgorithmId.LeakyBucketQueue) delay = Math.ceil(d / rate);
    }
  } else if (action === StoreAction.Penalty) {
    after = d + amount * unit;
    write = true;
  } else if (action === StoreAction.Reward) {
    after = Math.max(0, d - amount * unit);
    write = true;
  }
  const remaining = burst - after > 0 ? Math.floor((burst - after) / unit) : 0;
  const ahead = Math.ceil(after / rate);
  const retryAfter = ok ? 0 : Math.ceil((d + amount * unit - burst) / rate);
  put(out, o, ok, remaining, now + ahead, retryAfter, delay, ahead);
  if (!write) return undefined;
  const whole = Math.floor(after / rate);
  return pair(scratch, now + whole, after - whole * rate);
}

// Fixed window: [windowStart, count].
function fixedWindow(spec: LimitSpec, st: readonly number[] | undefined, now: number, action: StoreAction, amount: number, out: number[], o: number, scratch: StateScratch | undefined): number[] | undefined {
  const limit = spec.p1;
  const size = spec.p2;
  let w = Math.floor(now / size) * size;
  let count = 0;
  if (st !== undefined && st.length >= 2) {
    if (st[0]! > w) w = st[0]!;
    if (st[0] === w) count = st[1]!;
  }
  let after = count;
  let ok = true;
  let write = false;
  if (action === StoreAction.Consume || action === StoreAction.Peek) {
    ok = count + amount <= limit;
    if (ok && action === StoreAction.Consume) {
      after = count + amount;
      write = true;
    }
  } else if (action === StoreAction.Penalty) {
    after = count + amount;
    write = true;
  } else if (action === StoreAction.Reward) {
    after = Math.max(0, count - amount);
    write = true;
  }
  const resetAt = w + size;
  put(out, o, ok, Math.max(limit - after , 0), resetAt, ok ? 0 : resetAt - now, 0, resetAt - now);
  return write ? pair(scratch, w, after) : undefined;
}

// Sliding-window log: [ts1, cost1, ts2, cost2, ...], oldest first; an entry counts while now < ts + window.
function slidingLog(spec: LimitSpec, st: readonly number[] | undefined, now: number, action: StoreAction, amount: number, out: number[], o: number): number[] | undefined {
  const limit = spec.p1;
  const size = spec.p2;
  let t = now;
  const log: number[] = [];
  let used = 0;
  if (st !== undefined && st.length >= 2) {
    const newest = st[st.length - 2]!;
    if (newest > t) t = newest;
    for (let i = 0; i + 1 < st.length; i += 2) {
      if (st[i]! + size > t) {
        log.push(st[i]!, st[i + 1]!);
        used += st[i + 1]!;
      }
    }
  }
  let ok = true;
  let write = false;
  let after = used;
  if (action === StoreAction.Consume || action === StoreAction.Peek) {
    ok = used + amount <= limit;
    if (ok && action === StoreAction.Consume) {
      append(log, t, amount);
      after = used + amount;
      write = true;
    }
  } else if (action === StoreAction.Penalty) {
    append(log, t, amount);
    after = used + amount;
    write = true;
  } else if (action === StoreAction.Reward) {
    let left = amount;
    while (left > 0 && log.length > 0) {
      const last = log[log.length - 1]!;
      if (last > left) {
        log[log.length - 1] = last - left;
        left = 0;
      } else {
        left -= last;
        log.length -= 2;
      }
    }
    after = Math.max(0, used - amount);
    write = true;
  }
  let retryAfter = 0;
  if (!ok) {
    let freed = 0;
    for (let i = 0; i + 1 < log.length; i += 2) {
      freed += log[i + 1]!;
      if (used - freed + amount <= limit) {
        retryAfter = log[i]! + size - now;
        break;
      }
    }
  }
  const resetAt = log.length > 0 ? log[log.length - 2]! + size : t;
  put(out, o, ok, Math.max(limit - after , 0), resetAt, retryAfter, 0, resetAt - now);
  return write ? log : undefined;
}

function append(log: number[], t: number, amount: number): void {
  if (log.length > 0 && log[log.length - 2] === t) log[log.length - 1] = log[log.length - 1]! + amount;
  else log.push(t, amount);
}

// Sliding-window counter: [windowStart, previous, current]; the previous window counts with the
// weight of its part still inside the sliding window. Everything is scaled by the window size W.
function slidingCounter(spec: LimitSpec, st: readonly number[] | undefined, now: number, action: StoreAction, amount: number, out: number[], o: number, scratch: StateScratch | undefined): number[] | undefined {
  const limit = spec.p1;
  const size = spec.p2;
  let t = now;
  if (st !== undefined && st.length >= 3 && st[0]! > t) t = st[0]!;
  const w = Math.floor(t / size) * size;
  let prev = 0;
  let curr = 0;
  if (st !== undefined && st.length >= 3) {
    if (st[0] === w) {
      prev = st[1]!;
      curr = st[2]!;
    } else if (st[0] === w - size) {
      prev = st[2]!;
    }
  }
  const e = t - w;
  const used = prev * (size - e) + curr * size;
  let ok = true;
  let write = false;
  let currAfter = curr;
  if (action === StoreAction.Consume || action === StoreAction.Peek) {
    ok = used + amount * size <= limit * size;
    if (ok && action === StoreAction.Consume) {
      currAfter = curr + amount;
      write = true;
    }
  } else if (action === StoreAction.Penalty) {
    currAfter = curr + amount;
    write = true;
  } else if (action === StoreAction.Reward) {
    currAfter = Math.max(0, curr - amount);
    write = true;
  }
  const usedAfter = used + (currAfter - curr) * size;
  const remaining = limit * size - usedAfter > 0 ? Math.floor((limit * size - usedAfter) / size) : 0;
  const resetAt = currAfter > 0 ? w + 2 * size : prev > 0 ? w + size : t;
  let retryAfter = 0;
  if (!ok) {
    let at = -1;
    if (curr + amount <= limit && prev > 0) {
      const e2 = size - Math.floor(((limit - curr - amount) * size) / prev);
      if (e2 < size) at = w + e2;
    }
    if (at < 0) {
      let e2 = 0;
      if (curr > 0) e2 = Math.max(0, size - Math.floor(((limit - amount) * size) / curr));
      at = w + size + e2;
    }
    retryAfter = at - now;
  }
  put(out, o, ok, remaining, resetAt, retryAfter, 0, w + 2 * size - now);
  if (!write) return undefined;
  if (scratch === undefined) return [w, prev, currAfter];
  const next = scratch.three;
  next[0] = w;
  next[1] = prev;
  next[2] = currAfter;
  return next;
}

// Concurrency: leases [expiresAt, cost, id, ...]; a lease not released by expiresAt is dropped.
function concurrency(spec: LimitSpec, st: readonly number[] | undefined, now: number, action: StoreAction, amount: number, arg: number, out: number[], o: number): number[] | undefined {
  const limit = spec.p1;
  const leaseMs = spec.p2;
  const leases: number[] = [];
  let used = 0;
  if (st !== undefined) {
    for (let i = 0; i + 2 < st.length; i += 3) {
      if (st[i]! > now) {
        leases.push(st[i]!, st[i + 1]!, st[i + 2]!);
        used += st[i + 1]!;
      }
    }
  }
  let ok = true;
  let write = false;
  let after = used;
  if (action === StoreAction.Consume || action === StoreAction.Peek) {
    ok = used + amount <= limit;
    if (ok && action === StoreAction.Consume) {
      leases.push(now + leaseMs, amount, arg);
      after = used + amount;
      write = true;
    }
  } else if (action === StoreAction.Release || action === StoreAction.Extend) {
    ok = false;
    for (let i = 0; i + 2 < leases.length; i += 3) {
      if (leases[i + 2] === arg) {
        ok = true;
        write = true;
        if (action === StoreAction.Release) {
          after = used - leases[i + 1]!;
          leases.splice(i, 3);
        } else {
          leases[i] = now + leaseMs;
        }
        break;
      }
    }
  }
  let resetAt = now;
  for (let i = 0; i + 2 < leases.length; i += 3) if (leases[i]! > resetAt) resetAt = leases[i]!;
  let retryAfter = 0;
  if (!ok && (action === StoreAction.Consume || action === StoreAction.Peek)) {
    const expiries: number[] = [];
    for (let i = 0; i + 2 < leases.length; i += 3) expiries.push(i);
    expiries.sort((a, b) => leases[a]! - leases[b]!);
    let freed = 0;
    for (const i of expiries) {
      freed += leases[i + 1]!;
      if (used - freed + amount <= limit) {
        retryAfter = leases[i]! - now;
        break;
      }
    }
  }
  put(out, o, ok, Math.max(limit - after , 0), resetAt, retryAfter, 0, resetAt - now);
  return write ? leases : undefined;
}
