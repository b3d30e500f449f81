import type { NodeId } from '@lattice/core';
import type { Gid } from '../types.js';

/** Which half of a step a request runs: the forward action, or its compensation. */
export type SagaOp = 'action' | 'compensate';

/** How a saga ended: every action done, or every started step compensated. */
export type SagaOutcome = 'committed' | 'compensated';

/** What a participant answers to one request. */
export type SagaReply = 'succeeded' | 'failed';

/** One step of a saga, as the application gives it. */
export interface SagaStep {
  /** The participant that runs both halves of the step. */
  readonly participant: NodeId;
  /** The action's request, in the participant's encoding. */
  readonly action: Uint8Array;
  /** The compensation's request: must undo the action semantically, and be idempotent. */
  readonly compensation: Uint8Array;
  /**
   * Forward recovery: a failed or unanswered action is retried (with backoff) until it succeeds,
   * and never makes the saga compensate. Default false: a "failed" reply, or `maxAttempts`
   * unanswered tries, makes the saga compensate.
   */
  readonly retriable?: boolean;
}

/** A stage of a saga: one step, or steps that run concurrently. */
export type SagaStage = SagaStep | readonly SagaStep[];

/** A step as logged: with the stage it runs in. */
export interface LoggedStep {
  readonly participant: NodeId;
  readonly action: Uint8Array;
  readonly compensation: Uint8Array;
  readonly retriable: boolean;
  /** Index of its stage (0-based; steps of one stage run concurrently). */
  readonly stage: number;
}

/** Messages between the orchestrator and participants. `step` is the step's index in the saga. */
export type SagaMessage =
  | { readonly type: 'invoke'; readonly gid: Gid; readonly step: number; readonly op: SagaOp; readonly payload: Uint8Array }
  | { readonly type: 'reply'; readonly gid: Gid; readonly step: number; readonly op: SagaOp; readonly reply: SagaReply };

/**
 * The orchestrator's log. `begun` (synced before the first action leaves) holds the whole saga, so
 * a restarted orchestrator can resume it; `compensating` (synced before the first compensation
 * leaves) turns it backward for good; `done` records need no sync (a lost one only repeats a
 * request, which the participant's barrier absorbs).
 */
export type SagaRecord =
  | { readonly type: 'begun'; readonly gid: Gid; readonly steps: readonly LoggedStep[] }
  | { readonly type: 'done'; readonly gid: Gid; readonly step: number; readonly op: SagaOp }
  | { readonly type: 'compensating'; readonly gid: Gid; readonly step: number; readonly reason: string }
  | { readonly type: 'finished'; readonly gid: Gid; readonly outcome: SagaOutcome; readonly reason: string };

/** What the orchestrator core reports to its driver. */
export type SagaEffect =
  /** The saga is over (its `finished` record is durable). */
  | { readonly type: 'finished'; readonly gid: Gid; readonly outcome: SagaOutcome; readonly reason: string }
  /** The saga turned backward (its `compensating` record is durable). */
  | { readonly type: 'compensating'; readonly gid: Gid; readonly step: number; readonly reason: string }
  /** A request is repeated: no reply in time, or a failure that does not end the saga. */
  | { readonly type: 'retrying'; readonly gid: Gid; readonly step: number; readonly op: SagaOp; readonly attempt: number; readonly reason: string };
