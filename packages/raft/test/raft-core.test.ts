import { ProtocolViolationError } from '@lattice/core';
import { describe, expect, it } from 'vitest';
import { ConfChangeError, NotLeaderError, ProposalDroppedError, RaftCore, type RaftMessage } from '../src/index.js';
import { Cluster } from './cluster.js';

const ids = ['a', 'b', 'c'];
const text = (s: string) => new TextEncoder().encode(s);

describe('RaftCore: elections', () => {
  it('a single voter elects itself and commits on its own durable write', () => {
    const cluster = new Cluster({ ids: ['a'] });
    cluster.elect();
    cluster.propose('x');
    cluster.run(10);
    expect(cluster.texts('a')).toEqual(['x']);
  });

  it('elects exactly one leader among three and every node learns it (InitialElection)', () => {
    const cluster = new Cluster({ ids, seed: 3 });
    const leader = cluster.elect();
    expect([...cluster.cores.values()].filter((c) => c.role === 'leader')).toHaveLength(1);
    for (const core of cluster.cores.values()) expect(core.leader).toBe(leader.id);
    const term = leader.term;
    cluster.run(5_000);
    expect(cluster.leader()?.term).toBe(term); // no needless re-election while all is well
  });

  it('elects a new leader when the leader fails, and the old one rejoins as follower (ReElection)', () => {
    const cluster = new Cluster({ ids, seed: 5 });
    const first = cluster.elect();
    cluster.isolate(first.id);
    cluster.run(3_000);
    const second = cluster.leader();
    expect(second).toBeDefined();
    expect(second?.id).not.toBe(first.id);
    cluster.heal();
    cluster.run(1_000);
    expect(cluster.core(first.id).role).toBe('follower');
    expect(cluster.core(first.id).leader).toBe(second?.id);
  });

  it('with pre-vote, a node cut off and rejoining does not disrupt the cluster', () => {
    const cluster = new Cluster({ ids, seed: 7 });
    const leader = cluster.elect();
    const follower = ids.find((id) => id !== leader.id)!;
    cluster.isolate(follower);
    cluster.run(10_000);
    expect(cluster.core(follower).term).toBe(leader.term);
    cluster.heal();
    cluster.run(1_000);
    expect(cluster.leader()?.id).toBe(leader.id);
    expect(cluster.leader()?.term).toBe(leader.term);
  });

  it('without pre-vote, the same node raises its term and forces an election', () => {
    const cluster = new Cluster({ ids, seed: 7, core: { preVote: false, checkQuorum: false } });
    const leader = cluster.elect();
    const follower = ids.find((id) => id !== leader.id)!;
    cluster.isolate(follower);
    cluster.run(10_000);
    expect(cluster.core(follower).term).toBeGreaterThan(leader.term);
  });

  it('check-quorum: a leader that cannot hear a quorum steps down', () => {
    const cluster = new Cluster({ ids, seed: 11 });
    const leader = cluster.elect();
    cluster.isolate(leader.id);
    cluster.run(2_500);
    expect(cluster.core(leader.id).role).not.toBe('leader');
  });

  it('transfers leadership to a chosen voter (TimeoutNow)', () => {
    const cluster = new Cluster({ ids, seed: 13 });
    const leader = cluster.elect();
    const target = ids.find((id) => id !== leader.id)!;
    cluster.propose('before');
    cluster.deliverAll();
    leader.transferLeadership(target);
    cluster.process(leader.id);
    expect(() => cluster.propose('during', leader.id)).toThrow(ProposalDroppedError);
    cluster.deliverAll();
    expect(cluster.leader()?.id).toBe(target);
    expect(() => cluster.core(leader.id).transferLeadership(leader.id)).toThrow(NotLeaderError);
  });
});

