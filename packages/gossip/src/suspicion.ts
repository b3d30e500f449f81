/**
 * Lifeguard's dogpile: a suspicion starts with a long timeout that shrinks towards the short
 * one as independent members confirm it, `max − log(c + 1)/log(k + 1) · (max − min)` after c
 * of the k expected confirmations (memberlist's `suspicion.go`). The longer start gives a
 * slow-but-alive member time to refute; confirmations from others end it early when it is dead.
 */
export class Suspicion {
  readonly #confirmations = new Set<string>();
  readonly #expected: number;
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #startedAt: number;
  /** The incarnation the suspicion is about. */
  readonly incarnation: number;

  /**
   * @param by - the member whose report started it (it does not count as a confirmation)
   * @param expected - confirmations that bring the timeout down to `minMs`
   */
  constructor(incarnation: number, by: string, expected: number, minMs: number, maxMs: number, startedAt: number) {
    this.incarnation = incarnation;
    this.#expected = expected;
    this.#minMs = minMs;
    this.#maxMs = expected < 1 ? minMs : maxMs;
    this.#startedAt = startedAt;
    this.#confirmations.add(by);
  }

  /** Counts `from` once; true when it was new (a new confirmation is worth re-gossiping). */
  confirm(from: string): boolean {
    if (this.#confirmations.size - 1 >= this.#expected || this.#confirmations.has(from)) return false;
    this.#confirmations.add(from);
    return true;
  }

  /** Independent confirmations so far. */
  get confirmations(): number {
    return this.#confirmations.size - 1;
  }

  /** The current timeout, ms after the start. */
  timeoutMs(): number {
    return suspicionTimeout(this.confirmations, this.#expected, this.#minMs, this.#maxMs);
  }

  /** When the member is to be declared dead. */
  deadline(): number {
    return this.#startedAt + this.timeoutMs();
  }
}

/** memberlist's `remainingSuspicionTime` without the elapsed part. */
export function suspicionTimeout(confirmations: number, expected: number, minMs: number, maxMs: number): number {
  if (expected < 1) return minMs;
  const fraction = Math.log(confirmations + 1) / Math.log(expected + 1);
  const timeout = Math.floor(maxMs - fraction * (maxMs - minMs));
  return Math.max(minMs, timeout);
}
