import { assertDelay, assertInteger, assertOptionalObject, describeValue as describe, InvalidArgumentError } from '@lattice/core';
import type { NatsConnectionLike, NatsConnectOptions } from './connection.js';
import { assertSubjectPrefix } from './subjects.js';

/** Options of {@link NatsTransport}. */
export interface NatsTransportOptions {
  /**
   * The cluster this transport's nodes belong to. Its nodes' subjects are
   * `<subjectPrefix>.<cluster>.<node>`, so clusters with different names share a NATS
   * deployment without seeing each other's messages. Default `"default"`.
   */
  cluster?: string;
  /** The first token(s) of every subject. Default `"lattice"`. */
  subjectPrefix?: string;
  /** Options of the client's `connect` (servers, authentication, TLS); used unless `connection` is given. */
  connect?: NatsConnectOptions;
  /**
   * An already-connected `NatsConnection` that you own: the transport uses it and never closes
   * it (closing the transport closes its endpoints and subscriptions only).
   */
  connection?: NatsConnectionLike;
  /**
   * Largest payload `send` accepts, in bytes; default (and at most) the server's `max_payload`
   * minus the sender header (4 bytes plus the sender id in UTF-8). Received messages with a
   * larger payload are dropped and reported.
   */
  maxMessageSize?: number;
  /** Nodes known without a probe (see {@link NatsTransport} on unknown peers). */
  peers?: readonly string[];
  /** How long a presence probe of a node never seen waits for an answer. Default 2,000 ms. */
  probeTimeoutMs?: number;
}

export interface ResolvedNatsOptions {
  cluster: string;
  subjectPrefix: string;
  maxMessageSize: number;
  probeTimeoutMs: number;
}

/** Validates every option (a wrong one is refused here, not later from a client callback) and fills in defaults. */
export function resolveOptions(options: NatsTransportOptions): ResolvedNatsOptions {
  assertOptionalObject(options, 'NatsTransport options');
  const cluster = options.cluster ?? 'default';
  if (typeof cluster !== 'string' || cluster.length === 0) throw new InvalidArgumentError(`cluster must be a non-empty string, got ${describe(cluster)}`);
  const subjectPrefix = options.subjectPrefix ?? 'lattice';
  assertSubjectPrefix(subjectPrefix);
  const maxMessageSize = options.maxMessageSize ?? Number.MAX_SAFE_INTEGER;
  assertInteger(maxMessageSize, 'maxMessageSize', 1);
  const probeTimeoutMs = options.probeTimeoutMs ?? 2_000;
  assertDelay(probeTimeoutMs, 'probeTimeoutMs', 1);
  assertOptionalObject(options.connect, 'connect');
  if (options.connection !== undefined && !isConnection(options.connection)) {
    throw new InvalidArgumentError(`connection must be a NatsConnection (with publish, subscribe, request and status), got ${describe(options.connection)}`);
  }
  if (options.connection !== undefined && options.connect !== undefined) {
    throw new InvalidArgumentError('pass either connection (one you own) or connect (options for one the transport makes), not both');
  }
  if (options.peers !== undefined && !Array.isArray(options.peers)) throw new InvalidArgumentError(`peers must be an array of node ids, got ${describe(options.peers)}`);
  return { cluster, subjectPrefix, maxMessageSize, probeTimeoutMs };
}

function isConnection(value: unknown): value is NatsConnectionLike {
  const candidate = value as Partial<Record<keyof NatsConnectionLike, unknown>> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    ['publish', 'subscribe', 'request', 'flush', 'status', 'closed', 'isClosed'].every((method) => typeof candidate[method as keyof NatsConnectionLike] === 'function')
  );
}
