/**
 * Lifeguard's local health awareness (memberlist's `awareness.go`): a score in
 * [0, max − 1] raised when this member misses acks or nacks it expected and when it must
 * refute a suspicion of itself, lowered by a successful probe. Probe timeouts and intervals are
 * multiplied by score + 1, so a member that is itself slow probes less eagerly and suspects
 * others less readily.
 */
export class Awareness {
  readonly #max: number;
  #score = 0;

  constructor(maxMultiplier: number) {
    this.#max = maxMultiplier;
  }

  get score(): number {
    return this.#score;
  }

  applyDelta(delta: number): void {
    this.#score = Math.min(this.#max - 1, Math.max(0, this.#score + delta));
  }

  scale(ms: number): number {
    return ms * (this.#score + 1);
  }
}
