import { type NodeId, ProtocolViolationError } from '@lattice/core';
import { MESSAGE_TYPES } from './codec.js';
import { decodeConfChange } from './conf-change.js';
import type { ConfState, Entry, RaftMessage } from './types.js';

const KNOWN_TYPES: ReadonlySet<string> = new Set(MESSAGE_TYPES);

function fail(from: NodeId, what: string): never {
  throw new ProtocolViolationError(`Malformed Raft message from "${from}": ${what}`, { peer: from });
}

function index(from: NodeId, value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(from, `${name} must be a non-negative safe integer`);
  return value;
}

function bytes(from: NodeId, value: unknown, name: string): void {
  if (!(value instanceof Uint8Array)) fail(from, `${name} must be bytes`);
}

function nodeList(from: NodeId, value: unknown, name: string): void {
  if (!Array.isArray(value) || value.some((node) => typeof node !== 'string' || node.length === 0)) fail(from, `${name} must be a list of node ids`);
}

function checkConf(from: NodeId, conf: unknown): void {
  if (typeof conf !== 'object' || conf === null) fail(from, 'conf must be an object');
  const c = conf as ConfState;
  nodeList(from, c.voters, 'conf.voters');
  nodeList(from, c.learners, 'conf.learners');
  nodeList(from, c.outgoing, 'conf.outgoing');
  nodeList(from, c.learnersNext, 'conf.learnersNext');
  if (c.voters.length === 0) fail(from, 'conf has no voter');
  if (typeof c.autoLeave !== 'boolean') fail(from, 'conf.autoLeave must be a boolean');
}

function checkEntries(from: NodeId, entries: unknown, term: number, prevIndex: number | undefined, prevTerm: number): void {
  if (!Array.isArray(entries)) fail(from, 'entries must be an array');
  let lastTerm = prevTerm;
  (entries as Entry[]).forEach((entry, i) => {
    if (typeof entry !== 'object' || entry === null) fail(from, 'an entry must be an object');
    const entryTerm = index(from, entry.term, 'entry.term');
    const entryIndex = index(from, entry.index, 'entry.index');
    if (entry.type !== 'normal' && entry.type !== 'config') fail(from, 'entry.type must be normal or config');
    bytes(from, entry.data, 'entry.data');
    if (prevIndex !== undefined) {
      if (entryIndex !== prevIndex + 1 + i) fail(from, 'entries must follow prevIndex without gaps');
      if (entryTerm < lastTerm || entryTerm > term) fail(from, 'entry terms must not decrease nor exceed the message term');
      lastTerm = entryTerm;
    }
    if (entry.type === 'config') {
      try {
        decodeConfChange(entry.data);
      } catch {
        fail(from, 'a config entry does not hold a valid membership change');
      }
    }
  });
}

/**
 * Checks the shape and ranges of a peer's message before the core acts on it, so that garbage
 * or a forged message is a `ProtocolViolationError` and changes nothing.
 */
export function checkMessage(from: NodeId, message: RaftMessage): void {
  if (typeof message !== 'object' || message === null || !KNOWN_TYPES.has((message as { type: string }).type)) fail(from, 'unknown type');
  const term = index(from, message.term, 'term');
  switch (message.type) {
    case 'vote':
    case 'preVote':
      index(from, message.lastIndex, 'lastIndex');
      if (index(from, message.lastTerm, 'lastTerm') > term) fail(from, 'lastTerm above term');
      if (typeof message.transfer !== 'boolean') fail(from, 'transfer must be a boolean');
      return;
    case 'voteResp':
    case 'preVoteResp':
      if (typeof message.reject !== 'boolean') fail(from, 'reject must be a boolean');
      return;
    case 'append': {
      const prevIndex = index(from, message.prevIndex, 'prevIndex');
      const prevTerm = index(from, message.prevTerm, 'prevTerm');
      if (prevTerm > term) fail(from, 'prevTerm above term');
      index(from, message.commit, 'commit');
      checkEntries(from, message.entries, term, prevIndex, prevTerm);
      return;
    }
    case 'appendResp':
      index(from, message.index, 'index');
      index(from, message.hintIndex, 'hintIndex');
      index(from, message.hintTerm, 'hintTerm');
      if (typeof message.reject !== 'boolean') fail(from, 'reject must be a boolean');
      return;
    case 'heartbeat':
      index(from, message.commit, 'commit');
      index(from, message.round, 'round');
      bytes(from, message.context, 'context');
      return;
    case 'heartbeatResp':
      index(from, message.round, 'round');
      bytes(from, message.context, 'context');
      return;
    case 'snapshot': {
      const meta = message.meta;
      if (typeof meta !== 'object' || meta === null) fail(from, 'snapshot.meta must be an object');
      index(from, meta.index, 'meta.index');
      if (index(from, meta.term, 'meta.term') > term) fail(from, 'snapshot term above the message term');
      checkConf(from, meta.conf);
      const offset = index(from, message.offset, 'offset');
      const size = index(from, message.size, 'size');
      bytes(from, message.chunk, 'chunk');
      if (offset + message.chunk.byteLength > size) fail(from, 'chunk beyond the snapshot size');
      return;
    }
    case 'timeoutNow':
      return;
    case 'propose':
      checkEntries(from, message.entries, Number.MAX_SAFE_INTEGER, undefined, 0);
      return;
    case 'readIndex':
      bytes(from, message.context, 'context');
      return;
    case 'readIndexResp':
      index(from, message.index, 'index');
      bytes(from, message.context, 'context');
      return;
  }
}
