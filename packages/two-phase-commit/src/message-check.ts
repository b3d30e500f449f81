import { isNodeId, type NodeId, ProtocolViolationError } from '@lattice/core';
import { MAX_PARTICIPANTS } from './codec.js';
import { gidProblem } from './gid.js';
import type { TwoPhaseMessage } from './types.js';

const FIELDS: Record<TwoPhaseMessage['type'], (m: Record<string, unknown>) => boolean> = {
  prepare: (m) =>
    m['ops'] instanceof Uint8Array &&
    Array.isArray(m['participants']) &&
    m['participants'].length > 0 &&
    m['participants'].length <= MAX_PARTICIPANTS &&
    m['participants'].every(isNodeId) &&
    new Set(m['participants']).size === m['participants'].length,
  vote: (m) => m['vote'] === 'yes' || m['vote'] === 'no',
  decision: (m) => m['outcome'] === 'committed' || m['outcome'] === 'aborted',
  ack: () => true,
  status: (m) => m['coordinator'] === undefined || isNodeId(m['coordinator']),
  forgotten: () => true,
  peerState: (m) => m['state'] === 'committed' || m['state'] === 'aborted' || m['state'] === 'prepared',
};

/**
 * Checks the shape of a peer's message before a core looks at it (the codec checks the same for
 * bytes; this guards cores fed directly). Throws `ProtocolViolationError`.
 */
export function checkMessage(from: NodeId, message: unknown): asserts message is TwoPhaseMessage {
  if (typeof message !== 'object' || message === null) throw new ProtocolViolationError(`A message from "${from}" is not an object`, { peer: from });
  const m = message as Record<string, unknown>;
  const check = typeof m['type'] === 'string' && Object.hasOwn(FIELDS, m['type']) ? FIELDS[m['type'] as TwoPhaseMessage['type']] : undefined;
  if (check === undefined) throw new ProtocolViolationError(`Unknown message type from "${from}"`, { peer: from });
  const problem = gidProblem(m['gid']);
  if (problem !== undefined) throw new ProtocolViolationError(`A "${String(m['type'])}" from "${from}" has a bad gid: ${problem}`, { peer: from });
  if (!check(m)) throw new ProtocolViolationError(`A malformed "${String(m['type'])}" from "${from}"`, { peer: from });
}
