import { isLatticeError, ProtocolViolationError, type Ready } from '@lattice/core';
import { describe, expect, it } from 'vitest';
import {
  CoordinatorCore,
  DuplicateTransactionError,
  InvalidGidError,
  ParticipantCore,
  type TwoPhaseMessage,
} from '../src/index.js';

const ops = new Uint8Array([1, 2, 3]);

function drain<M, R, E>(core: { hasReady(): boolean; ready(): Ready<M, R, E>; advance(r: Ready<M, R, E>): void }): Ready<M, R, E> {
  const ready = core.ready();
  core.advance(ready);
  return ready;
}

describe('CoordinatorCore', () => {
  it('prepares in parallel, commits once every vote is yes, and syncs the commit before phase 2 leaves', () => {
    const core = new CoordinatorCore({ now: 0 });
    core.begin('g1', [
      { participant: 'a', ops },
      { participant: 'b', ops },
    ]);
    const first = drain(core);
    expect(first.sendEarly.map((o) => [o.to, o.message.type])).toEqual([
      ['a', 'prepare'],
      ['b', 'prepare'],
    ]);
    expect(first.persist).toEqual([]);
    core.step('a', { type: 'vote', gid: 'g1', vote: 'yes' });
    expect(core.hasReady()).toBe(false);
    core.step('b', { type: 'vote', gid: 'g1', vote: 'yes' });
    const decision = drain(core);
    expect(decision.persist).toEqual([{ type: 'decision', gid: 'g1', outcome: 'committed', participants: ['a', 'b'] }]);
    expect(decision.mustSync).toBe(true);
    expect(decision.sendEarly).toEqual([]);
    expect(decision.messages.map((o) => o.to)).toEqual(['a', 'b']);
    expect(decision.effects).toEqual([{ type: 'decided', gid: 'g1', outcome: 'committed', reason: 'every participant voted yes' }]);
    core.step('a', { type: 'ack', gid: 'g1' });
    core.step('b', { type: 'ack', gid: 'g1' });
    const forget = drain(core);
    expect(forget.persist).toEqual([{ type: 'forget', gid: 'g1' }]);
    expect(forget.effects).toEqual([{ type: 'forgotten', gid: 'g1' }]);
    expect(core.state('g1')).toBe('unknown');
  });

  it('aborts without a sync on a no vote, and on a missing vote at the deadline', () => {
    const core = new CoordinatorCore({ now: 0, voteTimeoutMs: 100 });
    core.begin('g1', [{ participant: 'a', ops }]);
    core.begin('g2', [{ participant: 'a', ops }, { participant: 'b', ops }]);
    drain(core);
    core.step('a', { type: 'vote', gid: 'g1', vote: 'no' });
    const abort = drain(core);
    expect(abort.mustSync).toBe(false);
    expect(abort.effects[0]).toMatchObject({ gid: 'g1', outcome: 'aborted' });
    expect(core.wakeAt()).toBe(100);
    core.tick(100);
    expect(drain(core).effects[0]).toMatchObject({ gid: 'g2', outcome: 'aborted', reason: 'a vote did not arrive in time' });
  });

  it('repeats phase 2 with backoff until acknowledged, and re-drives decisions after a restart', () => {
    const core = new CoordinatorCore({ now: 0, retry: { initialMs: 10, maxMs: 40 }, stored: [{ type: 'decision', gid: 'g', outcome: 'committed', participants: ['a', 'b'] }] });
    expect(core.inDoubt()).toEqual(['g']);
    core.tick(0);
    expect(drain(core).messages.map((o) => o.to)).toEqual(['a', 'b']);
    core.step('a', { type: 'ack', gid: 'g' });
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      const at = core.wakeAt()!;
      times.push(at);
      core.tick(at);
      expect(drain(core).messages.map((o) => o.to)).toEqual(['b']);
    }
    expect(times).toEqual([10, 30, 70, 110]);
  });

  it('answers a status query it has no record of with "aborted" (presumed abort)', () => {
    const core = new CoordinatorCore({ now: 0 });
    core.step('a', { type: 'status', gid: 'lost' });
    expect(drain(core).messages).toEqual([{ to: 'a', message: { type: 'decision', gid: 'lost', outcome: 'aborted' } }]);
  });

  it('refuses bad local input with typed errors and forged messages without changing state', () => {
    const core = new CoordinatorCore({ now: 0 });
    expect(() => core.begin('x'.repeat(201), [{ participant: 'a', ops }])).toThrow(expect.objectContaining({ code: InvalidGidError.code }));
    core.begin('g', [{ participant: 'a', ops }]);
    expect(() => core.begin('g', [{ participant: 'a', ops }])).toThrow(expect.objectContaining({ code: DuplicateTransactionError.code }));
    drain(core);
    const forged: unknown[] = [
      { type: 'vote', gid: 'g', vote: 'maybe' },
      { type: 'vote', gid: '', vote: 'yes' },
      { type: 'prepare', gid: 'g', participants: ['a'], ops },
      { type: 'teleport', gid: 'g' },
      null,
    ];
    for (const message of forged) {
      expect(() => core.step('a', message as TwoPhaseMessage)).toThrow(expect.objectContaining({ code: ProtocolViolationError.code }));
    }
    expect(() => core.step('mallory', { type: 'vote', gid: 'g', vote: 'yes' })).toThrow(expect.objectContaining({ code: ProtocolViolationError.code }));
    expect(core.state('g')).toBe('voting');
    expect(core.hasReady()).toBe(false);
  });
});

