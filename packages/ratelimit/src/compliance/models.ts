/**
 * Reference models: the textbook definition of each algorithm, written plainly and independently
 * of `src/algorithms.ts` (absolute arrival times, one log entry per unit, per-window maps), with
 * exact rational arithmetic in BigInt. The property tests check that both stores agree with them.
 */

export interface Decision {
  allowed: boolean;
  remaining: number;
  resetAt: number;
  retryAfter: number;
  delay: number;
}

export interface Model {
  consume(now: number, cost: number, commit: boolean): Decision;
  penalty(now: number, points: number): void;
  reward(now: number, points: number): void;
}

const big = BigInt;
const ceilDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? (a + b - 1n) / b : -(-a / b));
const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -ceilDiv(-a, b));
const num = Number;

/** Token bucket with tokens as a fraction over I: refilled R/I per ms, capped at C. */
export function tokenBucketModel(capacity: number, rate: number, interval: number): Model {
  const C = big(capacity);
  const R = big(rate);
  const I = big(interval);
  let tokensTimesI: bigint | undefined; // tokens * I
  let last = 0n;
  let clockMax = 0n;
  const sync = (now: number): bigint => {
    const t = big(now) > clockMax ? big(now) : clockMax;
    if (tokensTimesI === undefined) {
      tokensTimesI = C * I;
      last = t;
    }
    const refilled = tokensTimesI + (t - last) * R;
    tokensTimesI = refilled > C * I ? C * I : refilled;
    last = t;
    clockMax = t;
    return t;
  };
  return {
    consume(now, cost, commit) {
      const t = sync(now);
      const need = big(cost) * I;
      const ok = tokensTimesI! >= need;
      if (ok && commit) tokensTimesI! -= need;
      const after = tokensTimesI!;
      return {
        allowed: ok,
        remaining: after > 0n ? num(after / I) : 0,
        resetAt: num(t + ceilDiv(C * I - after, R)),
        retryAfter: ok ? 0 : num(t - big(now) + ceilDiv(need - after, R)),
        delay: 0,
      };
    },
    penalty(now, points) {
      sync(now);
      tokensTimesI! -= big(points) * I;
    },
    reward(now, points) {
      sync(now);
      const r = tokensTimesI! + big(points) * I;
      tokensTimesI = r > C * I ? C * I : r;
    },
  };
}

/** Leaky bucket meter: a level that drains R/I per ms and may not exceed C. */
export function leakyBucketModel(capacity: number, rate: number, interval: number): Model {
  const C = big(capacity);
  const R = big(rate);
  const I = big(interval);
  let levelTimesI = 0n;
  let last: bigint | undefined;
  const sync = (now: number): bigint => {
    let t = big(now);
    if (last !== undefined && last > t) t = last;
    if (last !== undefined) {
      const drained = levelTimesI - (t - last) * R;
      levelTimesI = drained > 0n ? drained : 0n;
    }
    last = t;
    return t;
  };
  return {
    consume(now, cost, commit) {
      const t = sync(now);
      const add = big(cost) * I;
      const ok = levelTimesI + add <= C * I;
      const before = levelTimesI;
      if (ok && commit) levelTimesI += add;
      const free = C * I - levelTimesI;
      return {
        allowed: ok,
        remaining: free > 0n ? num(free / I) : 0,
        resetAt: num(t + ceilDiv(levelTimesI, R)),
        retryAfter: ok ? 0 : num(t - big(now) + ceilDiv(before + add - C * I, R)),
        delay: 0,
      };
    },
    penalty(now, points) {
      sync(now);
      levelTimesI += big(points) * I;
    },
    reward(now, points) {
      sync(now);
      const r = levelTimesI - big(points) * I;
      levelTimesI = r > 0n ? r : 0n;
    },
  };
}

/**
 * GCRA in its classic form: an absolute theoretical arrival time TAT (kept exactly, as TAT * R);
 * emission interval T = I/R; a request of n is admitted iff max(TAT, now) + n*T - now <= B*T.
 * With `shaping`, the admitted request's delay is max(TAT, now) - now (leaky bucket as a queue).
 */
export function gcraModel(burst: number, rate: number, interval: number, shaping: boolean): Model {
  const B = big(burst);
  const R = big(rate);
  const I = big(interval);
  let tatTimesR: bigint | undefined; // TAT * R
  const start = (now: number): bigint => {
    const n = big(now) * R;
    return tatTimesR === undefined || tatTimesR < n ? n : tatTimesR;
  };
  return {
    consume(now, cost, commit) {
      const nowR = big(now) * R;
      const tat = start(now);
      const next = tat + big(cost) * I;
      const ok = next - nowR <= B * I;
      let delay = 0;
      let after = tat;
      if (ok && commit) {
        tatTimesR = next;
        after = next;
        if (shaping) delay = num(ceilDiv(tat - nowR, R));
      }
      const free = B * I - (after - nowR);
      return {
        allowed: ok,
        remaining: free > 0n ? num(free / I) : 0,
        resetAt: now + num(ceilDiv(after - nowR, R)),
        retryAfter: ok ? 0 : num(ceilDiv(next - nowR - B * I, R)),
        delay,
      };
    },
    penalty(now, points) {
      tatTimesR = start(now) + big(points) * I;
    },
    reward(now, points) {
      const n = big(now) * R;
      const r = start(now) - big(points) * I;
      tatTimesR = r > n ? r : n;
    },
  };
}

