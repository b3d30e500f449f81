import { AbortError, InvalidArgumentError } from './errors.js';

/** Options of every asynchronous Lattice API that can be cancelled. */
export interface AbortOptions {
  /** Aborting it rejects the pending operation with an {@link AbortError}. */
  signal?: AbortSignal | undefined;
}

/** Throws an {@link AbortError} (with the signal's reason as `cause`) if `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
}

/**
 * Settles like `promise`, or rejects with an {@link AbortError} as soon as `signal` aborts.
 * The listener is removed when the promise settles, so long-lived signals do not leak.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (typeof signal !== 'object' || signal === null || typeof signal.addEventListener !== 'function') {
    throw new InvalidArgumentError(`signal must be an AbortSignal, got ${signal === null ? 'null' : typeof signal}`);
  }
  if (signal.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortError(undefined, { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
