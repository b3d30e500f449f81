import { isNodeId, ProtocolViolationError } from '@lattice/core';
import type { SwimMessage, Update } from './types.js';

/** memberlist's `MetaMaxSize`: metadata has to fit a datagram beside the rest. */
export const MAX_META_BYTES = 512;
/** More updates or members than this in one message is not a SWIM peer talking. */
export const MAX_ITEMS_PER_MESSAGE = 100_000;

function fail(reason: string, peer: string | undefined): never {
  throw new ProtocolViolationError(`Invalid SWIM message: ${reason}`, peer === undefined ? {} : { peer });
}

function checkCounter(value: unknown, what: string, peer: string | undefined): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(`${what} is not a non-negative safe integer`, peer);
}

function checkMeta(meta: unknown, peer: string | undefined): void {
  if (!(meta instanceof Uint8Array)) fail('metadata is not bytes', peer);
  if (meta.length > MAX_META_BYTES) fail(`metadata of ${meta.length} bytes (at most ${MAX_META_BYTES})`, peer);
}

function checkUpdates(updates: unknown, peer: string | undefined): void {
  if (!Array.isArray(updates)) fail('updates is not an array', peer);
  if (updates.length > MAX_ITEMS_PER_MESSAGE) fail(`${updates.length} updates`, peer);
  for (const u of updates as Update[]) {
    if (typeof u !== 'object' || u === null) fail('an update is not an object', peer);
    if (!isNodeId(u.id)) fail('an update names no valid member', peer);
    checkCounter(u.incarnation, 'incarnation', peer);
    if (u.kind === 'alive') checkMeta(u.meta, peer);
    else if (u.kind === 'suspect' || u.kind === 'dead') {
      if (!isNodeId(u.from)) fail(`a ${u.kind} update names no valid reporter`, peer);
    } else fail(`unknown update kind ${JSON.stringify((u as { kind: unknown }).kind)}`, peer);
  }
}

/**
 * Checks everything a message claims before the core acts on any of it: a peer's garbage or
 * forgery throws `ProtocolViolationError` and changes nothing.
 */
export function checkSwimMessage(message: SwimMessage, peer?: string): void {
  if (typeof message !== 'object' || message === null) fail('not an object', peer);
  switch (message.type) {
    case 'ping':
    case 'pingReq':
      checkCounter(message.seq, 'seq', peer);
      if (!isNodeId(message.target)) fail('no valid target', peer);
      checkUpdates(message.updates, peer);
      return;
    case 'ack':
      checkCounter(message.seq, 'seq', peer);
      checkUpdates(message.updates, peer);
      return;
    case 'nack':
      checkCounter(message.seq, 'seq', peer);
      return;
    case 'gossip':
      checkUpdates(message.updates, peer);
      return;
    case 'pushPull': {
      if (typeof message.join !== 'boolean' || typeof message.reply !== 'boolean') fail('push/pull flags are not booleans', peer);
      if (!Array.isArray(message.members) || message.members.length > MAX_ITEMS_PER_MESSAGE) fail('members is not a bounded array', peer);
      const seen = new Set<string>();
      for (const m of message.members) {
        if (typeof m !== 'object' || m === null || !isNodeId(m.id)) fail('a member has no valid id', peer);
        if (seen.has(m.id)) fail(`member "${m.id}" listed twice`, peer);
        seen.add(m.id);
        checkCounter(m.incarnation, 'incarnation', peer);
        if (m.state !== 'alive' && m.state !== 'suspect' && m.state !== 'dead' && m.state !== 'left') fail('unknown member state', peer);
        checkMeta(m.meta, peer);
      }
      return;
    }
    default:
      fail(`unknown message type ${JSON.stringify((message as { type: unknown }).type)}`, peer);
  }
}
