/**
 * The messages of the lock-service examples, as JSON over a `Transport`: client requests to the
 * lock nodes, the Redis-like nodes and the guarded store, and their replies. Every decode
 * checks the shape, so a peer's garbage is a `LockMessageError`, never a crash.
 */
import { LockMessageError } from './errors.js';

/** A request to a lock node. */
export type LockRequest =
  | { readonly t: 'acquire'; readonly req: number; readonly lock: string; readonly leaseMs: number }
  | { readonly t: 'renew'; readonly req: number; readonly lock: string; readonly token: number; readonly leaseMs: number }
  | { readonly t: 'release'; readonly req: number; readonly lock: string; readonly token: number }
  | { readonly t: 'read'; readonly req: number; readonly lock: string };

/** A request to a Redis-like node: `SET key value NX PX ttlMs`, or the compare-and-delete script of Redlock's unlock. */
export type RedisRequest =
  | { readonly t: 'set'; readonly req: number; readonly key: string; readonly value: string; readonly ttlMs: number }
  | { readonly t: 'del'; readonly req: number; readonly key: string; readonly value: string };

/** A write to the guarded store; `token` is null from a client that has no fencing token (Redlock). */
export interface WriteRequest {
  readonly t: 'write';
  readonly req: number;
  readonly token: number | null;
  readonly value: string;
}

/** Any request of these examples. */
export type Request = LockRequest | RedisRequest | WriteRequest;

/** The answer to request `req`. */
export interface Reply {
  readonly t: 'reply';
  readonly req: number;
  readonly result: unknown;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The bytes of a request or reply. */
export function encodeMessage(message: Request | Reply): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

// Field name → the check it must pass, per message type: one table instead of a switch per field.
const FIELDS: Record<string, Record<string, (value: unknown) => boolean>> = {
  acquire: { lock: isName, leaseMs: isPositive },
  renew: { lock: isName, token: isPositive, leaseMs: isPositive },
  release: { lock: isName, token: isPositive },
  read: { lock: isName },
  set: { key: isName, value: isText, ttlMs: isPositive },
  del: { key: isName, value: isText },
  write: { token: (value) => value === null || isPositive(value), value: isText },
  reply: { result: (value) => value !== undefined },
};

/** Decodes a request or reply; throws `LockMessageError` for anything else. */
export function decodeMessage(bytes: Uint8Array): Request | Reply {
  let message: unknown;
  try {
    message = JSON.parse(decoder.decode(bytes));
  } catch (cause) {
    throw new LockMessageError('message is not JSON', { cause });
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) throw new LockMessageError('message is not an object');
  const { t, req } = message as { t?: unknown; req?: unknown };
  const fields = typeof t === 'string' && Object.hasOwn(FIELDS, t) ? FIELDS[t] : undefined;
  if (fields === undefined) throw new LockMessageError(`unknown message type ${JSON.stringify(t)}`);
  if (typeof req !== 'number' || !Number.isSafeInteger(req) || req < 0) throw new LockMessageError(`${t}: req must be a non-negative integer`);
  for (const [field, valid] of Object.entries(fields)) {
    if (!valid((message as Record<string, unknown>)[field])) throw new LockMessageError(`${t}: bad ${field}`);
  }
  return message as Request | Reply;
}

function isName(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0 && value.length <= 256;
}

function isText(value: unknown): boolean {
  return typeof value === 'string' && value.length <= 4096;
}

function isPositive(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}
