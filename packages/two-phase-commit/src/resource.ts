import type { HeldTransaction, TransactionContext } from './participant-core.js';
import type { Gid, Vote } from './types.js';

/**
 * What a participant commits into: a database, a key-value store. Every method is idempotent by
 * gid (after a crash the participant may repeat any of them).
 */
export interface ParticipantResource {
  /**
   * True when a "yes" from `prepare` means the prepared state is durable in the resource itself,
   * together with the transaction's coordinator and participants (`context`), and
   * `recoverHeld` gives them back after a restart. The participant then votes without a
   * "prepared" record and sync of its own. Read once, when the participant is built.
   */
  readonly durablePrepare?: boolean;
  /**
   * True when committed work is durable in the resource itself (a database), not rebuilt from
   * the participant's log (as `MemoryKv` is). `Participant.open` then drops the log records of
   * transactions the coordinator announced forgotten (`announceForgotten`), once the resource
   * has carried out their commit or abort — on a log with `dropPrefix`. Read once, at open.
   */
  readonly durableCommits?: boolean;
  /**
   * Makes the work durable enough to commit later, holding what it needs (locks); "no" refuses
   * it. `context` names the coordinator and the participants (a durable-prepare resource keeps them).
   */
  prepare(gid: Gid, ops: Uint8Array, context: TransactionContext): Vote | Promise<Vote>;
  /** Makes a prepared transaction's work visible and releases what it held. */
  commit(gid: Gid): void | Promise<void>;
  /** Undoes a prepared (or half-prepared) transaction; a gid it does not know is not an error. */
  abort(gid: Gid): void | Promise<void>;
  /** Gids the resource itself still holds prepared (after a restart: `pg_prepared_xacts`). */
  recover(): readonly Gid[] | Promise<readonly Gid[]>;
  /** With `durablePrepare` (required then): what `recover` gives, with each one's coordinator and participants. */
  recoverHeld?(): readonly HeldTransaction[] | Promise<readonly HeldTransaction[]>;
  /**
   * Re-creates a transaction the participant's log holds as prepared but the resource does not
   * (a resource that keeps nothing durable of its own is rebuilt from the log this way).
   */
  restore?(gid: Gid, ops: Uint8Array): void | Promise<void>;
}