describe('ParticipantCore', () => {
  it('logs "prepared" with a sync before it votes yes, then commits with a sync before the ack', () => {
    const core = new ParticipantCore({ id: 'a', now: 0 });
    core.step('c', { type: 'prepare', gid: 'g', participants: ['a', 'b'], ops });
    expect(drain(core).effects).toEqual([{ type: 'prepare', gid: 'g', ops }]);
    core.voted('g', 'yes');
    const vote = drain(core);
    expect(vote.persist).toEqual([{ type: 'prepared', gid: 'g', coordinator: 'c', participants: ['a', 'b'], ops }]);
    expect(vote.mustSync).toBe(true);
    expect(vote.sendEarly).toEqual([]);
    expect(vote.messages).toEqual([{ to: 'c', message: { type: 'vote', gid: 'g', vote: 'yes' } }]);
    core.step('c', { type: 'decision', gid: 'g', outcome: 'committed' });
    const commit = drain(core);
    expect(commit.persist).toEqual([{ type: 'outcome', gid: 'g', outcome: 'committed', coordinator: 'c' }]);
    expect(commit.mustSync).toBe(true);
    expect(commit.effects).toEqual([{ type: 'commit', gid: 'g' }]);
    expect(commit.messages).toEqual([{ to: 'c', message: { type: 'ack', gid: 'g' } }]);
    // Idempotent: a repeated decision is acknowledged again and changes nothing.
    core.step('c', { type: 'decision', gid: 'g', outcome: 'committed' });
    const again = drain(core);
    expect(again.effects).toEqual([]);
    expect(again.messages).toEqual([{ to: 'c', message: { type: 'ack', gid: 'g' } }]);
  });

  it('with durablePrepare, votes yes without a "prepared" record or a sync, and still syncs a commit before the ack', () => {
    const core = new ParticipantCore({ id: 'a', now: 0, durablePrepare: true });
    core.step('c', { type: 'prepare', gid: 'g', participants: ['a', 'b'], ops });
    expect(drain(core).effects).toEqual([{ type: 'prepare', gid: 'g', ops }]);
    expect(core.context('g')).toEqual({ participant: 'a', coordinator: 'c', participants: ['a', 'b'] });
    core.voted('g', 'yes');
    const vote = drain(core);
    expect(vote.persist).toEqual([]);
    expect(vote.mustSync).toBe(false);
    expect(vote.messages).toEqual([{ to: 'c', message: { type: 'vote', gid: 'g', vote: 'yes' } }]);
    // Prepared and durable at once: a peer asking is told so, a repeated prepare gets the vote again.
    core.step('b', { type: 'status', gid: 'g' });
    core.step('c', { type: 'prepare', gid: 'g', participants: ['a', 'b'], ops });
    expect(drain(core).messages).toEqual([
      { to: 'b', message: { type: 'peerState', gid: 'g', state: 'prepared' } },
      { to: 'c', message: { type: 'vote', gid: 'g', vote: 'yes' } },
    ]);
    core.step('c', { type: 'decision', gid: 'g', outcome: 'committed' });
    const commit = drain(core);
    expect(commit.persist).toEqual([{ type: 'outcome', gid: 'g', outcome: 'committed', coordinator: 'c' }]);
    expect(commit.mustSync).toBe(true);
    expect(commit.messages).toEqual([{ to: 'c', message: { type: 'ack', gid: 'g' } }]);
  });

  it('with durablePrepare, what the resource holds without a log record is in doubt after a restart: it asks, and no restore runs', () => {
    const core = new ParticipantCore({
      id: 'a',
      now: 0,
      durablePrepare: true,
      inquiry: { initialMs: 10, maxMs: 100 },
      stored: [{ type: 'outcome', gid: 'done', outcome: 'committed' }],
      held: [{ gid: 'g', coordinator: 'c', participants: ['a', 'b'] }],
    });
    expect(core.inDoubt()).toEqual(['g']);
    expect(core.state('done')).toBe('committed');
    core.tick(0);
    const ask = drain(core);
    expect(ask.effects).toEqual([]);
    expect(ask.messages.map((o) => [o.to, o.message.type])).toEqual([
      ['c', 'status'],
      ['b', 'status'],
    ]);
    core.step('c', { type: 'decision', gid: 'g', outcome: 'aborted' });
    expect(drain(core).effects).toEqual([{ type: 'abort', gid: 'g' }]);
    expect(() => new ParticipantCore({ id: 'a', now: 0, held: [{ gid: 'g', coordinator: 'c', participants: ['a'] }] })).toThrow(/durablePrepare/);
  });

  it('aborts on its own when the resource has not voted by the deadline', () => {
    const core = new ParticipantCore({ id: 'a', now: 0, voteTimeoutMs: 50 });
    core.step('c', { type: 'prepare', gid: 'g', participants: ['a'], ops });
    drain(core);
    core.tick(50);
    const abort = drain(core);
    expect(abort.effects).toEqual([{ type: 'abort', gid: 'g' }]);
    expect(abort.messages).toEqual([{ to: 'c', message: { type: 'vote', gid: 'g', vote: 'no' } }]);
    core.voted('g', 'yes');
    expect(drain(core).effects).toEqual([{ type: 'abort', gid: 'g' }]);
    expect(core.state('g')).toBe('aborted');
  });

  it('in doubt after a restart, asks the coordinator and its peers, and settles from a peer (cooperative termination)', () => {
    const core = new ParticipantCore({
      id: 'a',
      now: 0,
      inquiry: { initialMs: 10, maxMs: 100 },
      stored: [{ type: 'prepared', gid: 'g', coordinator: 'c', participants: ['a', 'b', 'd'], ops }],
    });
    expect(core.inDoubt()).toEqual(['g']);
    expect(drain(core).effects).toEqual([{ type: 'restore', gid: 'g', ops }]);
    core.tick(0);
    expect(drain(core).messages.map((o) => o.to)).toEqual(['c', 'b', 'd']);
    core.step('b', { type: 'peerState', gid: 'g', state: 'prepared' });
    expect(core.state('g')).toBe('prepared');
    core.step('d', { type: 'peerState', gid: 'g', state: 'committed' });
    const commit = drain(core);
    expect(commit.effects).toEqual([{ type: 'commit', gid: 'g' }]);
    expect(commit.mustSync).toBe(true);
  });

  it('a peer that has not voted refuses the transaction, durably, when asked', () => {
    const core = new ParticipantCore({ id: 'b', now: 0 });
    core.step('a', { type: 'status', gid: 'g' });
    const refusal = drain(core);
    expect(refusal.persist).toEqual([{ type: 'outcome', gid: 'g', outcome: 'aborted' }]);
    expect(refusal.mustSync).toBe(true);
    expect(refusal.messages).toEqual([{ to: 'a', message: { type: 'peerState', gid: 'g', state: 'aborted' } }]);
    core.step('c', { type: 'prepare', gid: 'g', participants: ['a', 'b'], ops });
    expect(drain(core).messages).toEqual([{ to: 'c', message: { type: 'vote', gid: 'g', vote: 'no' } }]);
  });

  it('rejects forged messages with ProtocolViolationError and no change', () => {
    const core = new ParticipantCore({ id: 'a', now: 0 });
    core.step('c', { type: 'prepare', gid: 'g', participants: ['a', 'b'], ops });
    drain(core);
    const cases: [string, unknown][] = [
      ['c', { type: 'decision', gid: 'g', outcome: 'committed' }], // commit before the vote
      ['mallory', { type: 'decision', gid: 'g', outcome: 'aborted' }],
      ['mallory', { type: 'status', gid: 'g' }],
      ['c', { type: 'prepare', gid: 'h', participants: ['b'], ops }],
      ['c', { type: 'ack', gid: 'g' }],
      ['c', { type: 'prepare', gid: 'h', participants: ['a', 'a'], ops }],
      ['c', { type: 'decision', gid: 7, outcome: 'aborted' }],
    ];
    for (const [from, message] of cases) {
      let caught: unknown;
      try {
        core.step(from, message as TwoPhaseMessage);
      } catch (error) {
        caught = error;
      }
      expect(isLatticeError(caught, ProtocolViolationError.code), JSON.stringify(message)).toBe(true);
    }
    expect(core.state('g')).toBe('preparing');
    expect(core.state('h')).toBe('unknown');
    expect(core.hasReady()).toBe(false);
  });
});
