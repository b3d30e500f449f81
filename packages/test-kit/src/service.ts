import { type ServiceName, serviceMissing } from './binaries.js';
import { ServiceUnavailableError } from './errors.js';

/** A private server started for tests: loopback only, its own temp dir, gone after `stop()`. */
export interface RunningService {
  readonly name: ServiceName;
  /** The address clients connect to (`redis://…`, `postgresql://…`, `http://…`, `nats://…`). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The temp dir holding the server's data; removed by `stop()`. */
  readonly dir: string;
  /** Stops the server in an orderly way, waits for it to exit and removes its dir. Idempotent. */
  stop(): Promise<void>;
  /** Kills the server with SIGKILL, as a crash would (the dir stays until `stop()`). */
  kill(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Throws {@link ServiceUnavailableError} with the install line when the service is not installed. */
export function assertServiceInstalled(name: ServiceName): void {
  const missing = serviceMissing(name);
  if (missing !== undefined) throw new ServiceUnavailableError(missing);
}
