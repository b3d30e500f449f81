import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/** Thrown when the simulated cache cluster did not reach the membership a step waits for within the run. */
export class CacheClusterUnsettledError extends LatticeError {
  static readonly code = 'ERR_CACHE_CLUSTER_UNSETTLED';
  override readonly name = 'CacheClusterUnsettledError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(CacheClusterUnsettledError.code, message, options);
  }
}
