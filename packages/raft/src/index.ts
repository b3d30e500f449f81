/**
 * Raft consensus for Lattice: {@link RaftCore} is a pure replicated-log state machine with the
 * features of etcd's raft (pre-vote, check-quorum, leadership transfer, pipelined and
 * flow-controlled replication, chunked snapshots, joint consensus and learners, ReadIndex and
 * lease reads, proposal forwarding). It does no I/O: `ProtocolDriver` from `@lattice/core`
 * binds it to a transport, durable storage and timers.
 *
 * @example
 * ```ts
 * import { RaftCore } from '@lattice/raft';
 * const core = new RaftCore({ id: 'a', voters: ['a'] });
 * core.campaign();                 // a single voter elects itself
 * core.propose(new TextEncoder().encode('set x 1'));
 * ```
 *
 * @packageDocumentation
 */
export {
  decodeRaftMessage,
  decodeRaftRecord,
  encodeRaftMessage,
  encodeRaftRecord,
  RAFT_FORMAT_VERSION,
  raftMessageCodec,
  raftRecordCodec,
} from './codec.js';
export { applyConfChange, decodeConfChange, encodeConfChange } from './conf-change.js';
export { ConfChangeError, NotLeaderError, ProposalDroppedError, ReadDroppedError } from './errors.js';
export type { ProgressState } from './progress.js';
// The checked forms: the core uses the unchecked ones on its own configurations.
export { confOfChecked as confOf, isJointChecked as isJoint, isVoterChecked as isVoter } from './quorum.js';
export { type RaftNodeEvents, RaftNode, type RaftNodeOptions, type RequestOptions, type StateMachine } from './raft-node.js';
export { replayRaftRecords } from './stored-state.js';
export { type RaftLogStore, WalRaftStorage } from './wal-storage.js';
export { type DeliberateBug, type FollowerStatus, RaftCore, type RaftCoreOptions, type RaftReady, type RaftStatus, type RaftStoredState } from './raft-core.js';
export type {
  ConfChange,
  ConfChangeStep,
  ConfState,
  Entry,
  EntryType,
  HardState,
  RaftEffect,
  RaftMessage,
  RaftMessageType,
  RaftRecord,
  ReadState,
  Role,
  Snapshot,
  SnapshotMeta,
} from './types.js';
