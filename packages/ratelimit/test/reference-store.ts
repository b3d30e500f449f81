import { evaluate } from '../src/algorithms.js';
import { type LimitSpec, RESULT_STRIDE, StoreAction } from '../src/index.js';

/**
 * The reference every store is held to: `algorithms.ts`'s `evaluate`, unoptimised (no scratch
 * arrays, no fused arithmetic), plus the store-level rules the `Store` contract states — a block
 * refuses consume and peek until it ends and leaves the algorithm state alone, a reset forgets
 * state and block, and (with `expires`) a key is forgotten once read at or after its expiry: the
 * ttl of its last written state, or the end of its block, whichever is later. While time only
 * moves forward, expiry must be invisible (a state at its ttl decides like a fresh one); only a
 * wall clock stepping back can tell a store that expires keys from one that does not.
 * One key, one limit: what the differential test compares.
 */
export class ReferenceKey {
  #state: number[] | undefined;
  #blockedUntil = 0;
  #expiresAt = Number.POSITIVE_INFINITY;

  constructor(
    readonly spec: LimitSpec,
    readonly expires: boolean,
  ) {}

  #forget(): void {
    this.#state = undefined;
    this.#blockedUntil = 0;
    this.#expiresAt = Number.POSITIVE_INFINITY;
  }

  /** The decision array (`RESULT_STRIDE` numbers, then `now`), as a store's `apply` returns it. */
  apply(action: StoreAction, amount: number, now: number, arg = 0): number[] {
    const out = new Array<number>(RESULT_STRIDE + 1).fill(0);
    out[RESULT_STRIDE] = now;
    if (action === StoreAction.Reset) {
      this.#forget();
      out[0] = 1;
      return out;
    }
    if (this.expires && this.#expiresAt <= now) this.#forget();
    if (this.#blockedUntil > now && (action === StoreAction.Consume || action === StoreAction.Peek)) {
      const wait = this.#blockedUntil - now;
      out.splice(0, RESULT_STRIDE, 0, 0, this.#blockedUntil, wait, 0, wait);
      return out;
    }
    if (action === StoreAction.Block) {
      evaluate(this.spec, this.#state, now, StoreAction.Peek, 1, arg, out, 0);
      this.#blockedUntil = Math.max(now + amount, this.#blockedUntil);
      this.#expiresAt = Math.max(this.#state === undefined ? 0 : this.#expiresAt, this.#blockedUntil, now + 1);
      out[0] = 0;
      out[1] = 0;
      out[2] = this.#blockedUntil;
      out[3] = this.#blockedUntil - now;
      return out;
    }
    const next = evaluate(this.spec, this.#state, now, action, amount, arg, out, 0);
    if (next === undefined) return out;
    const blocked = this.#blockedUntil > now ? this.#blockedUntil : 0;
    if (next.length === 0) {
      this.#state = undefined;
      if (blocked === 0) this.#forget();
      else this.#expiresAt = Math.max(blocked, now + 1);
      return out;
    }
    this.#state = next;
    this.#expiresAt = Math.max(now + Math.max(out[5]!, 1), blocked);
    return out;
  }
}
