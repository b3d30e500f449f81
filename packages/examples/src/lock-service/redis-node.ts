/**
 * An independent Redis-like node for Redlock: `SET key value NX PX ttl` and the
 * compare-and-delete script of unlocking, in memory, expiring keys by this node's own wall
 * clock — as Redis does, so a clock that jumps forward expires a key early.
 */
import { isLatticeError } from '@lattice/core';
import type { NodeContext } from '@lattice/sim';
import { LockMessageError } from './errors.js';
import { decodeMessage, encodeMessage } from './wire.js';

/** A running Redis-like node. */
export interface RedisNode {
  /** The value of `key` if it has not expired by this node's clock. */
  get(key: string): string | undefined;
}

/** Starts a Redis-like node on a simulated node (a `NodeFactory` body). Keys do not survive a crash (no persistence). */
export function startRedisNode(ctx: NodeContext): RedisNode {
  const keys = new Map<string, { value: string; expiresAt: number }>();
  const get = (key: string): string | undefined => {
    const entry = keys.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= ctx.clock.now()) {
      keys.delete(key);
      return undefined;
    }
    return entry.value;
  };
  ctx.endpoint.onMessage((envelope) => {
    let request: ReturnType<typeof decodeMessage>;
    try {
      request = decodeMessage(envelope.payload);
      if (request.t !== 'set' && request.t !== 'del') throw new LockMessageError(`a Redis node does not serve ${request.t}`);
    } catch (error) {
      if (isLatticeError(error)) ctx.log(`${error.name}: ${error.message}`);
      return;
    }
    let ok: boolean;
    if (request.t === 'set') {
      ok = get(request.key) === undefined;
      if (ok) keys.set(request.key, { value: request.value, expiresAt: ctx.clock.now() + request.ttlMs });
    } else {
      ok = get(request.key) === request.value;
      if (ok) keys.delete(request.key);
    }
    ctx.endpoint.send(envelope.from, encodeMessage({ t: 'reply', req: request.req, result: { ok } })).catch(() => undefined);
  });
  return { get };
}
