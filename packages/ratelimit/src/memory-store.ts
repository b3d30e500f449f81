import { type Clock, InvalidArgumentError, systemClock } from '@lattice/core';
import { evaluate, type LimitSpec, RESULT_STRIDE, StoreAction } from './algorithms.js';
import type { Store } from './store.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Source of time (ms, floored). Default `systemClock`. */
  clock?: Clock;
  /**
   * Most keys held at once (each limit of each user key is one key). When a new key would exceed
   * it, the store first drops expired keys, then the key created longest ago, counting it in
   * `stats.evictions`: an evicted key starts afresh, so keep the bound above your active key count.
   * Default 1,000,000.
   */
  maxKeys?: number;
}

interface Entry {
  state: readonly number[] | undefined;
  blockedUntil: number;
  expiresAt: number;
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

/**
 * The in-process store: runs the algorithms in JavaScript on a `Map`. Decisions are synchronous
 * and atomic (JavaScript is single-threaded). Runs anywhere.
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
export class MemoryStore implements Store {
  readonly kind = 'memory';
  readonly #clock: Clock;
  readonly #maxKeys: number;
  readonly #map = new Map<string, Entry>();
  #sweep: Iterator<[string, Entry]> | undefined;
  #expired = 0;
  #evictions = 0;
  readonly #pending: (number[] | undefined)[] = [];

  constructor(options: MemoryStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    const maxKeys = options.maxKeys ?? 1_000_000;
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) throw new InvalidArgumentError(`maxKeys must be a positive integer, got ${maxKeys}`);
    this.#maxKeys = maxKeys;
  }

  /** Counters: keys held, expired and evicted. */
  get stats(): MemoryStoreStats {
    return { keys: this.#map.size, expired: this.#expired, evictions: this.#evictions };
  }

  apply(action: StoreAction, key: string, specs: readonly LimitSpec[], amount: number, arg: number): number[] {
    const now = Math.floor(this.#clock.now());
    const out = new Array<number>(specs.length * RESULT_STRIDE + 1);
    out[specs.length * RESULT_STRIDE] = now;
    if (specs.length === 1) {
      this.#applyOne(action, key, specs[0]!, amount, arg, now, out);
      return out;
    }
    // Several limits: evaluate all, then commit all or (for a refused consume) none.
    const pending = this.#pending;
    pending.length = specs.length;
    let allowed = true;
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!;
      const id = spec.name + '\u0000' + key;
      if (action === StoreAction.Reset) {
        this.#map.delete(id);
        out.fill(0, i * RESULT_STRIDE, (i + 1) * RESULT_STRIDE);
        out[i * RESULT_STRIDE] = 1;
        pending[i] = undefined;
        continue;
      }
      const entry = this.#live(id, now);
      pending[i] = this.#decide(entry, spec, action, amount, arg, now, out, i * RESULT_STRIDE);
      if (out[i * RESULT_STRIDE] !== 1) allowed = false;
    }
    if (action === StoreAction.Consume && !allowed) {
      for (let i = 0; i < specs.length; i++) {
        if (out[i * RESULT_STRIDE] !== 1) continue;
        const spec = specs[i]!;
        const entry = this.#map.get(spec.name + '\u0000' + key);
        this.#decide(entry, spec, StoreAction.Peek, amount, arg, now, out, i * RESULT_STRIDE);
      }
    } else {
      for (let i = 0; i < specs.length; i++) {
        const state = pending[i];
        if (state !== undefined || action === StoreAction.Block) this.#write(specs[i]!.name + '\u0000' + key, state, action, amount, now, out[i * RESULT_STRIDE + 5]!);
      }
    }
    pending.length = 0;
    return out;
  }

  #applyOne(action: StoreAction, key: string, spec: LimitSpec, amount: number, arg: number, now: number, out: number[]): void {
    const id = spec.name + '\u0000' + key;
    if (action === StoreAction.Reset) {
      this.#map.delete(id);
      out.fill(0, 0, RESULT_STRIDE);
      out[0] = 1;
      return;
    }
    const entry = this.#live(id, now);
    const state = this.#decide(entry, spec, action, amount, arg, now, out, 0);
    if (state !== undefined || action === StoreAction.Block) this.#write(id, state, action, amount, now, out[5]!, entry);
  }

  #live(id: string, now: number): Entry | undefined {
    const entry = this.#map.get(id);
    if (entry !== undefined && entry.expiresAt <= now) {
      this.#map.delete(id);
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

  #write(id: string, state: number[] | undefined, action: StoreAction, amount: number, now: number, ttl: number, known?: Entry): void {
    let entry = known ?? this.#map.get(id);
    if (entry !== undefined && entry.expiresAt <= now) entry = undefined;
    const blockedUntil = action === StoreAction.Block ? Math.max(now + amount, entry?.blockedUntil ?? 0) : (entry?.blockedUntil ?? 0);
    const nextState = action === StoreAction.Block ? entry?.state : state;
    const stateTtl = action === StoreAction.Block ? (entry === undefined || entry.state === undefined ? 0 : entry.expiresAt - now) : ttl;
    const empty = nextState === undefined || nextState.length === 0;
    if (empty && blockedUntil <= now) {
      this.#map.delete(id);
      return;
    }
    const expiresAt = now + Math.max(empty ? 0 : stateTtl, blockedUntil - now, 1);
    if (entry !== undefined && this.#map.get(id) === entry) {
      entry.state = empty ? undefined : nextState;
      entry.blockedUntil = blockedUntil;
      entry.expiresAt = expiresAt;
      return;
    }
    this.#makeRoom(now);
    this.#map.set(id, { state: empty ? undefined : nextState, blockedUntil, expiresAt });
  }

  #makeRoom(now: number): void {
    // Incremental sweep: look at a few keys, resuming where the last sweep stopped.
    const map = this.#map;
    for (let i = 0; i < 8 && map.size > 0; i++) {
      let next = this.#sweep?.next();
      if (next === undefined || next.done) {
        this.#sweep = map.entries();
        next = this.#sweep.next();
        if (next.done) break;
      }
      const [id, entry] = next.value;
      if (entry.expiresAt <= now) {
        map.delete(id);
        this.#expired++;
      }
    }
    while (map.size >= this.#maxKeys) {
      const oldest = map.keys().next();
      if (oldest.done) break;
      map.delete(oldest.value);
      this.#evictions++;
    }
  }

  /** Drops every key. */
  clear(): void {
    this.#map.clear();
    this.#sweep = undefined;
  }

  async close(): Promise<void> {
    this.clear();
  }
}
