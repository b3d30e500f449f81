/**
 * Proposals of one event-loop turn go to Raft together: each connection's `data` event is its
 * own callback, so without this every client's SET became its own `Ready` — its own append to
 * every follower and its own log write — and a 50-client benchmark paid several times the CPU
 * per SET that the same SETs cost in batches. Like a group commit: with nothing in flight a
 * proposal goes at once (a lone client pays no delay); while proposals are in flight, new ones
 * wait for a zero-delay timer (the timers phase after the current poll) and are then proposed in
 * arrival order in one synchronous run, which the Raft driver turns into one `Ready`.
 */
import type { Timers } from '@lattice/core';

interface Waiting<T> {
  readonly command: Uint8Array;
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
}

export class ProposalBatcher<T> {
  readonly #propose: (command: Uint8Array) => Promise<T>;
  readonly #timers: Timers;
  #waiting: Waiting<T>[] = [];
  #scheduled = false;
  #inFlight = 0;

  constructor(propose: (command: Uint8Array) => Promise<T>, timers: Timers) {
    this.#propose = propose;
    this.#timers = timers;
  }

  /** Proposes `command` with the others of this turn, in arrival order; settles as `propose` would. */
  propose(command: Uint8Array): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push({ command, resolve, reject });
      if (this.#inFlight === 0 && !this.#scheduled) {
        this.#flush();
        return;
      }
      if (this.#scheduled) return;
      this.#scheduled = true;
      this.#timers.setTimeout(() => this.#flush(), 0);
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const { command, resolve, reject } of waiting) {
      let proposed: Promise<T>;
      try {
        proposed = this.#propose(command);
      } catch (error) {
        proposed = Promise.reject(error);
      }
      this.#inFlight++;
      proposed.then(
        (value) => {
          this.#inFlight--;
          resolve(value);
        },
        (error: unknown) => {
          this.#inFlight--;
          reject(error);
        },
      );
    }
  }
}
