import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/** Thrown when a service's server binary is not installed on this machine. */
export class ServiceUnavailableError extends LatticeError {
  static readonly code = 'ERR_SERVICE_UNAVAILABLE';
  override readonly name = 'ServiceUnavailableError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(ServiceUnavailableError.code, message, options);
  }
}

/** Thrown when a service's server was found but did not start or did not become ready in time. */
export class ServiceStartError extends LatticeError {
  static readonly code = 'ERR_SERVICE_START';
  override readonly name = 'ServiceStartError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(ServiceStartError.code, message, options);
  }
}

/** Thrown when a README breaks the examples convention (a `Prints:` without a text block, an unknown service). */
export class ReadmeFormatError extends LatticeError {
  static readonly code = 'ERR_README_FORMAT';
  override readonly name = 'ReadmeFormatError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(ReadmeFormatError.code, message, options);
  }
}