describe('RaftCore: replication', () => {
  it('replicates proposals to every node in order (BasicAgree)', () => {
    const cluster = new Cluster({ ids, seed: 17 });
    cluster.elect();
    for (let i = 0; i < 20; i++) cluster.propose(`cmd-${i}`);
    cluster.run(500);
    const expected = Array.from({ length: 20 }, (_, i) => `cmd-${i}`);
    for (const id of ids) expect(cluster.texts(id)).toEqual(expected);
  });

  it('forwards proposals from a follower to the leader', () => {
    const cluster = new Cluster({ ids, seed: 19 });
    const leader = cluster.elect();
    const follower = ids.find((id) => id !== leader.id)!;
    expect(cluster.core(follower).propose(text('via follower'))).toBeUndefined();
    cluster.process(follower);
    cluster.run(300);
    for (const id of ids) expect(cluster.texts(id)).toEqual(['via follower']);
  });

  it('refuses proposals with no leader, or at a follower that may not forward', () => {
    const lonely = new RaftCore({ id: 'a', voters: ['a', 'b', 'c'] });
    expect(() => lonely.propose(text('x'))).toThrow(ProposalDroppedError);
    const cluster = new Cluster({ ids, seed: 23, core: { disableProposalForwarding: true } });
    const leader = cluster.elect();
    const follower = ids.find((id) => id !== leader.id)!;
    expect(() => cluster.core(follower).propose(text('x'))).toThrow(ProposalDroppedError);
  });

  it('a minority leader commits nothing; on heal its uncommitted entries are replaced (FailNoAgree, Backup)', () => {
    const cluster = new Cluster({ ids: ['a', 'b', 'c', 'd', 'e'], seed: 29 });
    const old = cluster.elect();
    const others = ['a', 'b', 'c', 'd', 'e'].filter((id) => id !== old.id);
    const buddy = others[0]!;
    cluster.partition([old.id, buddy], others.slice(1));
    for (let i = 0; i < 10; i++) cluster.propose(`lost-${i}`, old.id);
    cluster.run(3_000);
    expect(cluster.texts(old.id)).toEqual([]);
    const majorityLeader = cluster.leader();
    expect(majorityLeader?.id).not.toBe(old.id);
    for (let i = 0; i < 10; i++) cluster.propose(`kept-${i}`, majorityLeader!.id);
    cluster.run(500);
    cluster.heal();
    cluster.run(2_000);
    const expected = Array.from({ length: 10 }, (_, i) => `kept-${i}`);
    for (const id of ['a', 'b', 'c', 'd', 'e']) expect(cluster.texts(id)).toEqual(expected);
  });

  it('limits the uncommitted log size at the leader', () => {
    const cluster = new Cluster({ ids, seed: 31, core: { maxUncommittedSize: 100 } });
    const leader = cluster.elect();
    cluster.partition([leader.id], ids.filter((id) => id !== leader.id));
    leader.propose(new Uint8Array(60));
    leader.propose(new Uint8Array(30));
    expect(() => leader.propose(new Uint8Array(30))).toThrow(ProposalDroppedError);
  });

  it('survives crashes of every node: acknowledged entries are kept (Persist1)', () => {
    const cluster = new Cluster({ ids, seed: 37 });
    cluster.elect();
    cluster.propose('one');
    cluster.run(300);
    for (const id of ids) cluster.crash(id);
    for (const id of ids) cluster.restart(id);
    cluster.elect();
    cluster.propose('two');
    cluster.run(500);
    for (const id of ids) expect(cluster.texts(id)).toEqual(['one', 'two']);
  });
});

describe('RaftCore: membership', () => {
  it('adds a learner that receives entries without voting, then promotes it', () => {
    const cluster = new Cluster({ ids: ['a', 'b', 'c', 'd'], voters: ids, seed: 41 });
    const leader = cluster.elect();
    cluster.propose('x');
    leader.proposeConfChange({ steps: [{ type: 'addLearner', node: 'd' }] });
    cluster.process(leader.id);
    cluster.run(500);
    expect(cluster.texts('d')).toEqual(['x']);
    expect(leader.conf.learners).toContain('d');
    const current = cluster.leader()!;
    current.proposeConfChange({ steps: [{ type: 'addVoter', node: 'd' }] });
    cluster.process(current.id);
    cluster.run(500);
    expect(cluster.leader()!.conf.voters).toContain('d');
    expect(cluster.leader()!.conf.learners).not.toContain('d');
  });

  it('changes two voters at once through a joint configuration, left automatically', () => {
    const cluster = new Cluster({ ids: ['a', 'b', 'c', 'd', 'e'], voters: ids, seed: 43 });
    const leader = cluster.elect();
    const removed = ids.find((id) => id !== leader.id)!;
    leader.proposeConfChange({ steps: [{ type: 'addVoter', node: 'd' }, { type: 'addVoter', node: 'e' }, { type: 'remove', node: removed }] });
    cluster.process(leader.id);
    cluster.run(1_000);
    const conf = cluster.leader()!.conf;
    expect(conf.outgoing).toEqual([]);
    expect([...conf.voters].sort()).toEqual(['a', 'b', 'c', 'd', 'e'].filter((id) => id !== removed).sort());
    cluster.propose('after');
    cluster.run(500);
    for (const id of ['a', 'b', 'c', 'd', 'e'].filter((x) => x !== removed)) expect(cluster.texts(id)).toEqual(['after']);
  });

  it('validates membership changes', () => {
    const cluster = new Cluster({ ids, seed: 47 });
    const leader = cluster.elect();
    expect(() => leader.proposeConfChange({ steps: [] })).toThrow(ConfChangeError);
    expect(() => leader.proposeConfChange({ steps: [{ type: 'remove', node: 'zz' }] })).toThrow(ConfChangeError);
    expect(() => leader.proposeConfChange({ steps: ids.map((node) => ({ type: 'remove' as const, node })) })).toThrow(ConfChangeError);
    expect(() => leader.proposeConfChange({ steps: [{ type: 'bogus' as never, node: 'a' }] })).toThrow(ConfChangeError);
    leader.proposeConfChange({ steps: [{ type: 'addLearner', node: 'd' }] });
    expect(() => leader.proposeConfChange({ steps: [{ type: 'addLearner', node: 'e' }] })).toThrow(ConfChangeError);
  });

  it('a removed leader steps down and the rest elect a new one', () => {
    const cluster = new Cluster({ ids, seed: 53 });
    const leader = cluster.elect();
    leader.proposeConfChange({ steps: [{ type: 'remove', node: leader.id }] });
    cluster.process(leader.id);
    cluster.run(3_000);
    const next = cluster.leader();
    expect(next).toBeDefined();
    expect(next?.id).not.toBe(leader.id);
    expect(next?.conf.voters).not.toContain(leader.id);
  });
});

