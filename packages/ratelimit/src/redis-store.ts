import { assertFunction, assertInteger, assertNumber, assertObject, assertOptionalClock, assertOptionalTimers, type Clock, ClosedError, InvalidArgumentError, systemClock, systemTimers, TimeoutError, type Timers } from '@lattice/core';
import { type AlgorithmId, type LimitSpec, RESULT_STRIDE, StoreAction } from './algorithms.js';
import { StoreReplyError, StoreUnavailableError } from './errors.js';
import { sha1Hex } from './sha1.js';
import { buildLeanScript, buildRateLimitScript, decodeLeanReply, hasLeanScript, isLeanAction } from './lua.js';
import { MemoryStore } from './memory-store.js';
import { type RedisAdapter, redisAdapter } from './redis-adapter.js';
import { checkStore, type Store } from './store.js';

/**
 * What a {@link RedisStore} does when Redis fails or exceeds `timeoutMs`:
 * - `'throw'` (default): the call rejects with a `StoreUnavailableError`.
 * - `'open'`: the request is allowed (remaining = limit − cost); availability over protection.
 * - `'closed'`: the request is refused with `retryAfter = closedRetryAfterMs`; protection over availability.
 * - `'insurance'`: the decision is made by an in-process store (`insurance`, default a new
 *   `MemoryStore`), so each process limits on its own until Redis answers again.
 *
 * With every policy but `'throw'`, the error is passed to `onError` (required then), so a
 * failure is never silent.
 */
export type RedisFailurePolicy = 'throw' | 'open' | 'closed' | 'insurance';

/** What `onError` learns about a failed decision. */
export interface StoreErrorContext {
  readonly action: StoreAction;
  readonly key: string;
  readonly policy: RedisFailurePolicy;
}

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** An `ioredis` client (`Redis` or `Cluster`) or a `redis` (node-redis) client; or pass `adapter`. */
  client?: unknown;
  /** A {@link RedisAdapter} for any other client (or to count or wrap commands). */
  adapter?: RedisAdapter;
  /** Prefix of every key (no braces). Default `'rl:'`. Keys are `prefix{userKey}:limitName`. */
  prefix?: string;
  /** Longest a decision may take before the failure policy applies, in ms; 0 disables. Default 1000. */
  timeoutMs?: number;
  /** See {@link RedisFailurePolicy}. Default `'throw'`. */
  failure?: RedisFailurePolicy;
  /** Called with every error the policy absorbs. Required unless `failure` is `'throw'`. */
  onError?: (error: StoreUnavailableError, context: StoreErrorContext) => void;
  /** The store used while Redis fails, with `failure: 'insurance'`. Default a new `MemoryStore`. */
  insurance?: Store;
  /** `retryAfter` of refusals under `failure: 'closed'`, in ms. Default 1000. */
  closedRetryAfterMs?: number;
  /** Timers for `timeoutMs`. Default `systemTimers`. */
  timers?: Timers;
  /**
   * Clock for the results of the `'open'`/`'closed'` policies (Redis's `TIME` is used otherwise),
   * and whose monotonic time measures `timeoutMs` (one timer serves every command in flight).
   * Give tests the same fake for `clock` and `timers`. Default `systemClock`.
   */
  clock?: Clock;
  /**
   * Send decisions made while commands are in flight together at the end of the tick, in as few
   * commands as possible (consecutive decisions on one limit share one lean script run; each is
   * still applied atomically, in order); a decision made while nothing is in flight is sent at
   * once. A decision never takes more than one round trip, and concurrent ones share it.
   * Default true; false sends one command per decision.
   */
  batch?: boolean;
  /** Most decisions per command when batching (smaller batches overlap better with the server). Default 16. */
  maxBatch?: number;
  /**
   * Redis Cluster: a command then only carries decisions of one user key (one hash slot).
   * Default: true for an ioredis `Cluster` client, else false.
   */
  cluster?: boolean;
}

interface LoadedScript {
  readonly text: string;
  readonly sha: string;
  /** True once the server answered a command with this script (it then holds it for `EVALSHA`). */
  loaded: boolean;
}

