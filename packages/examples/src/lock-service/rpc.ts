/**
 * Request and reply over an `Endpoint`, for the client side of the lock-service examples: each
 * call waits for the reply to its own request id from the node it asked, or for its timeout
 * (the answer `undefined`: lost, slow or crashed — the caller cannot tell which).
 */
import { type Endpoint, isLatticeError, type NodeId, type TimerHandle, type Timers } from '@lattice/core';
import { decodeMessage, encodeMessage, type Request } from './wire.js';

/** A request without its id (the {@link Rpc} numbers it). */
export type Unnumbered<R> = R extends Request ? Omit<R, 'req'> : never;

interface Pending {
  readonly to: NodeId;
  readonly resolve: (result: unknown) => void;
  readonly timer: TimerHandle;
}

/** Calls to other nodes from one endpoint. */
export class Rpc {
  readonly #endpoint: Endpoint;
  readonly #timers: Timers;
  readonly #pending = new Map<number, Pending>();
  #next: number;

  /** `firstRequest` keeps the ids of a restarted process apart from its previous life's (late replies are ignored). */
  constructor(endpoint: Endpoint, timers: Timers, options: { readonly firstRequest?: number; readonly onGarbage?: (error: Error) => void } = {}) {
    this.#endpoint = endpoint;
    this.#timers = timers;
    this.#next = options.firstRequest ?? 0;
    endpoint.onMessage((envelope) => {
      let message: ReturnType<typeof decodeMessage>;
      try {
        message = decodeMessage(envelope.payload);
      } catch (error) {
        if (isLatticeError(error)) options.onGarbage?.(error);
        return;
      }
      if (message.t !== 'reply') return;
      const pending = this.#pending.get(message.req);
      if (pending === undefined || pending.to !== envelope.from) return;
      this.#pending.delete(message.req);
      this.#timers.clearTimeout(pending.timer);
      pending.resolve(message.result);
    });
  }

  /** Sends `request` to `to`; resolves with the reply's result, or `undefined` after `timeoutMs` without one. */
  call(to: NodeId, request: Unnumbered<Request>, timeoutMs: number): Promise<unknown> {
    const req = this.#next++;
    return new Promise((resolve) => {
      const timer = this.#timers.setTimeout(() => {
        this.#pending.delete(req);
        resolve(undefined);
      }, timeoutMs);
      this.#pending.set(req, { to, resolve, timer });
      this.#endpoint.send(to, encodeMessage({ ...request, req } as Request)).catch(() => undefined); // unreachable: the timeout answers
    });
  }

  /** Resolves after `ms` of this node's time. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#timers.setTimeout(resolve, ms));
  }
}
