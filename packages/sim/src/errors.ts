import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/**
 * Thrown when a simulation run fails: node code threw, or a check of its history failed.
 * The message names the seed and the command that replays the run.
 */
export class SimulationError extends LatticeError {
  static readonly code = 'ERR_SIMULATION';
  override readonly name = 'SimulationError';
  /** Seed of the failing run. */
  readonly seed: number;
  /** Shell command that replays the run. */
  readonly replay: string;
  constructor(message: string, seed: number, replay: string, options?: LatticeErrorOptions) {
    super(SimulationError.code, `${message}\n  seed: ${seed}\n  replay: ${replay}`, options);
    this.seed = seed;
    this.replay = replay;
  }
}

/**
 * Thrown when a simulated run's history is not linearizable (or could not be decided in the
 * time budget). The message holds the seed, the replay command and the counterexample.
 */
export class NotLinearizableError extends LatticeError {
  static readonly code = 'ERR_NOT_LINEARIZABLE';
  override readonly name = 'NotLinearizableError';
  /** Seed of the failing run. */
  readonly seed: number;
  /** Shell command that replays the run. */
  readonly replay: string;
  /** The checker's verdict: `not linearizable` or `unknown`. */
  readonly verdict: string;
  constructor(message: string, seed: number, replay: string, verdict: string, options?: LatticeErrorOptions) {
    super(NotLinearizableError.code, `${message}\n  seed: ${seed}\n  replay: ${replay}`, options);
    this.seed = seed;
    this.replay = replay;
    this.verdict = verdict;
  }
}

/**
 * Thrown by a client's operation to say it definitely did not take effect (a refusal such as
 * "not the leader"). The simulator records it as a failed operation and leaves it out of the
 * history; any other error makes the outcome unknown.
 */
export class OperationFailedError extends LatticeError {
  static readonly code = 'ERR_OPERATION_FAILED';
  override readonly name = 'OperationFailedError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(OperationFailedError.code, message, options);
  }
}