/** Fixed window: a count per window index. */
export function fixedWindowModel(limit: number, windowMs: number): Model {
  const counts = new Map<number, number>();
  let latestWindow = Number.NEGATIVE_INFINITY;
  const windowOf = (now: number): number => {
    const w = Math.max(Math.floor(now / windowMs), latestWindow);
    latestWindow = w;
    return w;
  };
  return {
    consume(now, cost, commit) {
      const w = windowOf(now);
      const count = counts.get(w) ?? 0;
      const ok = count + cost <= limit;
      if (ok && commit) counts.set(w, count + cost);
      const end = (w + 1) * windowMs;
      return { allowed: ok, remaining: Math.max(0, limit - (counts.get(w) ?? 0)), resetAt: end, retryAfter: ok ? 0 : end - now, delay: 0 };
    },
    penalty(now, points) {
      const w = windowOf(now);
      counts.set(w, (counts.get(w) ?? 0) + points);
    },
    reward(now, points) {
      const w = windowOf(now);
      counts.set(w, Math.max(0, (counts.get(w) ?? 0) - points));
    },
  };
}

/** Sliding-window log: one timestamp per admitted unit; a unit counts while now < t + window. */
export function slidingLogModel(limit: number, windowMs: number): Model {
  let units: number[] = [];
  let latest = Number.NEGATIVE_INFINITY;
  const live = (now: number): number => {
    const t = Math.max(now, latest);
    latest = t;
    units = units.filter((u) => u + windowMs > t);
    return t;
  };
  return {
    consume(now, cost, commit) {
      const t = live(now);
      const ok = units.length + cost <= limit;
      let retryAfter = 0;
      if (!ok) {
        // The (units.length + cost - limit)-th oldest unit must expire first.
        const sorted = [...units].sort((a, b) => a - b);
        retryAfter = sorted[units.length + cost - limit - 1]! + windowMs - now;
      }
      if (ok && commit) for (let i = 0; i < cost; i++) units.push(t);
      const newest = units.length > 0 ? Math.max(...units) : undefined;
      return { allowed: ok, remaining: Math.max(0, limit - units.length), resetAt: newest === undefined ? t : newest + windowMs, retryAfter, delay: 0 };
    },
    penalty(now, points) {
      const t = live(now);
      for (let i = 0; i < points; i++) units.push(t);
    },
    reward(now, points) {
      live(now);
      units.sort((a, b) => a - b);
      units.splice(Math.max(0, units.length - points), points);
    },
  };
}

/**
 * Sliding-window counter: counts per fixed window; the estimate at time t in window w is
 * count(w-1) * (W - e)/W + count(w) where e = t - start(w). Retry time found by stepping
 * forward one millisecond at a time (slow, obviously right).
 */
export function slidingCounterModel(limit: number, windowMs: number): Model {
  const counts = new Map<number, number>();
  let latest = Number.NEGATIVE_INFINITY;
  const W = big(windowMs);
  const usedTimesW = (t: number): bigint => {
    const w = Math.floor(t / windowMs);
    const e = big(t - w * windowMs);
    return big(counts.get(w - 1) ?? 0) * (W - e) + big(counts.get(w) ?? 0) * W;
  };
  const clamp = (now: number): number => {
    const t = Math.max(now, latest);
    latest = t;
    return t;
  };
  return {
    consume(now, cost, commit) {
      const t = clamp(now);
      const w = Math.floor(t / windowMs);
      const ok = usedTimesW(t) + big(cost) * W <= big(limit) * W;
      if (ok && commit) counts.set(w, (counts.get(w) ?? 0) + cost);
      const free = big(limit) * W - usedTimesW(t);
      let retryAfter = 0;
      if (!ok) {
        let t2 = t + 1;
        while (usedTimesW(t2) + big(cost) * W > big(limit) * W) t2++;
        retryAfter = t2 - now;
      }
      const curr = counts.get(w) ?? 0;
      const prev = counts.get(w - 1) ?? 0;
      const resetAt = curr > 0 ? (w + 2) * windowMs : prev > 0 ? (w + 1) * windowMs : t;
      return { allowed: ok, remaining: free > 0n ? num(floorDiv(free, W)) : 0, resetAt, retryAfter, delay: 0 };
    },
    penalty(now, points) {
      const w = Math.floor(clamp(now) / windowMs);
      counts.set(w, (counts.get(w) ?? 0) + points);
    },
    reward(now, points) {
      const w = Math.floor(clamp(now) / windowMs);
      counts.set(w, Math.max(0, (counts.get(w) ?? 0) - points));
    },
  };
}