interface PendingDecision {
  readonly action: StoreAction;
  readonly key: string;
  readonly specs: readonly LimitSpec[];
  readonly amount: number;
  readonly arg: number;
  /** Settles the caller's promise with `map(decision)` (or the decision, without `map`). */
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** What the caller's promise resolves with, from the decision (see `applyMapped`); must not throw. */
  readonly map: ((out: number[]) => unknown) | undefined;
}

/** One command on its way: the decisions it carries and how to send it (again, after a NOSCRIPT). */
interface InFlight {
  readonly batch: readonly PendingDecision[];
  readonly script: LoadedScript;
  /** The script is a single-request lean script: its reply is compact (`decodeLeanReply`). */
  readonly compact: boolean;
  readonly keys: string[];
  readonly args: (string | number)[];
  settled: boolean;
  /** When the command times out, in the clock's monotonic ms (set when it is watched). */
  deadline: number;
  /** The next watched command (sent after this one). */
  next: InFlight | undefined;
}

/** Counters of a {@link RedisStore}. */
export interface RedisStoreStats {
  /** Commands sent (EVALSHA plus EVAL fallbacks): the round trips. Never more than one per decision (plus a reload). */
  roundTrips: number;
  /** Decisions answered by Redis. */
  decisions: number;
  /** `NOSCRIPT` replies that made the store fall back to `EVAL`. */
  scriptReloads: number;
  /** Decisions handled by the failure policy. */
  failures: number;
}

/**
 * A store in Redis (6.2 or later). Each decision is one Lua script run with one `EVALSHA` (`EVAL`
 * until the server holds the script, and again when it answers `NOSCRIPT`, e.g. after a restart):
 * a lean script generated per limit for single-limit consume/peek/penalty/reward on a fixed-size
 * state, the general script for everything else. The script takes its time
 * from Redis `TIME`, sets a TTL on every key it writes, and keeps the keys of one user key under
 * one hash tag, so it is safe on Redis Cluster. Works with `ioredis` and `redis` (node-redis).
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * const store = new RedisStore({ client: new Redis(), failure: 'insurance', onError: (e) => log.warn(e) });
 * const limiter = new SlidingWindowCounter({ store, limit: 100, windowMs: 60_000 });
 * const { allowed } = await limiter.consume(`ip:${ip}`);
 * ```
 */
export class RedisStore implements Store {
  readonly kind = 'redis';
  readonly #adapter: RedisAdapter;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #policy: RedisFailurePolicy;
  readonly #onError: ((error: StoreUnavailableError, context: StoreErrorContext) => void) | undefined;
  readonly #insurance: Store | undefined;
  readonly #closedRetryAfterMs: number;
  readonly #timers: Timers;
  readonly #clock: Clock;
  readonly #batch: boolean;
  readonly #maxBatch: number;
  readonly #cluster: boolean;
  readonly #queued = new Map<string, PendingDecision[]>();
  #pending: PendingDecision[] = [];
  /** The lean script of each limit that has one (scripts are shared by equal limits, see #scripts). */
  readonly #leanScripts = new WeakMap<LimitSpec, LoadedScript>();
  readonly #leanSingleScripts = new WeakMap<LimitSpec, LoadedScript>();
  #flushScheduled = false;
  /** Commands sent and not answered yet (answers come back in order on one connection). */
  #inFlight = 0;
  /**
   * Commands whose timeout is watched, a list from the oldest (`#oldest`, linked by `next`) to the
   * newest: settled ones are dropped from the front as they settle. One timer, armed for the
   * oldest deadline, serves them all (a timer per command cost ≈ 1 µs per decision to set and clear).
   */
  #oldest: InFlight | undefined;
  #newest: InFlight | undefined;
  #timerArmed = false;
  readonly #timeoutMessage: string;
  #closed = false;
  /** The script for each set of algorithms seen, with its SHA once computed. */
  readonly #scripts = new Map<string, LoadedScript>();
  readonly #stats: RedisStoreStats = { roundTrips: 0, decisions: 0, scriptReloads: 0, failures: 0 };

