/**
 * The lock service's replicated state machine: named locks with leases and fencing tokens, fed
 * the committed log in order on every node. It never reads a clock: each command carries the
 * time the leader stamped on it as it appended it ({@link stampLockCommand}), and the machine's
 * time is the largest stamp applied so far, so every replica decides each grant, renewal and
 * expiry identically, and a lease expires on time agreed through the log — never by one
 * follower's clock.
 *
 * A grant's fencing token is the log index of the entry that granted it: unique, larger than
 * every earlier grant's, and durable with the log, so it keeps increasing across leader changes
 * and restarts without a counter of its own.
 */
import { LockCommandDecodeError } from './errors.js';

/** A client's request, as proposed to the log. `req` identifies it, so the node that proposed it can answer. */
export type LockCommand =
  | { readonly op: 'acquire'; readonly lock: string; readonly client: string; readonly req: number; readonly leaseMs: number }
  | { readonly op: 'renew'; readonly lock: string; readonly client: string; readonly req: number; readonly token: number; readonly leaseMs: number }
  | { readonly op: 'release'; readonly lock: string; readonly client: string; readonly req: number; readonly token: number };

/** What applying a command decided; the same on every replica. Times are agreed log time (ms since the epoch). */
export type LockOutcome =
  /** The lock was free (or its lease had expired): `client` holds it until `expiresAt`, fenced by `token`. */
  | { readonly type: 'granted'; readonly lock: string; readonly client: string; readonly token: number; readonly expiresAt: number; readonly at: number }
  /** The holder's acquire or renew: same token, lease extended. */
  | { readonly type: 'renewed'; readonly lock: string; readonly client: string; readonly token: number; readonly expiresAt: number; readonly at: number }
  /** Someone else holds an unexpired lease. */
  | { readonly type: 'refused'; readonly lock: string; readonly client: string; readonly holder: string; readonly token: number; readonly expiresAt: number; readonly at: number }
  | { readonly type: 'released'; readonly lock: string; readonly client: string; readonly token: number; readonly at: number }
  /** A renew or release with a token that no longer holds the lock (its lease expired, or another grant replaced it). */
  | { readonly type: 'stale'; readonly lock: string; readonly client: string; readonly token: number; readonly at: number };

/** An outcome with the log index of the command that produced it. */
export type AppliedLockOutcome = LockOutcome & { readonly index: number; readonly req: number };

/** A lock as a linearizable read sees it. `holder` is null when the lock is free or its lease has expired by log time. */
export interface LockView {
  readonly lock: string;
  readonly holder: string | null;
  readonly token: number;
  readonly expiresAt: number;
  /** The agreed log time of the read: the largest stamp applied. */
  readonly now: number;
}

interface Held {
  holder: string;
  token: number;
  expiresAt: number;
}

const VERSION = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** A command as proposed: not stamped yet (`at` 0); the leader stamps it as it appends it. */
export function encodeLockCommand(command: LockCommand): Uint8Array {
  return encoder.encode(JSON.stringify({ v: VERSION, at: 0, c: command }));
}

/**
 * The command carrying the leader's stamp `at` (agreed log time). `token` is only for the
 * deliberate bug `token-from-leader-memory` of the tests; the correct machine ignores it.
 * Bytes that are not a command are returned unchanged (the machine then skips the entry).
 */
export function stampLockCommand(bytes: Uint8Array, at: number, token?: number): Uint8Array {
  let entry: { v: number; at: number; c: LockCommand; token?: number };
  try {
    entry = decodeEntry(bytes);
  } catch {
    return bytes;
  }
  return encoder.encode(JSON.stringify(token === undefined ? { ...entry, at } : { ...entry, at, token }));
}

/** Deliberate bugs, for proving the tests catch them. Never set them outside tests. */
export type LockBug =
  /** Tokens come from the stamping leader's memory, not from the log: a new leader starts again from 1. */
  | 'token-from-leader-memory'
  /** A follower grants a lock that looks free in its own (possibly stale) state, without the log. */
  | 'grant-from-local-view';

/** The state machine of the lock service. Deterministic: same log, same outcomes, on every replica. */
export class LockStateMachine {
  readonly #locks = new Map<string, Held>();
  readonly #bugs: ReadonlySet<LockBug>;
  #now = 0;

  constructor(options: { readonly bugs?: readonly LockBug[] } = {}) {
    this.#bugs = new Set(options.bugs ?? []);
  }

  /** Agreed log time: the largest stamp applied so far (a new leader stamps above it even if its clock is behind). */
  get now(): number {
    return this.#now;
  }

