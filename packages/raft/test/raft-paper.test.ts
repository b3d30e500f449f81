/**
 * The scenarios of the Raft paper (§5), one test each, named after etcd-io/raft's
 * raft_paper_test.go so a reader can compare: every test builds cores in a given state, feeds
 * them messages and ticks by hand, and checks what comes out of `ready()`. Pre-vote and
 * check-quorum are off, as in the paper.
 */
import { type NodeId, seededRandom } from '@lattice/core';
import { describe, expect, it } from 'vitest';
import { type Entry, type HardState, RaftCore, type RaftCoreOptions, type RaftEffect, type RaftMessage, type RaftRecord } from '../src/index.js';

const T = 100; // election timeout, ms
const H = 10; // heartbeat interval, ms
const bytes = (s: string) => new TextEncoder().encode(s);
const entry = (term: number, index: number, data = ''): Entry => ({ term, index, type: 'normal', data: bytes(data) });

function make(id: NodeId, voters: NodeId[] = ['1', '2', '3'], stored?: { hardState?: HardState; entries?: Entry[] }, extra: Partial<RaftCoreOptions> = {}): RaftCore {
  return new RaftCore({
    id,
    voters,
    electionTimeoutMs: T,
    heartbeatIntervalMs: H,
    preVote: false,
    checkQuorum: false,
    random: seededRandom(Number(id) || 1),
    ...(stored === undefined ? {} : { stored }),
    ...extra,
  });
}

interface Drained {
  messages: { to: NodeId; message: RaftMessage }[];
  persisted: RaftRecord[];
  effects: RaftEffect[];
}

/** Carries out every Ready of `core` and returns what came out. */
function drain(core: RaftCore): Drained {
  const out: Drained = { messages: [], persisted: [], effects: [] };
  while (core.hasReady()) {
    const ready = core.ready();
    out.messages.push(...ready.sendEarly, ...ready.messages);
    out.persisted.push(...ready.persist);
    out.effects.push(...ready.effects);
    core.advance(ready);
  }
  return out;
}

const applied = (d: Drained): number[] => d.effects.flatMap((e) => (e.type === 'apply' ? e.entries.map((x) => x.index) : []));
const ofType = <K extends RaftMessage['type']>(d: Drained, type: K) => d.messages.filter((m) => m.message.type === type) as { to: NodeId; message: RaftMessage & { type: K } }[];

/** Elects `core` by feeding it every vote; returns what it sent as the new leader (its no-op appends). */
function elect(core: RaftCore): Drained {
  core.campaign();
  drain(core);
  for (const peer of core.conf.voters) if (peer !== core.id) core.step(peer, { type: 'voteResp', term: core.term, reject: false });
  const elected = drain(core);
  expect(core.role).toBe('leader');
  return elected;
}

/** Elects `core` and has every follower acknowledge its no-op, as etcd's commitNoopEntry does. */
function electAndCommitNoop(core: RaftCore): number {
  ackAll(core, elect(core));
  return core.term;
}

/** Acknowledges everything the leader sent, as every follower would with a log matching it. */
function ackAll(leader: RaftCore, d: Drained, from: NodeId[] = leader.conf.voters.filter((v) => v !== leader.id)): Drained {
  for (const { to, message } of ofType(d, 'append')) {
    if (!from.includes(to)) continue;
    leader.step(to, { type: 'appendResp', term: leader.term, index: message.prevIndex + message.entries.length, reject: false, hintIndex: 0, hintTerm: 0 });
  }
  return drain(leader);
}

describe('Raft paper §5.1: terms', () => {
  for (const role of ['Follower', 'Candidate', 'Leader'] as const) {
    it(`${role}UpdateTermFromMessage: a higher term in any message makes it a follower of that term`, () => {
      const core = make('1');
      if (role === 'Candidate') {
        core.campaign();
        drain(core);
      } else if (role === 'Leader') elect(core);
      core.step('2', { type: 'append', term: 10, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 });
      drain(core);
      expect(core.term).toBe(10);
      expect(core.role).toBe('follower');
      expect(core.leader).toBe('2');
    });
  }

  it('RejectStaleTermMessage: a message of a stale term changes nothing', () => {
    const core = make('1', ['1', '2', '3'], { hardState: { term: 2, vote: '', commit: 0 } });
    core.step('2', { type: 'append', term: 1, prevIndex: 0, prevTerm: 0, entries: [entry(1, 1, 'x')], commit: 1 });
    const d = drain(core);
    expect(core.term).toBe(2);
    expect(core.status().lastIndex).toBe(0);
    expect(applied(d)).toEqual([]);
  });
});

