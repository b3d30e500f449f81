/**
 * One read barrier for many reads: while a barrier round (a ReadIndex, or a lease check) is in
 * flight, the reads that arrive wait together for the next round, which starts as soon as the
 * current one ends. Every read is still covered by a round that began after it arrived — what
 * linearizability needs — but a thousand waiting GETs cost one heartbeat round, not a thousand.
 */
export class ReadBarrierBatcher {
  readonly #round: () => Promise<void>;
  #inFlight = false;
  #waiting: { resolve: () => void; reject: (error: unknown) => void }[] = [];

  /** `round` runs one barrier (e.g. `() => raft.read()`). */
  constructor(round: () => Promise<void>) {
    this.#round = round;
  }

  /** Resolves once a barrier round that started after this call has completed. */
  barrier(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      if (!this.#inFlight) this.#start();
    });
  }

  #start(): void {
    const round = this.#waiting;
    this.#waiting = [];
    this.#inFlight = true;
    let started: Promise<void>;
    try {
      started = this.#round();
    } catch (error) {
      started = Promise.reject(error);
    }
    started.then(
      () => {
        for (const read of round) read.resolve();
        this.#next();
      },
      (error: unknown) => {
        for (const read of round) read.reject(error);
        this.#next();
      },
    );
  }

  #next(): void {
    this.#inFlight = false;
    if (this.#waiting.length > 0) this.#start();
  }
}
