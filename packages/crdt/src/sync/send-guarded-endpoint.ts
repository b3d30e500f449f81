import type { AbortOptions, Endpoint, Envelope, ErrorHandler, MessageHandler, NodeId } from '@lattice/core';

/**
 * An endpoint whose `send` never throws: a transport that throws instead of rejecting (against
 * the `Transport` contract) gets its failure turned into a rejected promise, so it is reported
 * like any failed send instead of interrupting the other sends of a batch — or, inside
 * `ProtocolDriver`, stopping the node. Everything else is passed through to the wrapped endpoint.
 */
export class SendGuardedEndpoint implements Endpoint {
  readonly #inner: Endpoint;

  constructor(inner: Endpoint) {
    this.#inner = inner;
  }

  get id(): NodeId {
    return this.#inner.id;
  }

  get maxMessageSize(): number {
    return this.#inner.maxMessageSize;
  }

  get closed(): boolean {
    return this.#inner.closed;
  }

  send(to: NodeId, payload: Uint8Array, options?: AbortOptions): Promise<void> {
    try {
      // Promise.resolve also copes with an endpoint that returns no promise at all.
      return Promise.resolve(this.#inner.send(to, payload, options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  onMessage(handler: MessageHandler): () => void {
    return this.#inner.onMessage(handler);
  }

  onError(handler: ErrorHandler): () => void {
    return this.#inner.onError(handler);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<Envelope> {
    return this.#inner[Symbol.asyncIterator]();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.#inner.close();
  }
}
