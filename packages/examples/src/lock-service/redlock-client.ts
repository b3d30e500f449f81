/**
 * The Redlock algorithm (https://redis.io/docs/latest/develop/use/patterns/distributed-locks/)
 * over N independent Redis-like nodes: set the key with a random value, `NX PX ttl`, on every
 * node in turn, each with a short timeout; the lock is held if a majority said yes and time is
 * left: validity = TTL − elapsed − drift (drift = 1% of TTL + 2 ms). Otherwise unlock everywhere.
 * There is no fencing token: the value is random, so the resource cannot order two holders.
 */
import type { Clock, NodeId, Random } from '@lattice/core';
import type { Rpc } from './rpc.js';

/** A Redlock this client believes it holds until `validUntil` (its monotonic clock). */
export interface Redlock {
  readonly key: string;
  readonly value: string;
  readonly validUntil: number;
  /** The nodes that said yes. */
  readonly on: readonly NodeId[];
}

/** Options of {@link RedlockClient}. */
export interface RedlockClientOptions {
  /** The independent Redis-like nodes. */
  readonly nodes: readonly NodeId[];
  readonly clock: Clock;
  readonly random: Random;
  /** This client's name, part of each lock's random value. */
  readonly name: string;
  /** Per-node timeout, small next to the TTL (the algorithm's "5–50 ms for a 10 s TTL"). Default 30 ms. */
  readonly nodeTimeoutMs?: number;
  /** Default 0.01. */
  readonly clockDriftFactor?: number;
}

/** A Redlock client. */
export class RedlockClient {
  readonly #rpc: Rpc;
  readonly #options: RedlockClientOptions;

  constructor(rpc: Rpc, options: RedlockClientOptions) {
    this.#rpc = rpc;
    this.#options = options;
  }

  /** One attempt at the lock; undefined when no majority said yes in time (the keys set are then removed). */
  async acquire(key: string, ttlMs: number): Promise<Redlock | undefined> {
    const { nodes, clock, random, name } = this.#options;
    const value = `${name}:${random.int(0x7fff_ffff).toString(36)}`;
    const start = clock.monotonic();
    const on: NodeId[] = [];
    for (const node of nodes) {
      const reply = await this.#rpc.call(node, { t: 'set', key, value, ttlMs }, this.#options.nodeTimeoutMs ?? 30);
      if ((reply as { ok?: unknown } | undefined)?.ok === true) on.push(node);
    }
    const elapsed = clock.monotonic() - start;
    const drift = Math.floor(ttlMs * (this.#options.clockDriftFactor ?? 0.01)) + 2;
    const validity = ttlMs - elapsed - drift;
    if (on.length >= Math.floor(nodes.length / 2) + 1 && validity > 0) return { key, value, validUntil: start + validity, on };
    await this.release({ key, value, validUntil: start, on: nodes });
    return undefined;
  }

  /** Removes the key wherever it still holds this lock's value. */
  async release(lock: Redlock): Promise<void> {
    await Promise.all(this.#options.nodes.map((node) => this.#rpc.call(node, { t: 'del', key: lock.key, value: lock.value }, this.#options.nodeTimeoutMs ?? 30)));
  }
}
