import { Worker } from 'node:worker_threads';

/**
 * The thread's code (CommonJS, run with `eval`, so it needs no file of its own in the build).
 * It writes each request in the order received and answers each with `null` or the error;
 * after one failure it writes nothing more and answers every later request with that error,
 * so what reaches the disk is always a prefix of what was asked for.
 */
const SOURCE = `
const { parentPort } = require('node:worker_threads');
const { writevSync, fdatasyncSync } = require('node:fs');
let failure = null;
parentPort.on('message', (request) => {
  if (failure === null) {
    try {
      let { fd, position, pieces } = request;
      let length = 0;
      for (const piece of pieces) length += piece.length;
      while (length > 0) {
        const written = writevSync(fd, pieces, position);
        if (!(written > 0)) throw new Error('writev returned ' + written);
        position += written;
        length -= written;
        if (length === 0) break;
        let skip = written;
        const rest = [];
        for (const piece of pieces) {
          if (skip >= piece.length) { skip -= piece.length; continue; }
          rest.push(skip > 0 ? piece.subarray(skip) : piece);
          skip = 0;
        }
        pieces = rest;
      }
      if (request.sync) fdatasyncSync(fd);
    } catch (error) {
      failure = { message: String(error && error.message), code: error && error.code, errno: error && error.errno, syscall: error && error.syscall };
    }
  }
  parentPort.postMessage(failure);
});
parentPort.postMessage('ready');
`;

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface SerializedError {
  message: string;
  code?: string;
  errno?: number;
  syscall?: string;
}

/**
 * A thread of the log's own that does its writes one after another, so that the next group
 * commit can be handed over while the current one is being synced: the disk goes from one
 * write to the next without waiting for this thread to wake, see the result and start
 * another (two thread wake-ups per write through libuv's pool, which dominate on a busy
 * machine). Writes reach the disk in the order given, so a crash still leaves a prefix.
 */
export class WriterThread {
  readonly #worker: Worker;
  readonly #waiting: Waiter[] = [];
  #ready = false;
  #dead: Error | undefined;
  readonly #exited: Promise<void>;

  constructor() {
    // No inherited flags (loaders such as tsx would slow its start for nothing): it only needs node:fs.
    this.#worker = new Worker(SOURCE, { eval: true, execArgv: [] });
    this.#worker.unref();
    this.#worker.on('message', (message: SerializedError | null | 'ready') => {
      if (message === 'ready') {
        this.#ready = true;
        return;
      }
      const waiter = this.#waiting.shift();
      if (this.#waiting.length === 0) this.#worker.unref();
      if (waiter === undefined) return;
      if (message === null) waiter.resolve();
      else waiter.reject(Object.assign(new Error(message.message), { code: message.code, errno: message.errno, syscall: message.syscall }));
    });
    this.#worker.on('error', (error) => this.#fail(error));
    this.#exited = new Promise((resolve) => {
      this.#worker.once('exit', () => {
        this.#fail(new Error('the writer thread exited'));
        resolve();
      });
    });
  }

  /** True once the thread runs (writes may be handed over before: they wait for it to start). */
  get ready(): boolean {
    return this.#ready && this.#dead === undefined;
  }

  /**
   * Writes `pieces` back to back at `position` of `fd` (then fdatasync if `sync`), after every
   * write handed over before. Pieces in shared memory are passed as they are; others are copied.
   */
  write(fd: number, pieces: readonly Uint8Array[], position: number, sync: boolean): Promise<void> {
    if (this.#dead !== undefined) return Promise.reject(this.#dead);
    const shared: Uint8Array[] = [];
    const transfer: ArrayBuffer[] = [];
    for (const piece of pieces) {
      if (piece.buffer instanceof SharedArrayBuffer) shared.push(piece);
      else {
        const copy = piece.slice();
        shared.push(copy);
        transfer.push(copy.buffer);
      }
    }
    return new Promise<void>((resolve, reject) => {
      if (this.#waiting.length === 0) this.#worker.ref();
      this.#waiting.push({ resolve, reject });
      this.#worker.postMessage({ fd, position, pieces: shared, sync }, transfer);
    });
  }

  /** Stops the thread (after the writes handed over, which callers await first). */
  async close(): Promise<void> {
    await this.#worker.terminate();
    await this.#exited;
  }

  #fail(error: Error): void {
    this.#dead ??= error;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#dead);
  }
}
