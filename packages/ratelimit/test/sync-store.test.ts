/**
 * The synchronous capability belongs to the `Store` contract, not to `MemoryStore`: a
 * third-party store that declares `applySync` (and optionally `decideOne`) gets `consumeSync`
 * and the fused path, and passes the compliance suite, capability checks included.
 */
import { type Clock, InvalidArgumentError, isLatticeError } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import { describe, expect, it } from 'vitest';
import { runStoreTests } from '../src/compliance/index.js';
import { evaluate, FixedWindow, type LimitSpec, MemoryStore, type RateLimitResult, RESULT_STRIDE, type Store, StoreAction, type SyncStore, TokenBucket } from '../src/index.js';

/**
 * A minimal in-process store written against the public contract only: one Map, the shared
 * `evaluate`, blocks, no expiry. Single limits only (what the suite's algorithm tests use) plus
 * all-or-nothing consume over several.
 */
class ThirdPartySyncStore implements SyncStore {
  readonly kind = 'third-party';
  readonly #state = new Map<string, { state: number[] | undefined; blockedUntil: number }>();
  constructor(readonly clock: Clock) {}

  apply(action: StoreAction, key: string, specs: readonly LimitSpec[], amount: number, arg: number): number[] {
    const out = new Array<number>(specs.length * RESULT_STRIDE + 1).fill(0);
    this.applySync(action, key, specs, amount, arg, out);
    return out;
  }

  applySync(action: StoreAction, key: string, specs: readonly LimitSpec[], amount: number, arg: number, out: number[]): void {
    const now = Math.floor(this.clock.now());
    out[specs.length * RESULT_STRIDE] = now;
    const next: (number[] | undefined)[] = [];
    let allowed = true;
    specs.forEach((spec, i) => {
      const id = `${spec.name}\u0000${key}`;
      const o = i * RESULT_STRIDE;
      if (action === StoreAction.Reset) {
        this.#state.delete(id);
        out.fill(0, o, o + RESULT_STRIDE);
        out[o] = 1;
        return;
      }
      const entry = this.#state.get(id) ?? { state: undefined, blockedUntil: 0 };
      if (entry.blockedUntil > now && (action === StoreAction.Consume || action === StoreAction.Peek)) {
        out.splice(o, RESULT_STRIDE, 0, 0, entry.blockedUntil, entry.blockedUntil - now, 0, entry.blockedUntil - now);
        allowed = false;
        return;
      }
      if (action === StoreAction.Block) {
        evaluate(spec, entry.state, now, StoreAction.Peek, 1, arg, out, o);
        entry.blockedUntil = Math.max(now + amount, entry.blockedUntil);
        out[o] = 0;
        out[o + 1] = 0;
        out[o + 2] = entry.blockedUntil;
        out[o + 3] = entry.blockedUntil - now;
        this.#state.set(id, entry);
        return;
      }
      next[i] = evaluate(spec, entry.state, now, action, amount, arg, out, o);
      if (out[o] !== 1) allowed = false;
    });
    if (action === StoreAction.Reset || action === StoreAction.Block) return;
    if (action === StoreAction.Consume && !allowed) {
      specs.forEach((spec, i) => {
        if (out[i * RESULT_STRIDE] === 1) evaluate(spec, this.#state.get(`${spec.name}\u0000${key}`)?.state, now, StoreAction.Peek, amount, arg, out, i * RESULT_STRIDE);
      });
      return;
    }
    specs.forEach((spec, i) => {
      const state = next[i];
      if (state === undefined) return;
      const id = `${spec.name}\u0000${key}`;
      const entry = this.#state.get(id) ?? { state: undefined, blockedUntil: 0 };
      entry.state = state.length === 0 ? undefined : state;
      this.#state.set(id, entry);
    });
  }

  async close(): Promise<void> {
    this.#state.clear();
  }
}

/** The same store with a fused path that counts its calls (and defers to `applySync`). */
class FusedThirdPartyStore extends ThirdPartySyncStore {
  fusedCalls = 0;
  decideOne(spec: LimitSpec, take: boolean, key: string, amount: number, limit: number): RateLimitResult | undefined {
    this.fusedCalls++;
    if (spec.algorithm !== 4) return undefined; // fuses only the fixed window; declines the rest
    const out = this.apply(take ? StoreAction.Consume : StoreAction.Peek, key, [spec], amount, 0);
    const now = out[RESULT_STRIDE]!;
    return { allowed: out[0] === 1, remaining: out[1]!, resetAt: out[2]!, resetAfter: Math.max(0, out[2]! - now), retryAfter: out[3]!, delay: out[4]!, limit };
  }
}

describe('a third-party synchronous store', () => {
  it('gets consumeSync and the fused path, like MemoryStore', () => {
    const clock = new ManualClock();
    const store = new FusedThirdPartyStore(clock);
    const limiter = new FixedWindow({ store, limit: 2, windowMs: 1000 });
    expect(limiter.consumeSync('k')).toMatchObject({ allowed: true, remaining: 1 });
    expect(limiter.consumeSync('k')).toMatchObject({ allowed: true, remaining: 0 });
    expect(limiter.consumeSync('k')).toMatchObject({ allowed: false, remaining: 0, retryAfter: 1000 });
    expect(store.fusedCalls).toBe(3);
    // A declined fused decision falls back to applySync.
    const bucket = new TokenBucket({ store, capacity: 1, refillRate: 1 });
    expect(bucket.consumeSync('k')).toMatchObject({ allowed: true, remaining: 0 });
    expect(store.fusedCalls).toBe(4);
  });

  it('an awaited consume on a synchronous store resolves without waiting on the store', async () => {
    const store = new ThirdPartySyncStore(new ManualClock());
    const limiter = new FixedWindow({ store, limit: 1, windowMs: 1000 });
    let settled = false;
    const pending = limiter.consume('k').then((r) => {
      settled = true;
      return r;
    });
    await Promise.resolve();
    expect(settled).toBe(true);
    expect((await pending).allowed).toBe(true);
  });

  it('consumeSync on a store without the capability is an InvalidArgumentError', () => {
    const memory = new MemoryStore();
    const asyncOnly: Store = { kind: 'async-only', apply: (...args) => Promise.resolve(memory.apply(...args)), close: async () => undefined };
    const limiter = new FixedWindow({ store: asyncOnly, limit: 1, windowMs: 1000 });
    let error: unknown;
    try {
      limiter.consumeSync('k');
    } catch (caught) {
      error = caught;
    }
    expect(isLatticeError(error, InvalidArgumentError.code)).toBe(true);
  });
});

let fused: FusedThirdPartyStore | undefined;
runStoreTests('a third-party SyncStore with decideOne', {
  setup: async () => {
    const clock = new ManualClock();
    fused = new FusedThirdPartyStore(clock);
    return { store: fused, clock };
  },
  teardown: async () => {
    await fused?.close();
    fused = undefined;
  },
}, { numRuns: 40 });
