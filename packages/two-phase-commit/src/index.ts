/**
 * Two-phase commit with presumed abort: a pure {@link CoordinatorCore} and
 * {@link ParticipantCore} on `@lattice/core`'s protocol runtime, a versioned binary codec for
 * their messages and records, and validation of every peer message. A Saga orchestrator
 * ({@link SagaCore}, {@link SagaOrchestrator}) for long-lived transactions, with the
 * sub-transaction barrier for its participants ({@link MemoryBarrier}, {@link PostgresBarrier}).
 *
 * @packageDocumentation
 */
export type { RetryPolicy } from './backoff.js';
export {
  coordinatorRecordCodec,
  decodeCoordinatorRecord,
  decodeParticipantRecord,
  decodeTwoPhaseMessage,
  encodeCoordinatorRecord,
  encodeParticipantRecord,
  encodeTwoPhaseMessage,
  MAX_PARTICIPANTS,
  participantRecordCodec,
  TWO_PHASE_FORMAT_VERSION,
  twoPhaseMessageCodec,
} from './codec.js';
export {
  type CoordinatorCoreOptions,
  CoordinatorCore,
  type CoordinatorDeliberateBugs,
  type CoordinatorTransactionState,
  type Enlistment,
} from './coordinator-core.js';
export { compactablePrefix } from './compaction.js';
export { DuplicateTransactionError, InvalidGidError } from './errors.js';
export { assertGid, gidProblem, MAX_GID_BYTES } from './gid.js';
export {
  type HeldTransaction,
  ParticipantCore,
  type ParticipantCoreOptions,
  type ParticipantDeliberateBugs,
  type ParticipantTransactionState,
  type TransactionContext,
} from './participant-core.js';
export type {
  CoordinatorEffect,
  CoordinatorRecord,
  Gid,
  ParticipantEffect,
  ParticipantRecord,
  PeerState,
  TransactionOutcome,
  TwoPhaseMessage,
  Vote,
} from './types.js';
export { decodeKvOps, encodeKvOps, type KvOp, MemoryKv } from './memory-kv.js';
export type { ParticipantResource } from './resource.js';
export { Coordinator, type CoordinatorEvents, type CoordinatorOpenOptions, type CoordinatorOptions, Transaction, type TransactionResult } from './coordinator.js';
export { Participant, type ParticipantEvents, type ParticipantOpenOptions, type ParticipantOptions } from './participant.js';
export { type TwoPhaseLogStore, WalRecordStorage, type WalRecordStorageOptions } from './wal-storage.js';
export {
  CoordinatorFencedError,
  type DecisionLogResult,
  DecisionLogMachine,
  encodeClaim,
  encodeDecisionRecords,
  RaftDecisionLog,
  type ReplicatedLog,
  type TakeOverOptions,
} from './raft-decision-log.js';
export { type PgPool, type PgQueryResult, type PgSession, pgLiteral, PostgresResource, type PostgresResourceOptions } from './postgres-resource.js';
export {
  assertBarrierRequest,
  type BarrierRecord,
  type BarrierRequest,
  type BarrierResult,
  type BarrierStatus,
  MemoryBarrier,
} from './saga/barrier.js';
export { decodeSagaMessage, decodeSagaRecord, encodeSagaMessage, encodeSagaRecord, MAX_SAGA_STEPS, SAGA_FORMAT_VERSION, sagaMessageCodec, sagaRecordCodec } from './saga/codec.js';
export { BarrierBusyError, InvalidBarrierRequestError, SagaConflictError, UnknownSagaError } from './saga/errors.js';
export { SagaOrchestrator, type SagaOrchestratorEvents, type SagaOrchestratorOpenOptions, type SagaOrchestratorOptions, type SagaResult } from './saga/orchestrator.js';
export { type SagaHandler, SagaParticipant, type SagaParticipantEvents, type SagaParticipantOptions, type SagaRequest } from './saga/participant.js';
export { PostgresBarrier, type PostgresBarrierOptions } from './saga/postgres-barrier.js';
export { SagaCore, type SagaCoreOptions, type SagaDeliberateBugs, type SagaState } from './saga/saga-core.js';
export type { LoggedStep, SagaEffect, SagaMessage, SagaOp, SagaOutcome, SagaRecord, SagaReply, SagaStage, SagaStep } from './saga/types.js';
