import { InvalidArgumentError } from '@lattice/core';
import { codeOf, untypedThrows } from '@lattice/test-kit';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import {
  applyConfChange,
  ConfChangeError,
  confOf,
  decodeRaftMessage,
  decodeRaftRecord,
  encodeConfChange,
  encodeRaftMessage,
  encodeRaftRecord,
  isJoint,
  isVoter,
  RaftNode,
  replayRaftRecords,
} from '../src/index.js';

/** Calls with deliberately wrong types, as JavaScript callers (or generated data) would. */
// biome-ignore lint/suspicious/noExplicitAny: the point is to pass what the types forbid
type Loose = any;

const INVALID = InvalidArgumentError.code;

describe('every exported function and class, called wrongly', () => {
  it('is a typed error or a normal return, never a TypeError from inside', async () => {
    const { called, untyped } = await untypedThrows(api);
    expect(called).toBeGreaterThan(12);
    expect(untyped).toEqual([]);
  });

  it('RaftNode has no public constructor and says to call start()', () => {
    expect(() => new (RaftNode as Loose)({})).toThrow(/RaftNode\.start/);
    expect(codeOf(() => new (RaftNode as Loose)({}))).toBe(INVALID);
  });
});

describe('codec', () => {
  const append = { type: 'append', from: 'a', to: 'b', term: 1, prevIndex: 0, prevTerm: 0, commit: 0, entries: [] };

  it.each<[string, Loose]>([
    ['nothing', undefined],
    ['null', null],
    ['a string', 'append'],
    ['an unknown type', { type: 'hello' }],
    ['an append without its fields', { type: 'append' }],
    ['an append whose entries are not a list', { ...append, entries: 5 }],
  ])('encodeRaftMessage refuses %s with InvalidArgumentError', (_, message) => {
    expect(codeOf(() => encodeRaftMessage(message))).toBe(INVALID);
  });

  it.each<[string, Loose]>([
    ['nothing', undefined],
    ['null', null],
    ['an unknown type', { type: 'log' }],
    ['entries that are not a list', { type: 'entries', entries: 'abc' }],
    ['a hard state without fields', { type: 'hardState' }],
  ])('encodeRaftRecord refuses %s with InvalidArgumentError', (_, record) => {
    expect(codeOf(() => encodeRaftRecord(record))).toBe(INVALID);
  });

  it('round-trips well-formed messages and records as before', () => {
    const hardState = { type: 'hardState', hardState: { term: 2, vote: 'a', commit: 1 } } as const;
    expect(decodeRaftRecord(encodeRaftRecord(hardState))).toEqual(hardState);
    const vote = { type: 'vote', from: 'a', to: 'b', term: 3, lastIndex: 4, lastTerm: 2, preVote: false, transfer: false } as Loose;
    const decoded = decodeRaftMessage(encodeRaftMessage(vote));
    expect(decoded.type).toBe('vote');
    expect(decoded.term).toBe(3);
  });
});

describe('membership helpers', () => {
  const conf = confOf(['a', 'b', 'c']);

  it('confOf refuses lists that are not node ids', () => {
    expect(codeOf(() => confOf('abc' as Loose))).toBe(INVALID);
    expect(codeOf(() => confOf(['a', 5] as Loose))).toBe(INVALID);
    expect(codeOf(() => confOf(['a'], [''] as Loose))).toBe(INVALID);
    expect(conf.voters).toEqual(['a', 'b', 'c']);
  });

  it('isVoter and isJoint refuse what is not a ConfState', () => {
    for (const wrong of [undefined, null, 'x', {}, { ...conf, outgoing: 'b' }, { ...conf, autoLeave: 'no' }] as Loose[]) {
      expect(codeOf(() => isJoint(wrong))).toBe(INVALID);
      expect(codeOf(() => isVoter(wrong, 'a'))).toBe(INVALID);
    }
    expect(codeOf(() => isVoter(conf, 5 as Loose))).toBe(INVALID);
    expect(isVoter(conf, 'a')).toBe(true);
    expect(isJoint(conf)).toBe(false);
  });

  it('applyConfChange and encodeConfChange refuse a malformed change with ConfChangeError, a bad conf with InvalidArgumentError', () => {
    for (const wrong of [undefined, null, 'x', {}, { steps: 'a' }, { steps: [{ type: 'grow', node: 'd' }] }, { steps: [{ type: 'addVoter', node: '' }] }] as Loose[]) {
      expect(codeOf(() => encodeConfChange(wrong))).toBe(ConfChangeError.code);
      expect(codeOf(() => applyConfChange(conf, wrong))).toBe(ConfChangeError.code);
    }
    expect(codeOf(() => applyConfChange(null as Loose, { steps: [{ type: 'addLearner', node: 'd' }] }))).toBe(INVALID);
    expect(applyConfChange(conf, { steps: [{ type: 'addLearner', node: 'd' }] }).learners).toEqual(['d']);
  });
});

describe('replayRaftRecords', () => {
  it.each<[string, Loose]>([
    ['nothing', undefined],
    ['a string', 'records'],
    ['a number', 5],
    ['a record that is not an object', [5]],
    ['a record of an unknown type', [{ type: 'log' }]],
    ['entries that are not a list', [{ type: 'entries', entries: {} }]],
    ['an entry without an index', [{ type: 'entries', entries: [{ term: 1 }] }]],
    ['a snapshot without meta', [{ type: 'snapshot', snapshot: {} }]],
  ])('refuses %s with InvalidArgumentError', (_, records) => {
    expect(codeOf(() => replayRaftRecords(records))).toBe(INVALID);
  });

  it('replays well-formed records as before', () => {
    const entry = { term: 1, index: 1, type: 'normal', data: new Uint8Array([1]) } as const;
    expect(replayRaftRecords([{ type: 'entries', entries: [entry] }, { type: 'hardState', hardState: { term: 1, vote: 'a', commit: 1 } }])).toEqual({
      hardState: { term: 1, vote: 'a', commit: 1 },
      entries: [entry],
    });
  });
});
