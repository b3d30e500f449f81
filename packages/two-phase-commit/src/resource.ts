import type { Gid, Vote } from './types.js';

/**
 * What a participant commits into: a database, a key-value store. Every method is idempotent by
 * gid (after a crash the participant may repeat any of them).
 */
export interface ParticipantResource {
  /** Makes the work durable enough to commit later, holding what it needs (locks); "no" refuses it. */
  prepare(gid: Gid, ops: Uint8Array): Vote | Promise<Vote>;
  /** Makes a prepared transaction's work visible and releases what it held. */
  commit(gid: Gid): void | Promise<void>;
  /** Undoes a prepared (or half-prepared) transaction; a gid it does not know is not an error. */
  abort(gid: Gid): void | Promise<void>;
  /** Gids the resource itself still holds prepared (after a restart: `pg_prepared_xacts`). */
  recover(): readonly Gid[] | Promise<readonly Gid[]>;
  /**
   * Re-creates a transaction the participant's log holds as prepared but the resource does not
   * (a resource that keeps nothing durable of its own is rebuilt from the log this way).
   */
  restore?(gid: Gid, ops: Uint8Array): void | Promise<void>;
}