describe('Raft paper §5.2: leader election', () => {
  it('StartAsFollower', () => {
    expect(make('1').role).toBe('follower');
  });

  it('LeaderBcastBeat: every heartbeat interval the leader sends a heartbeat with no entries to every follower', () => {
    const core = make('1');
    elect(core);
    core.tick(H + 1);
    const beats = ofType(drain(core), 'heartbeat');
    expect(beats.map((b) => b.to).sort()).toEqual(['2', '3']);
  });

  for (const role of ['Follower', 'Candidate'] as const) {
    it(`${role === 'Follower' ? 'FollowerStartElection' : 'CandidateStartNewElection'}: on an election timeout it campaigns in a new term, voting for itself`, () => {
      const core = make('1');
      if (role === 'Candidate') {
        core.campaign();
        drain(core);
      }
      const before = core.term;
      core.tick(2 * T + 1);
      const d = drain(core);
      expect(core.term).toBe(before + 1);
      expect(core.role).toBe('candidate');
      expect(core.status().vote).toBe('1');
      expect(ofType(d, 'vote').map((v) => v.to).sort()).toEqual(['2', '3']);
    });
  }

  it('LeaderElectionInOneRoundRPC: wins with a majority, loses with a majority of rejections, else waits', () => {
    const cases: { size: number; votes: Record<string, boolean>; role: string }[] = [
      { size: 1, votes: {}, role: 'leader' },
      { size: 3, votes: { '2': true, '3': true }, role: 'leader' },
      { size: 3, votes: { '2': true }, role: 'leader' },
      { size: 5, votes: { '2': true, '3': true, '4': true, '5': true }, role: 'leader' },
      { size: 5, votes: { '2': true, '3': true }, role: 'leader' },
      { size: 3, votes: { '2': false, '3': false }, role: 'follower' },
      { size: 5, votes: { '2': false, '3': false, '4': false }, role: 'follower' },
      { size: 3, votes: {}, role: 'candidate' },
      { size: 5, votes: { '2': true }, role: 'candidate' },
      { size: 5, votes: { '2': false, '3': false }, role: 'candidate' },
    ];
    for (const { size, votes, role } of cases) {
      const voters = Array.from({ length: size }, (_, i) => String(i + 1));
      const core = make('1', voters);
      core.campaign();
      drain(core);
      for (const [peer, granted] of Object.entries(votes)) core.step(peer, { type: 'voteResp', term: core.term, reject: !granted });
      drain(core);
      expect(core.role, `${size} voters, votes ${JSON.stringify(votes)}`).toBe(role);
    }
  });

  it('FollowerVote: at most one vote per term, first come first served', () => {
    const cases: { vote: NodeId; from: NodeId; reject: boolean }[] = [
      { vote: '', from: '2', reject: false },
      { vote: '', from: '3', reject: false },
      { vote: '2', from: '2', reject: false },
      { vote: '3', from: '3', reject: false },
      { vote: '2', from: '3', reject: true },
      { vote: '3', from: '2', reject: true },
    ];
    for (const { vote, from, reject } of cases) {
      const core = make('1', ['1', '2', '3'], { hardState: { term: 1, vote, commit: 0 } });
      core.step(from, { type: 'vote', term: 1, lastIndex: 0, lastTerm: 0, transfer: false });
      const [response] = ofType(drain(core), 'voteResp');
      expect(response?.message.reject, `voted ${vote || 'none'}, asked by ${from}`).toBe(reject);
    }
  });

  it('CandidateFallback: an append from a leader of at least its term makes a candidate a follower', () => {
    for (const delta of [0, 1]) {
      const core = make('1');
      core.campaign();
      drain(core);
      core.step('2', { type: 'append', term: core.term + delta, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 });
      drain(core);
      expect(core.role).toBe('follower');
      expect(core.leader).toBe('2');
    }
  });

  for (const role of ['Follower', 'Candidate'] as const) {
    it(`${role}ElectionTimeoutRandomized: the timeout falls in [T, 2T) and takes many values`, () => {
      const seen = new Set<number>();
      for (let seed = 1; seed <= 200; seed++) {
        const core = new RaftCore({ id: '1', voters: ['1', '2', '3'], electionTimeoutMs: T, heartbeatIntervalMs: H, preVote: false, random: seededRandom(seed) });
        if (role === 'Candidate') {
          core.campaign();
          drain(core);
        }
        const at = core.wakeAt()!;
        expect(at).toBeGreaterThanOrEqual(T);
        expect(at).toBeLessThan(2 * T);
        seen.add(at);
      }
      expect(seen.size).toBeGreaterThan(T / 2);
    });

    it(`${role}sElectionTimeoutNonconflict: five nodes rarely time out together`, () => {
      let conflicts = 0;
      for (let round = 0; round < 200; round++) {
        const times = ['1', '2', '3', '4', '5'].map((id) => {
          const core = new RaftCore({ id, voters: ['1', '2', '3', '4', '5'], electionTimeoutMs: T, heartbeatIntervalMs: H, preVote: false, random: seededRandom(round * 5 + Number(id)) });
          if (role === 'Candidate') {
            core.campaign();
            drain(core);
          }
          return core.wakeAt()!;
        });
        const first = Math.min(...times);
        if (times.filter((t) => t === first).length > 1) conflicts++;
      }
      expect(conflicts / 200).toBeLessThan(0.3);
    });
  }
});

