import type { NodeId } from '@lattice/core';

/** A global transaction id: 1–200 bytes of UTF-8, unique per transaction across restarts. */
export type Gid = string;

/** How a transaction ended. */
export type TransactionOutcome = 'committed' | 'aborted';

/** A participant's answer to `prepare`. */
export type Vote = 'yes' | 'no';

/** What a participant knows of a transaction, as it answers a peer's status query. */
export type PeerState = 'committed' | 'aborted' | 'prepared';

/** Messages between the coordinator and participants, and between participants. */
export type TwoPhaseMessage =
  /** Coordinator → participant: the work, and who else takes part (for cooperative termination). */
  | { readonly type: 'prepare'; readonly gid: Gid; readonly participants: readonly NodeId[]; readonly ops: Uint8Array }
  /** Participant → coordinator. */
  | { readonly type: 'vote'; readonly gid: Gid; readonly vote: Vote }
  /** Coordinator → participant: phase 2 (also the answer to a status query). */
  | { readonly type: 'decision'; readonly gid: Gid; readonly outcome: TransactionOutcome }
  /** Participant → coordinator: the decision is durable here; the coordinator may forget. */
  | { readonly type: 'ack'; readonly gid: Gid }
  /**
   * Participant in doubt → coordinator or a peer participant. To a peer it names the
   * coordinator (absent from earlier versions), which a peer that refuses the transaction keeps.
   */
  | { readonly type: 'status'; readonly gid: Gid; readonly coordinator?: NodeId }
  /** Participant → participant: the answer to a status query. */
  | { readonly type: 'peerState'; readonly gid: Gid; readonly state: PeerState }
  /**
   * Coordinator → participant (with `announceForgotten`): every participant acknowledged the
   * outcome and the coordinator's `forget` record is durable; the participant may forget `gid`.
   */
  | { readonly type: 'forgotten'; readonly gid: Gid };

/** The coordinator's durable records (presumed abort: nothing is logged before the decision). */
export type CoordinatorRecord =
  | { readonly type: 'decision'; readonly gid: Gid; readonly outcome: TransactionOutcome; readonly participants: readonly NodeId[] }
  | { readonly type: 'forget'; readonly gid: Gid };

/** A participant's durable records. */
export type ParticipantRecord =
  | { readonly type: 'prepared'; readonly gid: Gid; readonly coordinator: NodeId; readonly participants: readonly NodeId[]; readonly ops: Uint8Array }
  /** `coordinator` (when known; absent in records of earlier versions) lets a replayed settled transaction ask it again. */
  | { readonly type: 'outcome'; readonly gid: Gid; readonly outcome: TransactionOutcome; readonly coordinator?: NodeId }
  /** The coordinator announced `gid` forgotten: replay drops it, and its earlier records are no longer needed. */
  | { readonly type: 'forgotten'; readonly gid: Gid };

/** What the coordinator reports to its application: an outcome, and (later) that every participant acknowledged it. */
export type CoordinatorEffect =
  | { readonly type: 'decided'; readonly gid: Gid; readonly outcome: TransactionOutcome; readonly reason: string }
  | { readonly type: 'forgotten'; readonly gid: Gid };

/**
 * What a participant asks its resource to do. `prepare` is answered with
 * `ParticipantCore.voted`; `restore` re-creates, after a restart, a transaction the log holds as
 * prepared (for resources that keep nothing durable themselves, such as the in-memory KV).
 */
export type ParticipantEffect =
  | { readonly type: 'prepare'; readonly gid: Gid; readonly ops: Uint8Array }
  | { readonly type: 'restore'; readonly gid: Gid; readonly ops: Uint8Array }
  | { readonly type: 'commit'; readonly gid: Gid }
  | { readonly type: 'abort'; readonly gid: Gid }
  /**
   * The participant forgot `gid` (the coordinator announced it): nothing for the resource to do.
   * It comes after the gid's commit or abort, so once it is carried out a resource that keeps
   * committed work durably no longer needs the gid's log records.
   */
  | { readonly type: 'forget'; readonly gid: Gid };
