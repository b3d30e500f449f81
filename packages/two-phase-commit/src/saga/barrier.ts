import { describeValue, InvalidArgumentError } from '@lattice/core';
import { gidProblem, MAX_GID_BYTES } from '../gid.js';
import { BarrierBusyError, InvalidBarrierRequestError } from './errors.js';
import type { SagaOp, SagaReply } from './types.js';

/** What a barrier keys a request by: the saga, the step (branch) and which half of it. */
export interface BarrierRequest {
  readonly gid: string;
  readonly branch: string;
  readonly op: SagaOp;
}

/**
 * What the barrier did with a request:
 * - `applied`: first time — the business logic ran and committed with the barrier record;
 * - `refused`: first time, and the business logic answered "failed": everything, barrier record included, was rolled back;
 * - `duplicate`: the same request already committed; nothing ran;
 * - `null-compensation`: a compensation for an action that never committed here; nothing ran, and the action is now blocked;
 * - `hanging`: an action arriving after its compensation; nothing ran (and never will).
 */
export type BarrierStatus = 'applied' | 'refused' | 'duplicate' | 'null-compensation' | 'hanging';

/** How a request went through a barrier: what to reply, and why. */
export interface BarrierResult {
  readonly status: BarrierStatus;
  /** "failed" only for `refused`: everything else means the request's effect is in place (or rightly absent). */
  readonly reply: SagaReply;
}

/** One barrier row: `op` of `branch` of saga `gid` is taken, by a request of kind `reason`. */
export interface BarrierRecord {
  readonly gid: string;
  readonly branch: string;
  readonly op: SagaOp;
  /** The request that inserted it: an `action` row inserted by a `compensate` is a null compensation's block. */
  readonly reason: SagaOp;
}

const encoder = new TextEncoder();

/** Throws `InvalidBarrierRequestError` unless `request` is `{ gid, branch, op }` with a 1–200-byte gid and branch and a saga op. */
export function assertBarrierRequest(request: unknown): asserts request is BarrierRequest {
  if (typeof request !== 'object' || request === null) throw new InvalidBarrierRequestError(`A barrier request must be { gid, branch, op }, got ${describeValue(request)}`);
  const r = request as Record<string, unknown>;
  const gid = gidProblem(r['gid']);
  if (gid !== undefined) throw new InvalidBarrierRequestError(`Bad barrier gid: ${gid}`);
  const branch = r['branch'];
  if (typeof branch !== 'string' || branch.length === 0 || encoder.encode(branch).length > MAX_GID_BYTES) {
    throw new InvalidBarrierRequestError(`A barrier branch must be 1–${MAX_GID_BYTES} bytes of text, got ${describeValue(branch)}`);
  }
  if (r['op'] !== 'action' && r['op'] !== 'compensate') throw new InvalidBarrierRequestError(`A barrier op must be "action" or "compensate", got ${describeValue(r['op'])}`);
}

/**
 * The decision of the sub-transaction barrier, shared by every implementation: given whether the
 * inserts of this request's rows took (inside the participant's own transaction), whether the
 * business logic runs. A compensation first inserts the `action` row itself (reason
 * "compensate"): if that insert takes, the action never committed — a null compensation, and the
 * row now blocks the action if it comes later.
 */
export function barrierVerdict(request: BarrierRequest, insertedOrigin: boolean, insertedCurrent: boolean, existingReason: SagaOp | undefined): BarrierStatus | 'run' {
  if (!insertedCurrent) return request.op === 'action' && existingReason === 'compensate' ? 'hanging' : 'duplicate';
  if (request.op === 'compensate' && insertedOrigin) return 'null-compensation';
  return 'run';
}

