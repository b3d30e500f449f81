import { assertObject, assertOptionalObject, describeValue, InvalidArgumentError } from '@lattice/core';
import type { RateLimitPolicy, RateLimitResult } from './limiter.js';

/** Options of {@link rateLimitHeaders}. */
export interface HeaderOptions {
  /** Also emit `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (epoch seconds). Default false. */
  legacy?: boolean;
  /** Emit the IETF `RateLimit` / `RateLimit-Policy` fields. Default true. */
  standard?: boolean;
}

/**
 * The HTTP response header fields for a decision: the IETF `RateLimit-Policy` and `RateLimit`
 * fields (draft-ietf-httpapi-ratelimit-headers: `"name";q=quota;w=window` and
 * `"name";r=remaining;t=seconds-to-reset`), optionally the legacy `X-RateLimit-*` trio, and
 * `Retry-After` (seconds, rounded up) when refused.
 *
 * @example
 * ```ts
 * const result = await limiter.consume(ip);
 * for (const [name, value] of Object.entries(rateLimitHeaders(result, limiter.policy))) res.setHeader(name, value);
 * if (!result.allowed) { res.statusCode = 429; res.end(); }
 * ```
 */
export function rateLimitHeaders(result: RateLimitResult, policy: RateLimitPolicy, options: HeaderOptions = {}): Record<string, string> {
  assertObject(result, 'result');
  assertObject(policy, 'policy');
  assertOptionalObject(options, 'options');
  if (typeof policy.name !== 'string') throw new InvalidArgumentError(`policy.name must be a string, got ${describeValue(policy.name)}`);
  for (const name of ['quota', 'windowMs'] as const) {
    if (typeof policy[name] !== 'number') throw new InvalidArgumentError(`policy.${name} must be a number, got ${describeValue(policy[name])}`);
  }
  if (typeof result.allowed !== 'boolean') throw new InvalidArgumentError(`result.allowed must be true or false, got ${describeValue(result.allowed)}`);
  for (const name of ['remaining', 'resetAt', 'resetAfter', 'retryAfter', 'limit'] as const) {
    if (typeof result[name] !== 'number') throw new InvalidArgumentError(`result.${name} must be a number, got ${describeValue(result[name])}`);
  }
  const headers: Record<string, string> = {};
  const name = policyName(policy.name);
  const resetSeconds = Math.ceil(result.resetAfter / 1000);
  if (options.standard !== false) {
    headers['RateLimit-Policy'] = `${name};q=${policy.quota};w=${Math.max(1, Math.ceil(policy.windowMs / 1000))}`;
    headers['RateLimit'] = `${name};r=${result.remaining};t=${resetSeconds}`;
  }
  if (options.legacy === true) {
    headers['X-RateLimit-Limit'] = String(result.limit);
    headers['X-RateLimit-Remaining'] = String(result.remaining);
    headers['X-RateLimit-Reset'] = String(Math.ceil(result.resetAt / 1000));
  }
  if (!result.allowed) headers['Retry-After'] = String(Math.max(1, Math.ceil(result.retryAfter / 1000)));
  return headers;
}

/** An sf-string for the policy name (structured fields, RFC 9651): quotes and backslashes escaped, non-ASCII dropped. */
function policyName(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '');
  return `"${ascii.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