  constructor(options: RedisStoreOptions) {
    assertObject(options, 'RedisStore options');
    if ((options.adapter === undefined) === (options.client === undefined)) throw new InvalidArgumentError('RedisStore needs exactly one of client and adapter');
    const { adapter } = options;
    if (adapter !== undefined && (typeof adapter?.evalsha !== 'function' || typeof adapter.eval !== 'function')) {
      throw new InvalidArgumentError('options.adapter must be a RedisAdapter (evalsha and eval functions)');
    }
    this.#adapter = adapter ?? redisAdapter(options.client);
    this.#prefix = options.prefix ?? 'rl:';
    if (typeof this.#prefix !== 'string') throw new InvalidArgumentError(`prefix must be a string, got ${typeof this.#prefix}`);
    if (/[{}]/.test(this.#prefix)) throw new InvalidArgumentError(`prefix must not contain braces (they are the hash tag), got "${this.#prefix}"`);
    this.#timeoutMs = options.timeoutMs ?? 1000;
    assertNumber(this.#timeoutMs, 'timeoutMs', 0);
    this.#policy = options.failure ?? 'throw';
    if (!['throw', 'open', 'closed', 'insurance'].includes(this.#policy)) throw new InvalidArgumentError(`Unknown failure policy "${this.#policy}"`);
    if (options.onError !== undefined) assertFunction(options.onError, 'options.onError');
    this.#onError = options.onError;
    if (this.#policy !== 'throw' && this.#onError === undefined) {
      throw new InvalidArgumentError(`failure: '${this.#policy}' needs an onError hook, so Redis errors are never silent`);
    }
    assertOptionalClock(options.clock, 'options.clock');
    assertOptionalTimers(options.timers, 'options.timers');
    if (options.insurance !== undefined) checkStore(options.insurance, 'options.insurance');
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#insurance = this.#policy === 'insurance' ? (options.insurance ?? new MemoryStore({ clock: this.#clock })) : undefined;
    this.#closedRetryAfterMs = options.closedRetryAfterMs ?? 1000;
    assertNumber(this.#closedRetryAfterMs, 'closedRetryAfterMs', 0, Number.MAX_SAFE_INTEGER);
    this.#batch = options.batch ?? true;
    this.#maxBatch = options.maxBatch ?? 16;
    assertInteger(this.#maxBatch, 'maxBatch', 1);
    this.#cluster = options.cluster ?? (options.client as { isCluster?: unknown } | undefined)?.isCluster === true;
    this.#timeoutMessage = `Redis did not answer within ${this.#timeoutMs} ms`;
  }

  /** Round trips, decisions, script reloads and failures so far. */
  get stats(): RedisStoreStats {
    return { ...this.#stats };
  }

  /** The Redis key that holds `key` under the limit named `name`. */
  redisKey(key: string, name: string): string {
    return this.#prefix + '{' + key + '}:' + name;
  }

  apply(action: StoreAction, key: string, specs: readonly LimitSpec[], amount: number, arg: number): Promise<number[]> {
    return this.#request(action, key, specs, amount, arg, undefined) as Promise<number[]>;
  }

  /**
   * @internal `apply`, resolving with `map(decision)` instead of the decision: what a limiter
   * needs, without a second promise per decision. `map` must not throw.
   */
  applyMapped<T>(action: StoreAction, key: string, specs: readonly LimitSpec[], amount: number, arg: number, map: (out: number[]) => T): Promise<T> {
    return this.#request(action, key, specs, amount, arg, map) as Promise<T>;
  }

  /**
   * One decision's promise, its request queued or sent. No function is created per call (the
   * executor below is made once and hands over the promise's settle functions).
   */
  #request(action: StoreAction, key: string, specs: readonly LimitSpec[], amount: number, arg: number, map: ((out: number[]) => unknown) | undefined): Promise<unknown> {
    if (this.#closed) return Promise.reject(new ClosedError('The RedisStore is closed'));
    const promise = new Promise(this.#capture);
    const request: PendingDecision = { action, key, specs, amount, arg, resolve: this.#captured!, reject: this.#capturedReject!, map };
    this.#captured = undefined;
    this.#capturedReject = undefined;
    this.#enqueue(request);
    return promise;
  }

  #captured: ((value: unknown) => void) | undefined;
  #capturedReject: ((error: unknown) => void) | undefined;
  readonly #capture = (resolve: (value: unknown) => void, reject: (error: unknown) => void): void => {
    this.#captured = resolve;
    this.#capturedReject = reject;
  };

  /**
   * Sends `request` now when nothing is in flight or queued (a sequential caller's decision waits
   * for nothing), else queues it for the end of the tick, where the queued decisions are sent
   * together. Either way commands leave in the order the decisions were issued.
   */
  #enqueue(request: PendingDecision): void {
    if (!this.#batch || (this.#inFlight === 0 && !this.#flushScheduled)) {
      this.#send([request]);
      return;
    }
    if (this.#cluster) {
      let queue = this.#queued.get(request.key);
      if (queue === undefined) {
        queue = [];
        this.#queued.set(request.key, queue);
      }
      queue.push(request);
    } else {
      this.#pending.push(request);
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#flushNow);
    }
  }

  readonly #flushNow = (): void => {
    this.#flushScheduled = false;
    if (this.#pending.length > 0) {
      const queue = this.#pending;
      this.#pending = [];
      this.#dispatch(queue);
    }
    if (this.#queued.size > 0) {
      const groups = [...this.#queued.values()];
      this.#queued.clear();
      for (const queue of groups) this.#dispatch(queue);
    }
  };

  /**
   * Sends the queued decisions in order, as few commands as possible: a run of consecutive
   * requests on one limit that a lean script handles shares one lean command, the others share
   * general ones; at most `maxBatch` per command. Commands on one connection run in order.
   */
  #dispatch(queue: PendingDecision[]): void {
    if (queue.length === 1) {
      this.#send(queue);
      return;
    }
    let start = 0;
    while (start < queue.length) {
      const lean = leanSpec(queue[start]!);
      let end = start + 1;
      while (end < queue.length && end - start < this.#maxBatch && leanSpec(queue[end]!) === lean) end++;
      this.#send(start === 0 && end === queue.length ? queue : queue.slice(start, end));
      start = end;
    }
  }

  /**
   * Sends `batch` as one command and settles each request: with its decision, or through the
   * failure policy when Redis fails or exceeds `timeoutMs` (a reply that is not the script's
   * rejects with `StoreReplyError`). One promise per command, no intermediate chains.
   */
  #send(batch: readonly PendingDecision[]): void {
    const keys: string[] = [];
    let args: (string | number)[];
    let script: LoadedScript;
    let compact = false;
    const lean = leanSpec(batch[0]!);
    if (lean !== undefined) {
      // Every request of the batch is on this one limit (see #dispatch).
      args = [];
      for (let i = 0; i < batch.length; i++) {
        const request = batch[i]!;
        keys.push(this.#prefix + '{' + request.key + '}:' + lean.name);
        args.push(request.action, request.amount);
      }
      compact = batch.length === 1;
      script = this.#leanScript(lean, compact);
    } else {
      args = [batch.length];
      let algorithms = '';
      const ids: AlgorithmId[] = [];
      for (const { action, key, specs, amount, arg } of batch) {
        args.push(action, amount, arg, specs.length);
        for (const spec of specs) {
          keys.push(this.#prefix + '{' + key + '}:' + spec.name);
          args.push(spec.algorithm, spec.p1, spec.p2, spec.p3);
          if (!ids.includes(spec.algorithm)) {
            ids.push(spec.algorithm);
            algorithms += spec.algorithm;
          }
        }
      }
      script = this.#script(algorithms, ids);
    }
    const command: InFlight = { batch, script, compact, keys, args, settled: false, deadline: 0, next: undefined };
    this.#stats.roundTrips++;
    this.#inFlight++;
    this.#issue(command, script.loaded);
    if (!command.settled && this.#timeoutMs > 0 && Number.isFinite(this.#timeoutMs)) this.#watch(command);
  }

  /** Starts watching `command`'s timeout (arming the one timer if it is not armed). */
  #watch(command: InFlight): void {
    command.deadline = this.#clock.monotonic() + this.#timeoutMs;
    if (this.#newest === undefined) this.#oldest = command;
    else this.#newest.next = command;
    this.#newest = command;
    if (!this.#timerArmed) {
      this.#timerArmed = true;
      this.#timers.setTimeout(this.#onTimer, this.#timeoutMs);
    }
  }

  /** The timer: fails every watched command past its deadline, then re-arms for the oldest left. */
  readonly #onTimer = (): void => {
    this.#timerArmed = false;
    const now = this.#clock.monotonic();
    for (;;) {
      const oldest = this.#oldest;
      if (oldest === undefined) return;
      if (oldest.settled) {
        this.#dropSettled();
        continue;
      }
      if (oldest.deadline > now) {
        this.#timerArmed = true;
        this.#timers.setTimeout(this.#onTimer, oldest.deadline - now);
        return;
      }
      // Settles it (dropping it from #watched) through the failure policy.
      this.#failure(oldest, new TimeoutError(this.#timeoutMessage));
    }
  };

  /** Drops settled commands from the front of the watched list. */
  #dropSettled(): void {
    let oldest = this.#oldest;
    while (oldest?.settled) {
      const next = oldest.next;
      oldest.next = undefined;
      oldest = next;
    }
    this.#oldest = oldest;
    if (oldest === undefined) this.#newest = undefined;
  }

  /** Sends `command` with `EVALSHA` (`viaSha`) or `EVAL` (the server does not hold the script yet). */
  #issue(command: InFlight, viaSha: boolean): void {
    const { script, keys, args } = command;
    try {
      const reply = viaSha ? this.#adapter.evalsha(script.sha, keys, args) : this.#adapter.eval(script.text, keys, args);
      reply.then(
        (value) => this.#reply(command, value, !viaSha),
        (error: unknown) => this.#error(command, error, viaSha),
      );
    } catch (error) {
      this.#failure(command, error);
    }
  }

  #reply(command: InFlight, reply: unknown, loaded: boolean): void {
    if (loaded) command.script.loaded = true;
    if (!this.#finish(command)) return;
    const batch = command.batch;
    if (command.compact) {
      const out = decodeLeanReply(reply);
      if (out === undefined) {
        batch[0]!.reject(new StoreReplyError(`Unexpected reply from the rate-limit script: ${JSON.stringify(reply)?.slice(0, 200)}`));
        return;
      }
      this.#stats.decisions++;
      settle(batch[0]!, out);
      return;
    }
    let outs: number[][];
    try {
      outs = this.#split(reply, batch);
    } catch (error) {
      for (const request of batch) request.reject(error);
      return;
    }
    for (let i = 0; i < batch.length; i++) settle(batch[i]!, outs[i]!);
  }

  #error(command: InFlight, error: unknown, viaSha: boolean): void {
    if (command.settled) return;
    if (viaSha && isNoScript(error)) {
      // The server lost the script (restart, SCRIPT FLUSH): send it again with EVAL.
      command.script.loaded = false;
      this.#stats.scriptReloads++;
      this.#stats.roundTrips++;
      this.#issue(command, false);
      return;
    }
    this.#failure(command, error);
  }

  #failure(command: InFlight, error: unknown): void {
    if (this.#finish(command)) this.#failAll(error, command.batch);
  }

  /** Marks `command` settled (no longer in flight or watched); false if it already was. */
  #finish(command: InFlight): boolean {
    if (command.settled) return false;
    command.settled = true;
    this.#inFlight--;
    if (this.#oldest === command) this.#dropSettled();
    return true;
  }

  /** Settles every request of a failed command through the failure policy. */
  #failAll(cause: unknown, batch: readonly PendingDecision[]): void {
    for (const request of batch) {
      const { action, key, specs, amount, arg } = request;
      try {
        const out = this.#fail(cause, action, key, specs, amount, arg);
        if (Array.isArray(out)) settle(request, out);
        else out.then((decided) => settle(request, decided), request.reject);
      } catch (error) {
        request.reject(error);
      }
    }
  }

  #split(reply: unknown, batch: readonly PendingDecision[]): number[][] {
    let total = 0;
    for (const request of batch) total += request.specs.length * RESULT_STRIDE;
    const values = this.#check(reply, total);
    if (batch.length === 1) {
      this.#stats.decisions++;
      return [values];
    }
    const now = values[total]!;
    const outs: number[][] = [];
    let offset = 0;
    for (const request of batch) {
      const size = request.specs.length * RESULT_STRIDE;
      const out = values.slice(offset, offset + size);
      out.push(now);
      outs.push(out);
      offset += size;
    }
    this.#stats.decisions += batch.length;
    return outs;
  }

  #script(name: string, ids: readonly AlgorithmId[]): LoadedScript {
    let script = this.#scripts.get(name);
    if (script === undefined) {
      const text = buildRateLimitScript(ids);
      script = { text, sha: sha1Hex(text), loaded: false };
      this.#scripts.set(name, script);
    }
    return script;
  }

  /** The lean script of `spec`: the single-request variant, or the one for several requests. */
  #leanScript(spec: LimitSpec, single: boolean): LoadedScript {
    const cache = single ? this.#leanSingleScripts : this.#leanScripts;
    let script = cache.get(spec);
    if (script === undefined) {
      const id = `${single ? 'one' : 'many'}:${spec.algorithm}:${spec.p1}:${spec.p2}:${spec.p3}`;
      script = this.#scripts.get(id);
      if (script === undefined) {
        const text = buildLeanScript(spec, single);
        script = { text, sha: sha1Hex(text), loaded: false };
        this.#scripts.set(id, script);
      }
      cache.set(spec, script);
    }
    return script;
  }

  #check(reply: unknown, total: number): number[] {
    if (!Array.isArray(reply) || reply.length !== total + 1) {
      throw new StoreReplyError(`Unexpected reply from the rate-limit script: ${JSON.stringify(reply)?.slice(0, 200)}`);
    }
    for (let i = 0; i < reply.length; i++) {
      const value = reply[i];
      if (typeof value !== 'number') reply[i] = Number(value);
    }
    return reply as number[];
  }

  #fail(cause: unknown, action: StoreAction, key: string, specs: readonly LimitSpec[], amount: number, arg: number): number[] | Promise<number[]> {
    const error = new StoreUnavailableError(`Redis could not decide for key "${key}": ${describe(cause)}`, { cause });
    if (this.#policy === 'throw') throw error;
    this.#stats.failures++;
    try {
      this.#onError?.(error, { action, key, policy: this.#policy });
    } catch {
      // The hook is the end of the reporting chain; a throwing hook must not change the decision.
    }
    if (this.#policy === 'insurance') return this.#insurance!.apply(action, key, specs, amount, arg);
    const now = Math.floor(this.#clock.now());
    const open = this.#policy === 'open';
    const out = new Array<number>(specs.length * RESULT_STRIDE + 1).fill(0);
    specs.forEach((spec, i) => {
      const o = i * RESULT_STRIDE;
      out[o] = open ? 1 : 0;
      out[o + 1] = open ? Math.max(0, spec.p1 - (action === StoreAction.Consume ? amount : 0)) : 0;
      out[o + 2] = open ? now : now + this.#closedRetryAfterMs;
      out[o + 3] = open ? 0 : this.#closedRetryAfterMs;
    });
    out[specs.length * RESULT_STRIDE] = now;
    return out;
  }

  /** Does nothing to the client, which belongs to the caller; closes the insurance store it created. */
  /** Refuses later decisions with `ClosedError` and closes the insurance store; the Redis client stays the caller's. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#insurance?.close();
  }
}

/** Resolves `request`'s promise with its decision, mapped when it has a `map`. */
function settle(request: PendingDecision, out: number[]): void {
  request.resolve(request.map === undefined ? out : request.map(out));
}

/** The one limit of `request` when a lean script can decide it, else undefined. */
function leanSpec(request: PendingDecision): LimitSpec | undefined {
  if (request.specs.length !== 1 || !isLeanAction(request.action)) return undefined;
  const spec = request.specs[0]!;
  return hasLeanScript(spec.algorithm) ? spec : undefined;
}

function isNoScript(error: unknown): boolean {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message.includes('NOSCRIPT');
}

function describe(cause: unknown): string {
  const message = (cause as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(cause);
}
