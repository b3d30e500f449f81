import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CompositeLimiter,
  type CompositeResult,
  type RateLimitPolicy,
  type RateLimitResult,
  type RedisFailurePolicy,
  RedisStore,
  rateLimitHeaders,
  SlidingWindowCounter,
  type StoreUnavailableError,
  TokenBucket,
} from '@lattice/ratelimit';

/** The limits the API enforces. */
export interface ApiLimits {
  /** Per API key: a burst of `burst` requests, refilled at `perSecond`. */
  readonly perUser: { readonly burst: number; readonly perSecond: number };
  /** Per API key, a longer quota on top of the burst limit (sliding window). */
  readonly perUserQuota: { readonly limit: number; readonly windowMs: number };
  /** Per client IP, whatever key it presents: the abuse limit. */
  readonly perIp: { readonly limit: number; readonly windowMs: number };
}

export interface RateLimitedApiOptions {
  /** An ioredis (or node-redis) client; the API does not own it. */
  readonly redis: unknown;
  readonly limits: ApiLimits;
  /** What a decision does while Redis is down or slower than `timeoutMs`. Default `'insurance'`. */
  readonly failure?: Exclude<RedisFailurePolicy, 'throw'>;
  /** Longest a Redis decision may take before `failure` applies. Default 100 ms. */
  readonly timeoutMs?: number;
  /** Port to listen on (default 0: any free port), always on 127.0.0.1. */
  readonly port?: number;
}

/** What the API has done so far, for tests, logs and `/stats`. */
export interface ApiStats {
  /** Requests answered 200, per API key (`anonymous` for none). */
  readonly admitted: Readonly<Record<string, number>>;
  /** Requests answered 429. */
  readonly refused: number;
  /** Decisions Redis failed to make that the failure policy absorbed. */
  readonly storeFailures: number;
}

export interface RateLimitedApi {
  readonly url: string;
  readonly port: number;
  stats(): ApiStats;
  close(): Promise<void>;
}

const ANONYMOUS = 'anonymous';

/**
 * Starts a `node:http` API whose every request passes two limits on Redis: the client IP's,
 * then its API key's (a burst limit and a quota, checked together). Responses carry the IETF
 * `RateLimit-Policy` / `RateLimit` fields of the binding limit, and `Retry-After` on a 429.
 */
export async function startRateLimitedApi(options: RateLimitedApiOptions): Promise<RateLimitedApi> {
  const admitted = new Map<string, number>();
  let refused = 0;
  let storeFailures = 0;
  const store = new RedisStore({
    client: options.redis,
    prefix: 'api:',
    failure: options.failure ?? 'insurance',
    timeoutMs: options.timeoutMs ?? 100,
    onError: (_error: StoreUnavailableError) => {
      storeFailures++;
    },
  });
  const { perUser, perUserQuota, perIp } = options.limits;
  const ipLimit = new SlidingWindowCounter({ store, name: 'ip', limit: perIp.limit, windowMs: perIp.windowMs });
  // One composite per user: both of the key's limits are consumed together or not at all.
  const userLimit = new CompositeLimiter([
    new TokenBucket({ store, name: 'burst', capacity: perUser.burst, refillRate: perUser.perSecond, intervalMs: 1000 }),
    new SlidingWindowCounter({ store, name: 'quota', limit: perUserQuota.limit, windowMs: perUserQuota.windowMs }),
  ]);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.url === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats()));
      return;
    }
    const user = apiKeyOf(req);
    const ip = req.socket.remoteAddress ?? 'unknown';
    const byIp = await ipLimit.consume(ip);
    if (!byIp.allowed) return refuse(res, byIp, ipLimit.policy);
    const byUser = user === ANONYMOUS ? undefined : await userLimit.consume(user);
    if (byUser !== undefined && !byUser.allowed) {
      // The IP's unit was spent on a request the user's limit refuses: give it back, so a
      // refused request costs nothing anywhere (as a composite does within one key).
      await ipLimit.reward(ip);
      const binding = bindingLimiter(userLimit, byUser);
      return refuse(res, byUser, binding.policy);
    }
    admitted.set(user, (admitted.get(user) ?? 0) + 1);
    const [result, policy] = byUser === undefined ? [byIp, ipLimit.policy] : [byUser, bindingLimiter(userLimit, byUser).policy];
    res.writeHead(200, { ...rateLimitHeaders(result, policy), 'content-type': 'application/json' });
    res.end(JSON.stringify({ hello: user }));
  };

  const refuse = (res: ServerResponse, result: RateLimitResult, policy: RateLimitPolicy): void => {
    refused++;
    res.writeHead(429, { ...rateLimitHeaders(result, policy), 'content-type': 'text/plain' }).end('Too Many Requests\n');
  };

  const stats = (): ApiStats => ({ admitted: Object.fromEntries(admitted), refused, storeFailures });

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // Only a bug gets here: every store failure is absorbed by the failure policy.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`internal error: ${(error as Error).message}\n`);
    });
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}

/** The key from `Authorization: Bearer <key>` or `x-api-key`; `anonymous` when there is none. */
function apiKeyOf(req: IncomingMessage): string {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim() || ANONYMOUS;
  const header = req.headers['x-api-key'];
  return (Array.isArray(header) ? header[0] : header)?.trim() || ANONYMOUS;
}

/** The limiter whose numbers the composite reported: the refusing one, or the one with least left. */
function bindingLimiter(composite: CompositeLimiter, result: CompositeResult): TokenBucket | SlidingWindowCounter {
  let best = 0;
  for (let i = 1; i < result.results.length; i++) {
    const [a, b] = [result.results[best]!, result.results[i]!];
    const better = result.allowed ? b.remaining < a.remaining : !b.allowed && (a.allowed || b.retryAfter > a.retryAfter);
    if (better) best = i;
  }
  return composite.limiters[best] as TokenBucket | SlidingWindowCounter;
}