/**
 * The sub-transaction barrier for an in-memory participant. Requests of one branch run one at a
 * time (the stand-in for the database's row lock); the barrier rows a request inserts are rolled
 * back when its business logic answers "failed" or throws. The business logic's own writes must be
 * all-or-nothing (check, then write), as the barrier cannot undo them.
 *
 * @example
 * ```ts
 * const barrier = new MemoryBarrier();
 * const { reply } = barrier.runSync({ gid, branch: '0', op: 'action' }, () => (debit(alice, 30) ? 'succeeded' : 'failed'));
 * ```
 */
export class MemoryBarrier {
  readonly #rows = new Map<string, BarrierRecord>();
  readonly #queues = new Map<string, Promise<unknown>>();

  /** Runs `work` through the barrier, after every earlier request of the same branch. Throws `InvalidBarrierRequestError` on a bad request. */
  run(request: BarrierRequest, work: () => SagaReply | Promise<SagaReply>): Promise<BarrierResult> {
    try {
      assertBarrierRequest(request);
    } catch (error) {
      return Promise.reject(error);
    }
    const branchKey = `${request.gid}\u0000${request.branch}`;
    const previous = this.#queues.get(branchKey) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.#pass(request, work));
    this.#queues.set(branchKey, next);
    void next.finally(() => {
      if (this.#queues.get(branchKey) === next) this.#queues.delete(branchKey);
    }).catch(() => undefined);
    return next;
  }

  /** The synchronous form of {@link MemoryBarrier.run}, for business logic that does not wait. */
  runSync(request: BarrierRequest, work: () => SagaReply): BarrierResult {
    assertBarrierRequest(request);
    // An asynchronous request of the branch holds uncommitted rows: deciding against them would be a dirty read.
    if (this.#queues.has(`${request.gid}\u0000${request.branch}`)) throw new BarrierBusyError(`Branch "${request.branch}" of saga "${request.gid}" has a request in progress`);
    const inserted = this.#begin(request);
    if (inserted.verdict !== 'run') return { status: inserted.verdict, reply: 'succeeded' };
    let reply: SagaReply;
    try {
      reply = work();
    } catch (error) {
      this.#rollback(inserted.keys);
      throw error;
    }
    return this.#end(inserted.keys, reply);
  }

  /** Every barrier row (for checks: which actions and compensations ran). */
  records(): BarrierRecord[] {
    return [...this.#rows.values()];
  }

  async #pass(request: BarrierRequest, work: () => SagaReply | Promise<SagaReply>): Promise<BarrierResult> {
    const inserted = this.#begin(request);
    if (inserted.verdict !== 'run') return { status: inserted.verdict, reply: 'succeeded' };
    let reply: SagaReply;
    try {
      reply = await work();
    } catch (error) {
      this.#rollback(inserted.keys);
      throw error;
    }
    return this.#end(inserted.keys, reply);
  }

  #begin(request: BarrierRequest): { verdict: BarrierStatus | 'run'; keys: string[] } {
    const keys: string[] = [];
    const insert = (op: SagaOp): boolean => {
      const key = `${request.gid}\u0000${request.branch}\u0000${op}`;
      if (this.#rows.has(key)) return false;
      this.#rows.set(key, { gid: request.gid, branch: request.branch, op, reason: request.op });
      keys.push(key);
      return true;
    };
    const insertedOrigin = request.op === 'compensate' ? insert('action') : false;
    const insertedCurrent = insert(request.op);
    const existing = this.#rows.get(`${request.gid}\u0000${request.branch}\u0000${request.op}`);
    const verdict = barrierVerdict(request, insertedOrigin, insertedCurrent, existing?.reason);
    return { verdict, keys };
  }

  #end(keys: string[], reply: SagaReply): BarrierResult {
    if (reply === 'succeeded') return { status: 'applied', reply };
    this.#rollback(keys);
    if (reply !== 'failed') throw new InvalidArgumentError(`The business logic answered ${describeValue(reply)}, not "succeeded" or "failed" (rolled back)`);
    return { status: 'refused', reply: 'failed' };
  }

  #rollback(keys: readonly string[]): void {
    for (const key of keys) this.#rows.delete(key);
  }
}
