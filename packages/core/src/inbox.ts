import { assertFunction, assertInteger, assertOptionalObject } from './arguments.js';
import { HandlerError, type LatticeError } from './errors.js';
import type { Envelope, ErrorHandler, MessageHandler } from './transport.js';

/** Options of {@link Inbox}. */
export interface InboxOptions {
  /** Most messages an iterator buffers before it drops new ones (at-most-once allows it). Default 65,536. */
  iteratorBufferLimit?: number;
}

/**
 * The receiving half every `Endpoint` implementation shares: fans each message out to the
 * registered handlers and running async iterators, isolates handler exceptions (reported as
 * `HandlerError`, never thrown into the transport), and ends iterators on close.
 */
export class Inbox implements AsyncIterable<Envelope> {
  readonly #handlers = new Set<MessageHandler>();
  readonly #errorHandlers = new Set<ErrorHandler>();
  readonly #iterators = new Set<IteratorQueue>();
  readonly #bufferLimit: number;
  #closed = false;
  /** Messages dropped because nothing was listening or an iterator's buffer was full. */
  dropped = 0;

  constructor(options: InboxOptions = {}) {
    assertOptionalObject(options, 'Inbox options');
    const limit = options.iteratorBufferLimit ?? 65_536;
    assertInteger(limit, 'iteratorBufferLimit', 0);
    this.#bufferLimit = limit;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True when a handler or a running iterator would take a message now (what {@link Inbox.deliver} returns). */
  get listening(): boolean {
    return !this.#closed && (this.#handlers.size > 0 || this.#iterators.size > 0);
  }

  /** Hands a received message to every handler and iterator. Returns false if nobody took it. */
  deliver(message: Envelope): boolean {
    if (this.#closed) return false;
    if (this.#handlers.size === 0 && this.#iterators.size === 0) {
      this.dropped++;
      return false;
    }
    for (const handler of this.#handlers) {
      try {
        handler(message);
      } catch (cause) {
        this.reportError(new HandlerError(`A message handler threw while handling a message from "${message.from}"`, { cause }));
      }
    }
    for (const queue of this.#iterators) {
      if (!queue.push(message, this.#bufferLimit)) this.dropped++;
    }
    return true;
  }

  onMessage(handler: MessageHandler): () => void {
    assertFunction(handler, 'message handler');
    const wrapped: MessageHandler = (message) => handler(message);
    this.#handlers.add(wrapped);
    return () => this.#handlers.delete(wrapped);
  }

  onError(handler: ErrorHandler): () => void {
    assertFunction(handler, 'error handler');
    const wrapped: ErrorHandler = (error) => handler(error);
    this.#errorHandlers.add(wrapped);
    return () => this.#errorHandlers.delete(wrapped);
  }

  /** Reports a typed error to the error handlers; with none registered it is counted, not thrown. */
  reportError(error: LatticeError): void {
    this.errorsReported++;
    for (const handler of this.#errorHandlers) {
      try {
        handler(error);
      } catch {
        // An error handler that throws has nowhere further to report to; dropping it keeps the transport alive.
      }
    }
  }

  /** Errors reported so far (whether or not a handler was registered). */
  errorsReported = 0;

  /** Stops delivery and ends every running iterator. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers.clear();
    for (const queue of this.#iterators) queue.end();
    this.#iterators.clear();
  }

  [Symbol.asyncIterator](): AsyncIterator<Envelope> {
    const queue = new IteratorQueue();
    if (this.#closed) queue.end();
    else this.#iterators.add(queue);
    return {
      next: () => queue.next(),
      return: async () => {
        this.#iterators.delete(queue);
        queue.end();
        return { done: true, value: undefined };
      },
    };
  }
}

class IteratorQueue {
  readonly #buffer: Envelope[] = [];
  #head = 0;
  #waiting: ((result: IteratorResult<Envelope>) => void) | undefined;
  #ended = false;

  push(message: Envelope, limit: number): boolean {
    if (this.#ended) return false;
    if (this.#waiting !== undefined) {
      const resolve = this.#waiting;
      this.#waiting = undefined;
      resolve({ done: false, value: message });
      return true;
    }
    if (this.#buffer.length - this.#head >= limit) return false;
    this.#buffer.push(message);
    return true;
  }

  next(): Promise<IteratorResult<Envelope>> {
    if (this.#head < this.#buffer.length) {
      const value = this.#buffer[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#buffer.length) {
        this.#buffer.splice(0, this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ done: false, value });
    }
    if (this.#ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  end(): void {
    this.#ended = true;
    const resolve = this.#waiting;
    this.#waiting = undefined;
    resolve?.({ done: true, value: undefined });
  }
}
