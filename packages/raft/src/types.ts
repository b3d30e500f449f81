import type { NodeId } from '@lattice/core';

/** What an entry carries: an application command, or a change of the cluster's membership. */
export type EntryType = 'normal' | 'config';

/** One entry of the replicated log. */
export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  /** For `normal`: the application's command (empty for the leader's no-op). For `config`: an encoded {@link ConfChange}. */
  readonly data: Uint8Array;
}

/** What must survive a crash besides the log: the current term, the vote cast in it, the commit index. */
export interface HardState {
  readonly term: number;
  /** The candidate voted for in `term`, or `''` for none. */
  readonly vote: NodeId;
  readonly commit: number;
}

/**
 * The cluster's membership. Outside a joint configuration only `voters` and `learners` are set.
 * In a joint configuration (entered by a {@link ConfChange} of several changes) decisions need
 * a majority of `voters` *and* of `outgoing`; `learnersNext` are outgoing voters that become
 * learners when the joint configuration is left.
 */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly outgoing: readonly NodeId[];
  readonly learnersNext: readonly NodeId[];
  /** Leave the joint configuration automatically once it is committed. */
  readonly autoLeave: boolean;
}

/** One step of a membership change. Adding a voter that is a learner promotes it. */
export interface ConfChangeStep {
  readonly type: 'addVoter' | 'addLearner' | 'remove';
  readonly node: NodeId;
}

/**
 * A membership change. One step on voters is applied directly (single-server change); several,
 * or `transition: 'joint'`, go through joint consensus. An empty change leaves a joint
 * configuration.
 */
export interface ConfChange {
  readonly steps: readonly ConfChangeStep[];
  /** `'auto'`: joint only when needed, left automatically; `'explicit'`: stay joint until an empty change. */
  readonly transition?: 'auto' | 'explicit' | 'joint';
}

/** What a snapshot covers: the last entry it includes and the membership at that entry. */
export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly conf: ConfState;
}

/** A state machine image taken by the application at `meta.index`. */
export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

/** The roles of a Raft node. */
export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** A result of a linearizable read: reads of `context` may be served once `index` is applied. */
export interface ReadState {
  readonly index: number;
  readonly context: Uint8Array;
}

/** The messages Raft peers exchange (etcd-raft's names, without the `Msg` prefix). */
export type RaftMessage =
  | {
      readonly type: 'vote' | 'preVote';
      readonly term: number;
      readonly lastIndex: number;
      readonly lastTerm: number;
      /** Set when the election follows a leadership transfer (voters then ignore their leader lease). */
      readonly transfer: boolean;
    }
  | { readonly type: 'voteResp' | 'preVoteResp'; readonly term: number; readonly reject: boolean }
  | {
      readonly type: 'append';
      readonly term: number;
      readonly prevIndex: number;
      readonly prevTerm: number;
      readonly entries: readonly Entry[];
      readonly commit: number;
    }
  | {
      readonly type: 'appendResp';
      readonly term: number;
      /** Accepted: the last index now matching the leader's. Rejected: the `prevIndex` refused. */
      readonly index: number;
      readonly reject: boolean;
      /** When rejected: the follower's best guess of where the logs may match (fast backtracking). */
      readonly hintIndex: number;
      readonly hintTerm: number;
    }
  /** `round` numbers the leader's heartbeat rounds: an answer to round r proves the follower heard from the leader after r was sent (the leader's lease). */
  | { readonly type: 'heartbeat'; readonly term: number; readonly commit: number; readonly round: number; readonly context: Uint8Array }
  | { readonly type: 'heartbeatResp'; readonly term: number; readonly round: number; readonly context: Uint8Array }
  | {
      readonly type: 'snapshot';
      readonly term: number;
      readonly meta: SnapshotMeta;
      /** Byte offset of `chunk` in the snapshot's data. */
      readonly offset: number;
      readonly chunk: Uint8Array;
      /** Total bytes of the snapshot's data. */
      readonly size: number;
    }
  | { readonly type: 'timeoutNow'; readonly term: number }
  | { readonly type: 'propose'; readonly term: number; readonly entries: readonly Entry[] }
  | { readonly type: 'readIndex'; readonly term: number; readonly context: Uint8Array }
  | { readonly type: 'readIndexResp'; readonly term: number; readonly index: number; readonly context: Uint8Array };

/** The kinds of {@link RaftMessage}. */
export type RaftMessageType = RaftMessage['type'];

/**
 * What a Raft core asks to be made durable, in order. Replaying the records of a node in order
 * (`restoreRaftState`) gives back its log, hard state and snapshot.
 */
export type RaftRecord =
  /** Entries to append; any stored entry at or after `entries[0].index` is replaced. */
  | { readonly type: 'entries'; readonly entries: readonly Entry[] }
  | { readonly type: 'hardState'; readonly hardState: HardState }
  /** A snapshot: entries up to its index may be dropped (log compaction). */
  | { readonly type: 'snapshot'; readonly snapshot: Snapshot };

/** What a Raft core hands the application. */
export type RaftEffect =
  /** Entries now committed, in order, for the state machine (config entries included: they are already applied to the membership). */
  | { readonly type: 'apply'; readonly entries: readonly Entry[] }
  /** Replace the state machine with this snapshot (a follower caught up by snapshot). */
  | { readonly type: 'restore'; readonly snapshot: Snapshot }
  | { readonly type: 'readState'; readonly readState: ReadState }
  /** A read that cannot be served (no leader, leadership lost): its context. */
  | { readonly type: 'readDropped'; readonly context: Uint8Array }
  | { readonly type: 'role'; readonly role: Role; readonly term: number; readonly leader: NodeId }
  | { readonly type: 'conf'; readonly conf: ConfState; readonly index: number };