describe('RaftCore: snapshots and reads', () => {
  it('a follower far behind after compaction catches up by a chunked snapshot (SnapshotInstall)', () => {
    const cluster = new Cluster({ ids, seed: 59, core: { snapshotChunkSize: 4 } });
    const leader = cluster.elect();
    const lagging = ids.find((id) => id !== leader.id)!;
    cluster.isolate(lagging);
    for (let i = 0; i < 30; i++) cluster.propose(`e${i}`, leader.id);
    cluster.run(500);
    leader.compact(text('state-at-applied'));
    cluster.process(leader.id);
    expect(leader.status().firstIndex).toBeGreaterThan(1);
    cluster.heal();
    cluster.run(1_500);
    expect(cluster.snapshots.get(lagging)?.data).toEqual(text('state-at-applied'));
    expect(cluster.texts(lagging)).toEqual(cluster.texts(leader.id));
    cluster.propose('after');
    cluster.run(300);
    expect(cluster.texts(lagging).at(-1)).toBe('after');
  });

  it('ReadIndex: the leader confirms leadership with a heartbeat round; a follower read is forwarded', () => {
    const cluster = new Cluster({ ids, seed: 61 });
    const leader = cluster.elect();
    cluster.propose('x');
    cluster.run(200);
    leader.readIndex(text('r1'));
    cluster.process(leader.id);
    expect(cluster.readStates.get(leader.id)).toEqual([]);
    cluster.deliverAll();
    expect(cluster.readStates.get(leader.id)).toEqual([{ index: leader.status().commit, context: 'r1' }]);
    const follower = ids.find((id) => id !== leader.id)!;
    cluster.core(follower).readIndex(text('r2'));
    cluster.process(follower);
    cluster.deliverAll();
    expect(cluster.readStates.get(follower)?.map((r) => r.context)).toEqual(['r2']);
  });

  it('a partitioned leader cannot confirm a read', () => {
    const cluster = new Cluster({ ids, seed: 67 });
    const leader = cluster.elect();
    cluster.run(200);
    cluster.isolate(leader.id);
    leader.readIndex(text('stale?'));
    cluster.process(leader.id);
    cluster.run(3_000);
    expect(cluster.readStates.get(leader.id)).toEqual([]);
  });

  it('lease reads need check-quorum', () => {
    expect(() => new RaftCore({ id: 'a', voters: ['a'], readOnly: 'lease', checkQuorum: false })).toThrow();
  });
});

describe('RaftCore: untrusted peers', () => {
  it('refuses garbage and forged messages with a typed error and changes nothing', () => {
    const cluster = new Cluster({ ids, seed: 71 });
    const leader = cluster.elect();
    const follower = cluster.core(ids.find((id) => id !== leader.id)!);
    const before = JSON.stringify({ ...follower.status(), progress: [] });
    const bad: unknown[] = [
      null,
      { type: 'nope', term: 1 },
      { type: 'append', term: -1, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 },
      { type: 'append', term: leader.term, prevIndex: 0, prevTerm: 0, entries: [{ term: leader.term, index: 5, type: 'normal', data: new Uint8Array() }], commit: 0 },
      { type: 'append', term: leader.term, prevIndex: 0, prevTerm: 0, entries: [{ term: leader.term + 9, index: 1, type: 'normal', data: new Uint8Array() }], commit: 0 },
      { type: 'append', term: leader.term, prevIndex: 0, prevTerm: 0, entries: [{ term: 1, index: 1, type: 'config', data: text('{') }], commit: 0 },
      { type: 'vote', term: 1.5, lastIndex: 0, lastTerm: 0, transfer: false },
      { type: 'snapshot', term: leader.term, meta: { index: 1, term: 1, conf: { voters: [] } }, offset: 0, chunk: new Uint8Array(), size: 0 },
      { type: 'heartbeat', term: leader.term, commit: 0, context: 'x' },
    ];
    for (const message of bad) {
      expect(() => follower.step(leader.id, message as RaftMessage)).toThrow(ProtocolViolationError);
    }
    expect(JSON.stringify({ ...follower.status(), progress: [] })).toBe(before);
    expect(follower.hasReady()).toBe(false);
  });
});
