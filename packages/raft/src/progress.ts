/**
 * How the leader replicates to one follower, as in etcd-raft:
 * - `probe`: the leader does not know where the follower's log matches; it sends one append at
 *   a time and waits for the answer (after a rejection it backs off using the follower's hint);
 * - `replicate`: the logs match up to `match`; appends are pipelined, up to the in-flight limits;
 * - `snapshot`: the entries the follower needs are compacted away; a snapshot is being sent.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** The leader's view of one follower. */
export class Progress {
  /** Highest index known to match the leader's log. */
  match = 0;
  /** Next index to send. */
  next: number;
  state: ProgressState = 'probe';
  /** In `probe`: an append is outstanding (no other is sent until it is answered or a heartbeat passes). */
  probeSent = false;
  /** In `snapshot`: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** Heard from during the current check-quorum period. */
  recentActive = true;
  readonly isLearner: boolean;
  /** Appends in flight in `replicate`: their last index and byte size, oldest first. */
  readonly #inflight: { last: number; bytes: number }[] = [];
  #inflightBytes = 0;

  constructor(next: number, isLearner: boolean) {
    this.next = next;
    this.isLearner = isLearner;
  }

  /** True when nothing more may be sent now (a probe outstanding, a snapshot in flight, or the window full). */
  isPaused(maxInflight: number, maxInflightBytes: number): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'snapshot':
        return true;
      case 'replicate':
        return this.#inflight.length >= maxInflight || (maxInflightBytes > 0 && this.#inflightBytes >= maxInflightBytes);
    }
  }

  /** Records that an append ending at `last` of `bytes` bytes was sent. */
  sent(last: number, bytes: number): void {
    if (this.state === 'replicate') {
      if (last >= this.next) this.next = last + 1;
      this.#inflight.push({ last, bytes });
      this.#inflightBytes += bytes;
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /** The follower acknowledged `index`; false when that is old news. */
  acknowledge(index: number): boolean {
    this.probeSent = false;
    while (this.#inflight.length > 0 && this.#inflight[0]!.last <= index) {
      this.#inflightBytes -= this.#inflight.shift()!.bytes;
    }
    if (index <= this.match) return false;
    this.match = index;
    if (this.next <= index) this.next = index + 1;
    return true;
  }

  /**
   * The follower refused an append at `rejected`; moves `next` back to `hint + 1`.
   * Returns false for a stale rejection (an answer to an append sent before a later success).
   */
  backOff(rejected: number, hint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.toProbe();
      this.next = Math.max(this.match + 1, Math.min(rejected, hint + 1));
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(1, this.match + 1, Math.min(rejected, hint + 1));
    this.probeSent = false;
    return true;
  }

  toProbe(): void {
    const from = this.state === 'snapshot' ? Math.max(this.match + 1, this.pendingSnapshot + 1) : this.match + 1;
    this.#reset('probe');
    this.next = from;
  }

  toReplicate(): void {
    this.#reset('replicate');
    this.next = this.match + 1;
  }

  toSnapshot(index: number): void {
    this.#reset('snapshot');
    this.pendingSnapshot = index;
  }

  /** Entries in flight (tests and status). */
  get inflight(): number {
    return this.#inflight.length;
  }

  #reset(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.#inflight.length = 0;
    this.#inflightBytes = 0;
  }
}
