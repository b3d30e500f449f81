import { assertOptionalClock, assertOptionalObject, type Clock, ClosedError, InvalidArgumentError, systemClock } from '@lattice/core';
import { AlgorithmId, evaluate, type LimitSpec, RESULT_STRIDE, type StateScratch, StoreAction } from './algorithms.js';
import type { RateLimitResult } from './limiter.js';
import type { SyncStore } from './store.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Source of time (ms, floored). Default `systemClock`. */
  clock?: Clock;
  /**
   * Most keys held at once, over all limiters sharing the store (each limit of each user key is
   * one key). When a new key would exceed it, the store first drops expired keys, then the oldest
   * key of the same limiter (insertion order), counting it in `stats.evictions`: an evicted key
   * starts afresh, so keep the bound above your number of active keys. Default 1,000,000.
   */
  maxKeys?: number;
}

interface Entry {
  /** Owned by the entry: fixed-size states are updated in place. */
  state: number[] | undefined;
  blockedUntil: number;
  expiresAt: number;
}

interface Namespace {
  readonly map: Map<string, Entry>;
  sweep: Iterator<[string, Entry]> | undefined;
}

/** Counters of a {@link MemoryStore}. */
export interface MemoryStoreStats {
  /** Keys held now (expired ones not yet swept included). */
  keys: number;
  /** Keys dropped because they expired. */
  expired: number;
  /** Live keys dropped because `maxKeys` was reached. */
  evictions: number;
}

/** The clock of a closed store: reading it is using the store after `close()`. */
const CLOSED_CLOCK: Clock = Object.freeze({
  now(): number {
    throw new ClosedError('The MemoryStore is closed');
  },
  monotonic(): number {
    throw new ClosedError('The MemoryStore is closed');
  },
});

/**
 * The in-process store: runs the algorithms in JavaScript on `Map`s (one per limiter name).
 * Decisions are synchronous and atomic (JavaScript is single-threaded). Runs anywhere.
 *
 * Memory is bounded: every key carries a TTL (the time after which its state equals a fresh
 * one) and is dropped when read after it, or by an incremental sweep of up to 8 keys per new key;
 * at most `maxKeys` keys are held.
 *
 * @example
 * ```ts
 * const store = new MemoryStore({ maxKeys: 100_000 });
 * const limiter = new TokenBucket({ store, capacity: 10, refillRate: 5 });
 * await limiter.consume('user:1');
 * ```
 */
