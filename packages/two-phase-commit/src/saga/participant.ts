import { type BaseEvents, DecodeError, type Endpoint, HandlerError, InvalidArgumentError, isLatticeError, type NodeId, Observable, ProtocolViolationError } from '@lattice/core';
import type { Gid } from '../types.js';
import { decodeSagaMessage, encodeSagaMessage } from './codec.js';
import type { SagaOp, SagaReply } from './types.js';

/** One request to a participant: run the action or the compensation of step `step` of saga `gid`. */
export interface SagaRequest {
  readonly gid: Gid;
  readonly step: number;
  /** The barrier's branch key of the step: its index, as text. */
  readonly branch: string;
  readonly op: SagaOp;
  /** The step's action or compensation request, as the saga gave it. */
  readonly payload: Uint8Array;
  /** The orchestrator that sent it. */
  readonly from: NodeId;
}

/**
 * Runs one request and says how it went. "failed" from an action makes the saga compensate
 * (unless the step is retriable); a compensation must not fail for good — "failed" is retried.
 * A throw sends no reply: the orchestrator repeats the request. Run the business logic through a
 * barrier ({@link MemoryBarrier}, {@link PostgresBarrier}) so that repeats, compensations that
 * arrive first and late actions are each handled once.
 */
export type SagaHandler = (request: SagaRequest) => SagaReply | Promise<SagaReply>;

/** Options of {@link SagaParticipant}. */
export interface SagaParticipantOptions {
  /** Where the participant receives requests (the caller owns it). */
  endpoint: Endpoint;
  handle: SagaHandler;
}

/** Events of a {@link SagaParticipant}. */
export interface SagaParticipantEvents extends BaseEvents {
  /** Each request answered. */
  replied: { readonly request: SagaRequest; readonly reply: SagaReply };
}

/**
 * A saga participant on an endpoint: decodes each request, hands it to `handle`, and replies. It
 * keeps no state: what makes requests exactly-once is the barrier in the handler's own local
 * transaction. Garbage, and messages a participant does not take, are typed `error` events and
 * change nothing.
 *
 * @example
 * ```ts
 * const barrier = new MemoryBarrier();
 * const participant = new SagaParticipant({
 *   endpoint,
 *   handle: async (request) => (await barrier.run(request, () => applyToAccounts(request))).reply,
 * });
 * ```
 */
export class SagaParticipant extends Observable<SagaParticipantEvents> {
  readonly #endpoint: Endpoint;
  readonly #handle: SagaHandler;
  readonly #detach: () => void;
  #closed = false;

  constructor(options: SagaParticipantOptions) {
    super();
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('SagaParticipant needs an options object');
    if (typeof options.endpoint?.send !== 'function' || typeof options.endpoint.onMessage !== 'function') throw new InvalidArgumentError('options.endpoint must be an Endpoint');
    if (typeof options.handle !== 'function') throw new InvalidArgumentError('options.handle must be a function');
    this.#endpoint = options.endpoint;
    this.#handle = options.handle;
    this.#detach = options.endpoint.onMessage((envelope) => this.#receive(envelope.from, envelope.payload));
  }

  /** Stops answering (the endpoint stays open). */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#detach();
    }
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #receive(from: NodeId, payload: Uint8Array): void {
    if (this.#closed) return;
    let message: ReturnType<typeof decodeSagaMessage>;
    try {
      message = decodeSagaMessage(payload);
    } catch (error) {
      this.emit('error', isLatticeError(error) ? error : new DecodeError(`Undecodable message from "${from}"`, { cause: error }));
      return;
    }
    if (message.type !== 'invoke') {
      this.emit('error', new ProtocolViolationError(`A participant does not take "${message.type}" messages (from "${from}")`, { peer: from }));
      return;
    }
    const request: SagaRequest = { gid: message.gid, step: message.step, branch: String(message.step), op: message.op, payload: message.payload, from };
    void this.#answer(request);
  }

  async #answer(request: SagaRequest): Promise<void> {
    let reply: SagaReply;
    try {
      reply = await this.#handle(request);
    } catch (error) {
      this.emit('error', isLatticeError(error) ? error : new HandlerError(`The handler threw on ${request.op} of step ${request.step} of saga "${request.gid}"`, { cause: error }));
      return;
    }
    if (reply !== 'succeeded' && reply !== 'failed') {
      this.emit('error', new HandlerError(`The handler answered ${JSON.stringify(reply)}, not "succeeded" or "failed"`));
      return;
    }
    if (this.#closed) return;
    this.emit('replied', { request, reply });
    try {
      await this.#endpoint.send(request.from, encodeSagaMessage({ type: 'reply', gid: request.gid, step: request.step, op: request.op, reply }));
    } catch (error) {
      // A lost reply is repeated by the orchestrator's retry; it is reported, not thrown.
      this.emit('error', isLatticeError(error) ? error : new HandlerError(`Replying to "${request.from}" failed`, { cause: error }));
    }
  }
}
