import { systemClock } from '@lattice/core';
import autocannon from 'autocannon';
import type { RateLimitedApi } from './api.js';

/** What one user's load generator saw. */
export interface UserLoad {
  readonly user: string;
  readonly sent: number;
  readonly ok: number;
  readonly tooMany: number;
  /** Answers other than 200 and 429 (5xx included), and connection errors. */
  readonly unexpected: number;
}

export interface LoadReport {
  readonly seconds: number;
  readonly users: readonly UserLoad[];
}

/**
 * Drives the API with one autocannon instance per user (each with its own API key), all at once,
 * for `seconds`; `during` runs alongside (a test restarts Redis there).
 */
export async function loadApi(
  api: RateLimitedApi,
  users: readonly string[],
  options: { readonly seconds: number; readonly connectionsPerUser?: number; readonly during?: () => Promise<void> },
): Promise<LoadReport> {
  const started = systemClock.monotonic();
  const runs = users.map((user) =>
    autocannon({
      url: `${api.url}/hello`,
      connections: options.connectionsPerUser ?? 8,
      duration: options.seconds,
      headers: { 'x-api-key': user },
      timeout: 5,
    }),
  );
  const [results] = await Promise.all([Promise.all(runs), options.during?.()]);
  const seconds = (systemClock.monotonic() - started) / 1000;
  return {
    seconds,
    users: results.map((result, i) => {
      const count = (status: number) => result.statusCodeStats?.[`${status}`]?.count ?? 0;
      const ok = count(200);
      const tooMany = count(429);
      return { user: users[i]!, sent: result.requests.sent, ok, tooMany, unexpected: result['2xx'] + result.non2xx - ok - tooMany + result.errors };
    }),
  };
}