export class MemoryStore implements SyncStore {
  readonly kind = 'memory';
  #clock: Clock;
  readonly #maxKeys: number;
  readonly #namespaces = new Map<string, Namespace>();
  #size = 0;
  #expired = 0;
  #evictions = 0;
  readonly #pending: (number[] | undefined)[] = [];
  readonly #scratch: StateScratch = { two: [0, 0], three: [0, 0, 0] };
  /** The namespace of the last limit seen: most calls repeat it, and a pointer test beats a lookup. */
  #lastSpec: LimitSpec | undefined;
  #lastNamespace: Namespace | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    assertOptionalObject(options, 'MemoryStore options');
    assertOptionalClock(options.clock, 'options.clock');
    this.#clock = options.clock ?? systemClock;
    const maxKeys = options.maxKeys ?? 1_000_000;
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) throw new InvalidArgumentError(`maxKeys must be a positive integer, got ${maxKeys}`);
    this.#maxKeys = maxKeys;
  }

  /** Counters: keys held, expired and evicted. */
  get stats(): MemoryStoreStats {
    return { keys: this.#size, expired: this.#expired, evictions: this.#evictions };
  }

  apply(action: StoreAction, key: string, specs: readonly LimitSpec[], amount: number, arg: number): number[] {
    const out = new Array<number>(specs.length * RESULT_STRIDE + 1);
    this.applySync(action, key, specs, amount, arg, out);
    return out;
  }

  applySync(action: StoreAction, key: string, specs: readonly LimitSpec[], amount: number, arg: number, out: number[]): void {
    const now = Math.floor(this.#clock.now());
    out[specs.length * RESULT_STRIDE] = now;
    if (specs.length === 1) {
      this.#applyOne(action, key, specs[0]!, amount, arg, now, out);
      return;
    }
    // Several limits: evaluate all, then commit all or (for a refused consume) none.
    const pending = this.#pending;
    pending.length = specs.length;
    let allowed = true;
    for (let i = 0; i < specs.length; i++) {
      const namespace = this.#namespace(specs[i]!.name);
      if (action === StoreAction.Reset) {
        this.#delete(namespace, key);
        out.fill(0, i * RESULT_STRIDE, (i + 1) * RESULT_STRIDE);
        out[i * RESULT_STRIDE] = 1;
        pending[i] = undefined;
        continue;
      }
      const entry = this.#live(namespace, key, now);
      pending[i] = this.#decide(entry, specs[i]!, action, amount, arg, now, out, i * RESULT_STRIDE);
      if (out[i * RESULT_STRIDE] !== 1) allowed = false;
    }
    if (action === StoreAction.Consume && !allowed) {
      for (let i = 0; i < specs.length; i++) {
        if (out[i * RESULT_STRIDE] !== 1) continue;
        const entry = this.#namespace(specs[i]!.name).map.get(key);
        this.#decide(entry, specs[i]!, StoreAction.Peek, amount, arg, now, out, i * RESULT_STRIDE);
      }
    } else if (action !== StoreAction.Reset) {
      for (let i = 0; i < specs.length; i++) {
        const state = pending[i];
        if (state !== undefined || action === StoreAction.Block) {
          const namespace = this.#namespace(specs[i]!.name);
          this.#write(namespace, key, namespace.map.get(key), state, action, amount, now, out[i * RESULT_STRIDE + 5]!);
        }
      }
    }
    pending.length = 0;
  }

  /**
   * The fused fast path ({@link SyncStore.decideOne}) of a limiter's `consume` (`take`) or `peek`
   * on one limit of a token bucket, leaky bucket (meter or queue), GCRA, fixed window or
   * sliding-window counter: the same arithmetic as `algorithms.ts` (held to it by the
   * differential test), on the key's entry in place, returning the result directly. Returns
   * undefined (having changed nothing but dropping an expired key) when the general path must
   * decide: another algorithm, or a blocked key.
   */
  decideOne(spec: LimitSpec, take: boolean, key: string, amount: number, limit: number): RateLimitResult | undefined {
    const algorithm = spec.algorithm;
    if (algorithm === AlgorithmId.SlidingWindowLog || algorithm === AlgorithmId.Concurrency) return undefined;
    const now = Math.floor(this.#clock.now());
    let namespace = this.#lastNamespace;
    if (spec !== this.#lastSpec || namespace === undefined) {
      namespace = this.#namespace(spec.name);
      this.#lastSpec = spec;
      this.#lastNamespace = namespace;
    }
    const map = namespace.map;
    let entry = map.get(key);
    if (entry !== undefined) {
      if (entry.expiresAt <= now) {
        map.delete(key);
        this.#size--;
        this.#expired++;
        entry = undefined;
      } else if (entry.blockedUntil > now) {
        return undefined;
      }
    }
    const st = entry === undefined ? undefined : entry.state;
    const has = st !== undefined && st.length >= (algorithm === AlgorithmId.SlidingWindowCounter ? 3 : 2);
    let ok: boolean;
    let remaining: number;
    let resetAt: number;
    let retryAfter = 0;
    let delay = 0;
    let ttl: number;
    let next0 = 0;
    let next1 = 0;
    let next2 = -1;
    if (algorithm === AlgorithmId.FixedWindow) {
      const size = spec.p2;
      let w = Math.floor(now / size) * size;
      let count = 0;
      if (has) {
        if (st[0]! > w) w = st[0]!;
        if (st[0] === w) count = st[1]!;
      }
      ok = count + amount <= spec.p1;
      const after = ok && take ? count + amount : count;
      resetAt = w + size;
      remaining = spec.p1 - after > 0 ? spec.p1 - after : 0;
      if (!ok) retryAfter = resetAt - now;
      ttl = resetAt - now;
      next0 = w;
      next1 = after;
    } else if (algorithm === AlgorithmId.TokenBucket) {
      const unit = spec.p3;
      const full = spec.p1 * unit;
      const rate = spec.p2;
      let s = full;
      let last = now;
      if (has) {
        s = st[0]!;
        last = st[1]!;
      }
      const t = now > last ? now : last;
      s = Math.min(full, s + (t - last) * rate);
      const need = amount * unit;
      ok = s >= need;
      const after = ok && take ? s - need : s;
      remaining = after > 0 ? Math.floor(after / unit) : 0;
      resetAt = t + Math.ceil((full - after) / rate);
      if (!ok) retryAfter = t - now + Math.ceil((need - s) / rate);
      ttl = resetAt - now;
      next0 = after;
      next1 = t;
    } else if (algorithm === AlgorithmId.LeakyBucket) {
      const unit = spec.p3;
      const full = spec.p1 * unit;
      const rate = spec.p2;
      let level = 0;
      let last = now;
      if (has) {
        level = st[0]!;
        last = st[1]!;
      }
      const t = now > last ? now : last;
      level = Math.max(0, level - (t - last) * rate);
      const need = amount * unit;
      ok = level + need <= full;
      const after = ok && take ? level + need : level;
      remaining = full - after > 0 ? Math.floor((full - after) / unit) : 0;
      resetAt = t + Math.ceil(after / rate);
      if (!ok) retryAfter = t - now + Math.ceil((level + need - full) / rate);
      ttl = resetAt - now;
      next0 = after;
      next1 = t;
    } else if (algorithm !== AlgorithmId.SlidingWindowCounter) {
      // GCRA and the shaping queue.
      const unit = spec.p3;
      const burst = spec.p1 * unit;
      const rate = spec.p2;
      let d = 0;
      if (has) {
        d = (st[0]! - now) * rate + st[1]!;
        if (d < 0) d = 0;
      }
      const need = amount * unit;
      ok = d + need <= burst;
      const after = ok && take ? d + need : d;
      if (ok && take && algorithm === AlgorithmId.LeakyBucketQueue) delay = Math.ceil(d / rate);
      remaining = burst - after > 0 ? Math.floor((burst - after) / unit) : 0;
      const ahead = Math.ceil(after / rate);
      if (!ok) retryAfter = Math.ceil((d + need - burst) / rate);
      resetAt = now + ahead;
      ttl = ahead;
      const whole = Math.floor(after / rate);
      next0 = now + whole;
      next1 = after - whole * rate;
    } else {
      const limit = spec.p1;
      const size = spec.p2;
      let t = now;
      if (has && st[0]! > t) t = st[0]!;
      const w = Math.floor(t / size) * size;
      let prev = 0;
      let curr = 0;
      if (has) {
        if (st[0] === w) {
          prev = st[1]!;
          curr = st[2]!;
        } else if (st[0] === w - size) {
          prev = st[2]!;
        }
      }
      const used = prev * (size - (t - w)) + curr * size;
      ok = used + amount * size <= limit * size;
      const currAfter = ok && take ? curr + amount : curr;
      const usedAfter = used + (currAfter - curr) * size;
      remaining = limit * size - usedAfter > 0 ? Math.floor((limit * size - usedAfter) / size) : 0;
      resetAt = currAfter > 0 ? w + 2 * size : prev > 0 ? w + size : t;
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
      ttl = w + 2 * size - now;
      next0 = w;
      next1 = prev;
      next2 = currAfter;
    }
    if (ttl < 1) ttl = 1;
    if (ok && take) {
      const three = next2 >= 0;
      if (entry !== undefined) {
        if (st !== undefined && st.length === (three ? 3 : 2)) {
          st[0] = next0;
          st[1] = next1;
          if (three) st[2] = next2;
        } else {
          entry.state = three ? [next0, next1, next2] : [next0, next1];
        }
        entry.expiresAt = now + ttl;
      } else {
        this.#makeRoom(namespace, now);
        map.set(key, { state: three ? [next0, next1, next2] : [next0, next1], blockedUntil: 0, expiresAt: now + ttl });
        this.#size++;
      }
    }
    return { allowed: ok, remaining, resetAt, resetAfter: resetAt > now ? resetAt - now : 0, retryAfter, delay, limit };
  }

  #applyOne(action: StoreAction, key: string, spec: LimitSpec, amount: number, arg: number, now: number, out: number[]): void {
    let namespace = this.#lastNamespace;
    if (spec !== this.#lastSpec || namespace === undefined) {
      namespace = this.#namespace(spec.name);
      this.#lastSpec = spec;
      this.#lastNamespace = namespace;
    }
    if (action === StoreAction.Reset) {
      this.#delete(namespace, key);
      out.fill(0, 0, RESULT_STRIDE);
      out[0] = 1;
      return;
    }
    const entry = this.#live(namespace, key, now);
    let state: number[] | undefined;
    if (action === StoreAction.Block || (entry !== undefined && entry.blockedUntil > now)) state = this.#decide(entry, spec, action, amount, arg, now, out, 0);
    else state = evaluate(spec, entry?.state, now, action, amount, arg, out, 0, this.#scratch);
    if (state !== undefined || action === StoreAction.Block) this.#write(namespace, key, entry, state, action, amount, now, out[5]!);
  }

  #namespace(name: string): Namespace {
    let namespace = this.#namespaces.get(name);
    if (namespace === undefined) {
      namespace = { map: new Map(), sweep: undefined };
      this.#namespaces.set(name, namespace);
    }
    return namespace;
  }

  #delete(namespace: Namespace, key: string): void {
    if (namespace.map.delete(key)) this.#size--;
  }

  #live(namespace: Namespace, key: string, now: number): Entry | undefined {
    const entry = namespace.map.get(key);
    if (entry !== undefined && entry.expiresAt <= now) {
      namespace.map.delete(key);
      this.#size--;
      this.#expired++;
      return undefined;
    }
    return entry;
  }

  #decide(entry: Entry | undefined, spec: LimitSpec, action: StoreAction, amount: number, arg: number, now: number, out: number[], o: number): number[] | undefined {
    if (entry !== undefined && entry.blockedUntil > now && (action === StoreAction.Consume || action === StoreAction.Peek)) {
      // A blocked key refuses everything until the block ends; its algorithm state is untouched.
      const wait = entry.blockedUntil - now;
      out[o] = 0;
      out[o + 1] = 0;
      out[o + 2] = entry.blockedUntil;
      out[o + 3] = wait;
      out[o + 4] = 0;
      out[o + 5] = wait;
      return undefined;
    }
    if (action === StoreAction.Block) {
      // Report the state as a peek of one unit; the store writes the block itself.
      evaluate(spec, entry?.state, now, StoreAction.Peek, 1, arg, out, o);
      out[o] = 0;
      out[o + 1] = 0;
      out[o + 2] = Math.max(now + amount, entry?.blockedUntil ?? 0);
      out[o + 3] = out[o + 2]! - now;
      return undefined;
    }
    return evaluate(spec, entry?.state, now, action, amount, arg, out, o);
  }

  #write(namespace: Namespace, key: string, current: Entry | undefined, state: number[] | undefined, action: StoreAction, amount: number, now: number, ttl: number): void {
    if (current !== undefined && state !== undefined && state.length > 0 && action !== StoreAction.Block && current.expiresAt > now && current.blockedUntil <= now) {
      // The common write: a live, unblocked key takes its next state (ttl is at least 1).
      const own = current.state;
      if ((state === this.#scratch.two || state === this.#scratch.three) && own !== undefined && own.length === state.length) {
        for (let i = 0; i < state.length; i++) own[i] = state[i]!;
      } else {
        current.state = state === this.#scratch.two || state === this.#scratch.three ? state.slice() : state;
      }
      current.expiresAt = now + ttl;
      return;
    }
    const entry = current !== undefined && current.expiresAt > now ? current : undefined;
    const block = action === StoreAction.Block;
    const blockedUntil = block ? Math.max(now + amount, entry?.blockedUntil ?? 0) : (entry?.blockedUntil ?? 0);
    const nextState = block ? entry?.state : state;
    const stateTtl = block ? (entry === undefined || entry.state === undefined ? 0 : entry.expiresAt - now) : ttl;
    const empty = nextState === undefined || nextState.length === 0;
    if (empty && blockedUntil <= now) {
      this.#delete(namespace, key);
      return;
    }
    const expiresAt = now + Math.max(empty ? 0 : stateTtl, blockedUntil - now, 1);
    let kept = empty ? undefined : nextState;
    if (kept !== undefined && (kept === this.#scratch.two || kept === this.#scratch.three)) {
      // A fixed-size state returned in the scratch array: copy it into the entry's own array.
      const own = entry?.state;
      if (own !== undefined && own.length === kept.length) {
        for (let i = 0; i < kept.length; i++) own[i] = kept[i]!;
        kept = own;
      } else {
        kept = kept.slice();
      }
    }
    if (entry !== undefined) {
      entry.state = kept;
      entry.blockedUntil = blockedUntil;
      entry.expiresAt = expiresAt;
      return;
    }
    this.#makeRoom(namespace, now);
    namespace.map.set(key, { state: kept, blockedUntil, expiresAt });
    this.#size++;
  }

  #makeRoom(namespace: Namespace, now: number): void {
    // Incremental sweep: look at a few keys, resuming where the last sweep stopped.
    const map = namespace.map;
    for (let i = 0; i < 8 && map.size > 0; i++) {
      let next = namespace.sweep?.next();
      if (next === undefined || next.done) {
        namespace.sweep = map.entries();
        next = namespace.sweep.next();
        if (next.done) break;
      }
      const [id, entry] = next.value;
      if (entry.expiresAt <= now) {
        map.delete(id);
        this.#size--;
        this.#expired++;
      }
    }
    while (this.#size >= this.#maxKeys) {
      let victim = map.size > 0 ? namespace : undefined;
      if (victim === undefined) for (const other of this.#namespaces.values()) if (other.map.size > 0) victim = other;
      if (victim === undefined) break;
      const oldest = victim.map.keys().next();
      if (oldest.done) break;
      victim.map.delete(oldest.value);
      this.#size--;
      this.#evictions++;
    }
  }

  /** Drops every key. */
  clear(): void {
    this.#namespaces.clear();
    this.#lastSpec = undefined;
    this.#lastNamespace = undefined;
    this.#size = 0;
  }

  /** Drops every key; later decisions throw `ClosedError` (they would silently start from full limits). */
  async close(): Promise<void> {
    this.clear();
    // Every decision reads the clock before it changes anything, so a clock that refuses
    // refuses every later decision without a check on the decision path.
    this.#clock = CLOSED_CLOCK;
  }
}