describe('Raft paper §5.3: log replication', () => {
  it('LeaderStartReplication: a proposal is appended, written to storage and sent to every follower after its predecessor', () => {
    const core = make('1');
    electAndCommitNoop(core);
    const li = core.status().lastIndex;
    core.propose(bytes('some data'));
    const d = drain(core);
    const stored = d.persisted.flatMap((r) => (r.type === 'entries' ? r.entries : []));
    expect(stored.map((e) => e.index)).toEqual([li + 1]);
    const appends = ofType(d, 'append');
    expect(appends.map((a) => a.to).sort()).toEqual(['2', '3']);
    for (const { message } of appends) {
      expect(message.prevIndex).toBe(li);
      expect(message.prevTerm).toBe(core.term);
      expect(message.entries.map((e) => new TextDecoder().decode(e.data))).toEqual(['some data']);
    }
  });

  it('LeaderCommitEntry: once replicated on a majority the entry is applied, and later appends carry the commit index', () => {
    const core = make('1');
    electAndCommitNoop(core);
    const li = core.status().lastIndex;
    core.propose(bytes('some data'));
    const d = ackAll(core, drain(core));
    expect(core.status().commit).toBe(li + 1);
    expect(applied(d)).toContain(li + 1);
    for (const { message } of ofType(d, 'append')) expect(message.commit).toBe(li + 1);
  });

  it('LeaderAcknowledgeCommit: committed exactly when a majority (the leader included) holds the entry', () => {
    const cases: { size: number; acks: NodeId[]; committed: boolean }[] = [
      { size: 1, acks: [], committed: true },
      { size: 3, acks: [], committed: false },
      { size: 3, acks: ['2'], committed: true },
      { size: 3, acks: ['2', '3'], committed: true },
      { size: 5, acks: [], committed: false },
      { size: 5, acks: ['2'], committed: false },
      { size: 5, acks: ['2', '3'], committed: true },
      { size: 5, acks: ['2', '3', '4', '5'], committed: true },
    ];
    for (const { size, acks, committed } of cases) {
      const voters = Array.from({ length: size }, (_, i) => String(i + 1));
      const core = make('1', voters);
      core.campaign();
      drain(core);
      for (const peer of voters.slice(1)) core.step(peer, { type: 'voteResp', term: core.term, reject: false });
      ackAll(core, drain(core));
      const li = core.status().lastIndex;
      core.propose(bytes('some data'));
      ackAll(core, drain(core), acks);
      expect(core.status().commit >= li + 1, `${size} voters, acks ${acks.join(',')}`).toBe(committed);
    }
  });

  it('LeaderCommitPrecedingEntries: committing an entry of its term commits the earlier ones, applied in order', () => {
    const logs: Entry[][] = [[], [entry(2, 1)], [entry(1, 1), entry(2, 2)], [entry(1, 1)]];
    for (const log of logs) {
      const core = make('1', ['1', '2', '3'], { hardState: { term: 2, vote: '', commit: 0 }, entries: log });
      const term = electAndCommitNoop(core);
      core.propose(bytes('some data'));
      const d = ackAll(core, drain(core));
      const li = log.length + 2;
      expect(applied(d).at(-1)).toBe(li);
      expect(core.status().applied).toBe(li);
      expect(core.entry(li - 1)?.term).toBe(term);
    }
  });

  it('FollowerCommitEntry: a follower applies entries once it learns they are committed, in log order', () => {
    const cases: { entries: Entry[]; commit: number }[] = [
      { entries: [entry(1, 1, 'a')], commit: 1 },
      { entries: [entry(1, 1, 'a'), entry(1, 2, 'b')], commit: 2 },
      { entries: [entry(1, 1, 'a'), entry(1, 2, 'b')], commit: 1 },
    ];
    for (const { entries, commit } of cases) {
      const core = make('1');
      core.step('2', { type: 'append', term: 1, prevIndex: 0, prevTerm: 0, entries, commit });
      const d = drain(core);
      expect(core.status().commit).toBe(commit);
      expect(applied(d)).toEqual(Array.from({ length: commit }, (_, i) => i + 1));
    }
  });

  it('FollowerCheckMsgApp: entries are refused unless the log holds prevIndex with prevTerm', () => {
    const log = [entry(1, 1), entry(2, 2)];
    const cases: { prevTerm: number; prevIndex: number; reject: boolean; index: number }[] = [
      { prevTerm: 0, prevIndex: 0, reject: false, index: 0 },
      { prevTerm: 1, prevIndex: 1, reject: false, index: 1 },
      { prevTerm: 2, prevIndex: 2, reject: false, index: 2 },
      { prevTerm: 1, prevIndex: 2, reject: true, index: 2 },
      { prevTerm: 3, prevIndex: 3, reject: true, index: 3 },
    ];
    for (const { prevTerm, prevIndex, reject, index } of cases) {
      const core = make('1', ['1', '2', '3'], { hardState: { term: 2, vote: '', commit: 0 }, entries: log });
      // (A leader's prevTerm is never above its own term; the last case comes from a term-3 leader.)
      core.step('2', { type: 'append', term: Math.max(2, prevTerm), prevIndex, prevTerm, entries: [], commit: 0 });
      const [response] = ofType(drain(core), 'appendResp');
      expect(response?.message.reject, `prev ${prevIndex}@${prevTerm}`).toBe(reject);
      expect(response?.message.index).toBe(index);
    }
  });

  it('FollowerAppendEntries: conflicting entries and all after them are replaced, new ones appended and stored', () => {
    const cases: { prevIndex: number; prevTerm: number; entries: Entry[]; log: number[]; stored: number[] }[] = [
      { prevIndex: 2, prevTerm: 2, entries: [entry(3, 3)], log: [1, 2, 3], stored: [3] },
      { prevIndex: 1, prevTerm: 1, entries: [entry(3, 2), entry(4, 3)], log: [1, 3, 4], stored: [3, 4] },
      { prevIndex: 0, prevTerm: 0, entries: [entry(1, 1)], log: [1, 2], stored: [] },
      { prevIndex: 0, prevTerm: 0, entries: [entry(3, 1)], log: [3], stored: [3] },
    ];
    for (const { prevIndex, prevTerm, entries, log, stored } of cases) {
      const core = make('1', ['1', '2', '3'], { hardState: { term: 2, vote: '', commit: 0 }, entries: [entry(1, 1), entry(2, 2)] });
      core.step('2', { type: 'append', term: 4, prevIndex, prevTerm, entries, commit: 0 });
      const d = drain(core);
      const terms = Array.from({ length: core.status().lastIndex }, (_, i) => core.entry(i + 1)!.term);
      expect(terms).toEqual(log);
      expect(d.persisted.flatMap((r) => (r.type === 'entries' ? r.entries.map((e) => e.term) : []))).toEqual(stored);
    }
  });

  it("LeaderSyncFollowerLog: the leader brings each follower's log of Figure 7 into consistency with its own", () => {
    const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    const followerLogs = [
      [1, 1, 1, 4, 4, 5, 5, 6, 6],
      [1, 1, 1, 4],
      [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
      [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
      [1, 1, 1, 4, 4, 4, 4],
      [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
    ];
    const toEntries = (terms: number[]) => terms.map((term, i) => entry(term, i + 1, `${term}.${i + 1}`));
    for (const followerTerms of followerLogs) {
      const leader = make('1', ['1', '2', '3'], { hardState: { term: 8, vote: '', commit: leaderLog.length }, entries: toEntries(leaderLog) });
      const follower = make('2', ['1', '2', '3'], { hardState: { term: 7, vote: '', commit: 0 }, entries: toEntries(followerTerms) });
      const third = make('3', ['1', '2', '3'], { hardState: { term: 7, vote: '', commit: 0 } });
      const cores = new Map([
        ['1', leader],
        ['2', follower],
        ['3', third],
      ]);
      // The third node votes; the follower under test only replicates.
      leader.campaign();
      const queue: { from: NodeId; to: NodeId; message: RaftMessage }[] = [];
      const pump = () => {
        for (const [id, core] of cores) for (const m of drain(core).messages) queue.push({ from: id, ...m });
      };
      pump();
      for (let i = 0; i < 10_000 && queue.length > 0; i++) {
        const { from, to, message } = queue.shift()!;
        if (to === '2' && (message.type === 'vote' || message.type === 'voteResp')) continue;
        if (from === '2' && message.type === 'voteResp') continue;
        cores.get(to)!.step(from, message);
        pump();
      }
      expect(leader.role).toBe('leader');
      const last = leader.status().lastIndex;
      for (let index = 1; index <= last; index++) expect(follower.entry(index), `follower of ${followerTerms.join(',')} at ${index}`).toEqual(leader.entry(index));
      expect(follower.status().lastIndex).toBe(last);
    }
  });
});

describe('Raft paper §5.4: safety', () => {
  it('VoteRequest: a vote request carries the last index and term of the candidate, to every peer', () => {
    const cases = [[entry(1, 1)], [entry(1, 1), entry(2, 2)]];
    for (const log of cases) {
      const core = make('1', ['1', '2', '3'], { hardState: { term: 2, vote: '', commit: 0 }, entries: log });
      core.campaign();
      const votes = ofType(drain(core), 'vote');
      expect(votes.map((v) => v.to).sort()).toEqual(['2', '3']);
      for (const { message } of votes) {
        expect(message.lastIndex).toBe(log.length);
        expect(message.lastTerm).toBe(log[log.length - 1]!.term);
      }
    }
  });

  it('Voter: the vote is denied when the voter’s log is more up to date than the candidate’s', () => {
    const cases: { log: Entry[]; lastTerm: number; lastIndex: number; reject: boolean }[] = [
      { log: [entry(1, 1)], lastTerm: 1, lastIndex: 1, reject: false },
      { log: [entry(1, 1)], lastTerm: 1, lastIndex: 2, reject: false },
      { log: [entry(1, 1), entry(1, 2)], lastTerm: 1, lastIndex: 1, reject: true },
      { log: [entry(1, 1)], lastTerm: 2, lastIndex: 1, reject: false },
      { log: [entry(1, 1)], lastTerm: 2, lastIndex: 2, reject: false },
      { log: [entry(1, 1), entry(1, 2)], lastTerm: 2, lastIndex: 1, reject: false },
      { log: [entry(2, 1)], lastTerm: 1, lastIndex: 1, reject: true },
      { log: [entry(2, 1)], lastTerm: 1, lastIndex: 2, reject: true },
      { log: [entry(2, 1), entry(1, 2)], lastTerm: 1, lastIndex: 1, reject: true },
    ];
    for (const { log, lastTerm, lastIndex, reject } of cases) {
      const core = make('1', ['1', '2'], { hardState: { term: 2, vote: '', commit: 0 }, entries: log });
      core.step('2', { type: 'vote', term: 3, lastIndex, lastTerm, transfer: false });
      const [response] = ofType(drain(core), 'voteResp');
      expect(response?.message.reject, `log ${log.map((e) => e.term)}, candidate ${lastIndex}@${lastTerm}`).toBe(reject);
    }
  });

  it('LeaderOnlyCommitsLogFromCurrentTerm: entries of earlier terms commit only with one of the current term', () => {
    const log = [entry(1, 1), entry(2, 2)];
    for (const { index, commit } of [
      { index: 1, commit: 0 },
      { index: 2, commit: 0 },
      { index: 3, commit: 3 },
    ]) {
      const core = make('1', ['1', '2'], { hardState: { term: 2, vote: '', commit: 0 }, entries: log });
      core.campaign();
      drain(core);
      core.step('2', { type: 'voteResp', term: core.term, reject: false });
      drain(core);
      // The new leader's no-op is entry 3; the follower acknowledges up to `index`.
      core.step('2', { type: 'appendResp', term: core.term, index, reject: false, hintIndex: 0, hintTerm: 0 });
      drain(core);
      expect(core.status().commit, `acknowledged ${index}`).toBe(commit);
    }
  });
});
