/**
 * The client of the Raft lock service. It tries the lock nodes in turn until one answers
 * (a follower forwards to the leader; a node without a leader says so at once), and keeps its
 * own, conservative view of its lease: from when it *sent* the acquire, by its own monotonic
 * clock, minus a margin for drift. That view is only advice — a paused process outlives it
 * without noticing — which is why every write to the guarded resource carries the token.
 */
import type { Clock, NodeId } from '@lattice/core';
import type { AppliedLockOutcome, LockView } from './lock-state-machine.js';
import type { Rpc } from './rpc.js';

/** A lock this client holds: `token` fences its writes; `validUntil` is its own-clock (monotonic) estimate of the lease. */
export interface HeldLock {
  readonly kind: 'held';
  readonly lock: string;
  readonly token: number;
  /** The lease's end in agreed log time. */
  readonly expiresAt: number;
  /** The lease's end by this client's monotonic clock, with the drift margin taken off. */
  readonly validUntil: number;
}

/** Someone else holds the lock. */
export interface RefusedLock {
  readonly kind: 'refused';
  readonly lock: string;
  readonly holder: string;
  readonly token: number;
}

/** Options of {@link FencedLockClient}. */
export interface FencedLockClientOptions {
  /** The lock nodes. */
  readonly servers: readonly NodeId[];
  /** This client's clock (its monotonic time measures its leases). */
  readonly clock: Clock;
  /** How long one attempt waits for an answer. Default 250 ms. */
  readonly attemptTimeoutMs?: number;
  /** Pause between attempts. Default 40 ms. */
  readonly retryMs?: number;
  /** Fraction of the lease kept back for clock drift. Default 0.01 (plus 2 ms). */
  readonly driftFactor?: number;
}

/** A client of the lock service. */
export class FencedLockClient {
  readonly #rpc: Rpc;
  readonly #options: FencedLockClientOptions;
  #next = 0;

  constructor(rpc: Rpc, options: FencedLockClientOptions) {
    this.#rpc = rpc;
    this.#options = options;
  }

  /** Acquires `lock` for `leaseMs`; undefined when no lock node answered within `withinMs`. */
  async acquire(lock: string, leaseMs: number, withinMs: number): Promise<HeldLock | RefusedLock | undefined> {
    const sent = this.#options.clock.monotonic();
    return this.#attempt(withinMs, { t: 'acquire', lock, leaseMs }, (outcome) => {
      if (outcome.type === 'granted' || outcome.type === 'renewed') return this.#held(outcome, sent, leaseMs);
      if (outcome.type === 'refused') return { kind: 'refused', lock, holder: outcome.holder, token: outcome.token };
      return undefined;
    });
  }

  /** Extends the lease of a held lock; `stale` when the lease had already run out by log time (or was taken over). */
  async renew(held: HeldLock, leaseMs: number, withinMs: number): Promise<HeldLock | 'stale' | undefined> {
    const sent = this.#options.clock.monotonic();
    return this.#attempt(withinMs, { t: 'renew', lock: held.lock, token: held.token, leaseMs }, (outcome) =>
      outcome.type === 'renewed' ? this.#held(outcome, sent, leaseMs) : outcome.type === 'stale' ? 'stale' : undefined,
    );
  }

  /** Releases a held lock; false when it was no longer held by this token. */
  async release(held: HeldLock, withinMs: number): Promise<boolean | undefined> {
    return this.#attempt(withinMs, { t: 'release', lock: held.lock, token: held.token }, (outcome) => outcome.type === 'released');
  }

  /** A linearizable read of the lock (ReadIndex at the leader). */
  async read(lock: string, withinMs: number): Promise<LockView | undefined> {
    const deadline = this.#options.clock.monotonic() + withinMs;
    while (this.#options.clock.monotonic() < deadline) {
      const result = await this.#rpc.call(this.#server(), { t: 'read', lock }, this.#options.attemptTimeoutMs ?? 250);
      if (isView(result)) return result;
      this.#next++;
      await this.#rpc.sleep(this.#options.retryMs ?? 40);
    }
    return undefined;
  }

  #held(outcome: AppliedLockOutcome & { type: 'granted' | 'renewed' }, sent: number, leaseMs: number): HeldLock {
    const margin = leaseMs * (this.#options.driftFactor ?? 0.01) + 2;
    return { kind: 'held', lock: outcome.lock, token: outcome.token, expiresAt: outcome.expiresAt, validUntil: sent + leaseMs - margin };
  }

  async #attempt<T>(withinMs: number, request: Parameters<Rpc['call']>[1], decide: (outcome: AppliedLockOutcome) => T | undefined): Promise<T | undefined> {
    const deadline = this.#options.clock.monotonic() + withinMs;
    while (this.#options.clock.monotonic() < deadline) {
      const result = await this.#rpc.call(this.#server(), request, this.#options.attemptTimeoutMs ?? 250);
      if (isOutcome(result)) {
        const decided = decide(result);
        if (decided !== undefined) return decided;
      }
      this.#next++;
      await this.#rpc.sleep(this.#options.retryMs ?? 40);
    }
    return undefined;
  }

  /** The lock node to ask: the last one that answered, the next one after a failure (a follower forwards to the leader). */
  #server(): NodeId {
    const servers = this.#options.servers;
    return servers[this.#next % servers.length]!;
  }
}

function isOutcome(value: unknown): value is AppliedLockOutcome {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string' && typeof (value as { index?: unknown }).index === 'number';
}

function isView(value: unknown): value is LockView {
  return typeof value === 'object' && value !== null && typeof (value as { now?: unknown }).now === 'number' && 'holder' in value;
}
