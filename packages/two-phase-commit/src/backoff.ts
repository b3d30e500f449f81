/** Retry timing of messages that must get through (phase 2, status queries). */
export interface RetryPolicy {
  /** First delay after a send before it is repeated, ms. */
  readonly initialMs: number;
  /** Longest delay between repeats, ms (each repeat doubles the delay up to this). */
  readonly maxMs: number;
}

export function nextDelay(policy: RetryPolicy, current: number): number {
  return Math.min(policy.maxMs, Math.max(policy.initialMs, current * 2));
}