  /** Applies a committed entry; throws `LockCommandDecodeError` (changing nothing) if it is not a command. */
  apply(bytes: Uint8Array, index: number): AppliedLockOutcome {
    const entry = decodeEntry(bytes);
    this.#now = Math.max(this.#now, entry.at);
    const now = this.#now;
    const command = entry.c;
    const held = this.#locks.get(command.lock);
    const live = held !== undefined && held.expiresAt > now ? held : undefined;
    const base = { lock: command.lock, client: command.client, at: now, index, req: command.req };
    switch (command.op) {
      case 'acquire': {
        if (live !== undefined && live.holder !== command.client) {
          return { ...base, type: 'refused', holder: live.holder, token: live.token, expiresAt: live.expiresAt };
        }
        if (live !== undefined) {
          live.expiresAt = now + command.leaseMs;
          return { ...base, type: 'renewed', token: live.token, expiresAt: live.expiresAt };
        }
        const token = this.#bugs.has('token-from-leader-memory') && entry.token !== undefined ? entry.token : index;
        const grant = { holder: command.client, token, expiresAt: now + command.leaseMs };
        this.#locks.set(command.lock, grant);
        return { ...base, type: 'granted', token, expiresAt: grant.expiresAt };
      }
      case 'renew':
        if (live === undefined || live.holder !== command.client || live.token !== command.token) return { ...base, type: 'stale', token: command.token };
        live.expiresAt = now + command.leaseMs;
        return { ...base, type: 'renewed', token: live.token, expiresAt: live.expiresAt };
      case 'release':
        if (live === undefined || live.holder !== command.client || live.token !== command.token) return { ...base, type: 'stale', token: command.token };
        this.#locks.delete(command.lock);
        return { ...base, type: 'released', token: command.token };
    }
  }

  /** The lock as of the last applied entry (call after a ReadIndex read point for a linearizable read). */
  view(lock: string): LockView {
    const held = this.#locks.get(lock);
    const live = held !== undefined && held.expiresAt > this.#now ? held : undefined;
    return { lock, holder: live?.holder ?? null, token: held?.token ?? 0, expiresAt: held?.expiresAt ?? 0, now: this.#now };
  }

  /** The state as bytes, for log compaction. */
  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify({ now: this.#now, locks: [...this.#locks] }));
  }

  /** Replaces the state with a snapshot's; throws `LockCommandDecodeError` (changing nothing) if it is not one. */
  restore(bytes: Uint8Array): void {
    let parsed: { now?: unknown; locks?: unknown };
    try {
      parsed = JSON.parse(decoder.decode(bytes)) as typeof parsed;
    } catch (cause) {
      throw new LockCommandDecodeError('snapshot is not JSON', { cause });
    }
    if (typeof parsed?.now !== 'number' || !Array.isArray(parsed.locks)) throw new LockCommandDecodeError('snapshot is not a lock-service snapshot');
    const locks = new Map<string, Held>();
    for (const item of parsed.locks as unknown[]) {
      const [name, held] = Array.isArray(item) ? (item as [unknown, Partial<Held> | undefined]) : [undefined, undefined];
      if (typeof name !== 'string' || typeof held?.holder !== 'string' || typeof held.token !== 'number' || typeof held.expiresAt !== 'number') {
        throw new LockCommandDecodeError('snapshot holds a malformed lock');
      }
      locks.set(name, { holder: held.holder, token: held.token, expiresAt: held.expiresAt });
    }
    this.#now = parsed.now;
    this.#locks.clear();
    for (const [name, held] of locks) this.#locks.set(name, held);
  }
}

function decodeEntry(bytes: Uint8Array): { v: number; at: number; c: LockCommand; token?: number } {
  let entry: { v?: unknown; at?: unknown; c?: unknown; token?: unknown };
  try {
    entry = JSON.parse(decoder.decode(bytes)) as typeof entry;
  } catch (cause) {
    throw new LockCommandDecodeError('log entry is not JSON', { cause });
  }
  if (entry?.v !== VERSION || typeof entry.at !== 'number' || !Number.isFinite(entry.at)) throw new LockCommandDecodeError('log entry is not a lock-service command');
  if (entry.token !== undefined && typeof entry.token !== 'number') throw new LockCommandDecodeError('log entry has a malformed token');
  const c = entry.c as Partial<Record<string, unknown>> | undefined;
  const ok =
    typeof c === 'object' &&
    c !== null &&
    typeof c.lock === 'string' &&
    typeof c.client === 'string' &&
    typeof c.req === 'number' &&
    ((c.op === 'acquire' && positive(c.leaseMs)) || (c.op === 'renew' && positive(c.leaseMs) && positive(c.token)) || (c.op === 'release' && positive(c.token)));
  if (!ok) throw new LockCommandDecodeError('log entry holds a malformed lock command');
  return entry as { v: number; at: number; c: LockCommand; token?: number };
}

function positive(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}
