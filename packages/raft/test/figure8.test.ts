import { describe, expect, it } from 'vitest';
import type { DeliberateBug } from '../src/index.js';
import { Cluster, type InFlight } from './cluster.js';

/**
 * Figure 8 of the Raft paper, step by step, on five nodes: an entry of an earlier term that a
 * later leader re-replicates to a majority must not be committed by counting those replicas,
 * because a node holding a newer conflicting entry can still be elected and overwrite it.
 */
function figure8(deliberateBugs: readonly DeliberateBug[] = []): Cluster {
  const ids = ['s1', 's2', 's3', 's4', 's5'];
  const cluster = new Cluster({ ids, seed: 8, core: { maxSizePerMsg: 1, preVote: false, checkQuorum: false, deliberateBugs } });
  const s = (id: string) => cluster.core(id);
  // (a) s1 leads term T1; its no-op commits everywhere. It appends A, which reaches s2 only.
  s('s1').campaign();
  cluster.process('s1');
  cluster.deliverAll();
  expect(s('s1').role).toBe('leader');
  cluster.partition(['s1', 's2'], ['s3', 's4', 's5']);
  cluster.propose('A', 's1');
  cluster.deliverAll();
  expect(s('s2').entry(2)?.term).toBe(s('s1').term);
  // (b) s1 crashes; s5 is elected by s3, s4 and itself and appends its no-op at index 2, which reaches nobody.
  cluster.crash('s1');
  cluster.heal();
  cluster.isolate('s2');
  s('s5').campaign();
  cluster.process('s5');
  cluster.deliverWhere((m) => m.message.type === 'vote' || m.message.type === 'voteResp', (m) => m.from === 's5' && m.message.type === 'append');
  expect(s('s5').role).toBe('leader');
  cluster.isolate('s5');
  cluster.deliverAll();
  // (c) s5 crashes; s1 restarts and is elected by s2, s3, s4; it brings s3 up to A, but its own no-op reaches no one.
  cluster.crash('s5');
  cluster.heal();
  cluster.restart('s1');
  const termOfA = s('s2').entry(2)!.term;
  // An append carrying s1's own-term entry is lost whenever the receiver would accept it.
  const carriesNewTermEntry = (m: InFlight) => {
    if (m.message.type !== 'append' || !m.message.entries.some((e) => e.term !== termOfA)) return false;
    const { prevIndex, prevTerm } = m.message;
    return prevIndex === 0 || cluster.cores.get(m.to)?.entry(prevIndex)?.term === prevTerm;
  };
  // s1 may need a second campaign: s3 and s4 already voted in s5's term.
  for (let attempt = 0; attempt < 3 && s('s1').role !== 'leader'; attempt++) {
    s('s1').campaign();
    cluster.process('s1');
    cluster.deliverWhere((m) => !carriesNewTermEntry(m), carriesNewTermEntry);
  }
  for (let i = 0; i < 5; i++) {
    cluster.tickAll(100);
    cluster.deliverWhere((m) => m.from !== 's5' && m.to !== 's5' && !carriesNewTermEntry(m), carriesNewTermEntry);
  }
  expect(s('s1').role).toBe('leader');
  expect(s('s3').entry(2)?.term).toBe(termOfA);
  // (d) s1 crashes before its own-term entry is replicated; s5 comes back and, with a newer last term, is elected.
  cluster.crash('s1');
  cluster.restart('s5');
  for (let attempt = 0; attempt < 4 && s('s5').role !== 'leader'; attempt++) {
    s('s5').campaign();
    cluster.process('s5');
    cluster.deliverAll();
  }
  cluster.run(500);
  return cluster;
}

describe('Figure 8', () => {
  it('an earlier-term entry is never committed by counting replicas, so overwriting it is safe', () => {
    const cluster = figure8();
    expect(cluster.leader()?.id).toBe('s5');
    // A was never committed: s5's entry replaced it everywhere.
    for (const id of ['s2', 's3', 's4', 's5']) expect(cluster.texts(id)).not.toContain('A');
  });

  it('with the commit rule broken, the harness catches the lost committed entry', () => {
    expect(() => figure8(['commit-previous-term'])).toThrow(/leader completeness|state machine safety/);
  });
});
