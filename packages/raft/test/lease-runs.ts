/**
 * A register on Raft with lease reads, under partitions that isolate the leader: writes go to
 * the current leader, reads to any node that believes it leads (a deposed leader included), and
 * the history is checked by @lattice/linearizability. With check-quorum the isolated leader
 * steps down before a new one can be elected, so its lease reads stay linearizable; without it,
 * it keeps answering from a stale state.
 */
import { check, type Operation, type RegisterInput, registerModel } from '@lattice/linearizability';
import type { DeliberateBug } from '../src/index.js';
import { Cluster } from './cluster.js';

interface OpenRead {
  node: string;
  context: string;
  call: number;
  process: number;
  index: number | undefined;
}

export function leaseRun(seed: number, steps = 300, deliberateBugs: readonly DeliberateBug[] = []): { operations: number; verdict: string } {
  const withoutCheckQuorum = deliberateBugs.includes('lease-without-check-quorum');
  const ids = ['a', 'b', 'c'];
  const cluster = new Cluster({ ids, seed, core: { readOnly: 'lease', checkQuorum: !withoutCheckQuorum, deliberateBugs } });
  const random = cluster.random;
  const history: Operation<RegisterInput, string | null>[] = [];
  const openWrites = new Map<string, { call: number; process: number; node: string }>();
  const openReads: OpenRead[] = [];
  let processes = 0;
  let writes = 0;
  const valueAt = (id: string): string | null => cluster.texts(id).at(-1) ?? null;
  cluster.elect();
  for (let step = 0; step < steps; step++) {
    const roll = random.next();
    if (roll < 0.3) {
      const leader = cluster.leader();
      if (leader !== undefined) {
        const value = `w${writes++}`;
        try {
          cluster.propose(value, leader.id);
          openWrites.set(value, { call: cluster.now, process: processes++, node: leader.id });
        } catch {
          // dropped: not written
        }
      }
    } else if (roll < 0.6) {
      // A read at every node that believes it leads.
      for (const core of cluster.cores.values()) {
        if (core.role !== 'leader') continue;
        const context = `r${step}.${core.id}`;
        openReads.push({ node: core.id, context, call: cluster.now, process: processes++, index: undefined });
        core.readIndex(new TextEncoder().encode(context));
        cluster.process(core.id);
      }
    } else if (roll < 0.66) {
      const leader = cluster.leader();
      if (leader !== undefined) cluster.isolate(leader.id);
    } else if (roll < 0.7) {
      cluster.heal();
    }
    cluster.run(20 + Math.floor(random.next() * 80), 10);
    // Complete what has completed.
    for (const [value, write] of openWrites) {
      if (cluster.texts(write.node).includes(value)) {
        history.push({ process: write.process, call: write.call, return: cluster.now, input: { op: 'write', value }, output: null });
        openWrites.delete(value);
      }
    }
    for (let i = openReads.length - 1; i >= 0; i--) {
      const read = openReads[i]!;
      const state = cluster.readStates.get(read.node)!.find((r) => r.context === read.context);
      if (state === undefined) continue;
      const core = cluster.cores.get(read.node);
      if (core === undefined || core.status().applied < state.index) continue;
      history.push({ process: read.process, call: read.call, return: cluster.now, input: { op: 'read' }, output: valueAt(read.node) });
      openReads.splice(i, 1);
    }
  }
  // Writes still open may or may not have happened.
  for (const [value, write] of openWrites) history.push({ process: write.process, call: write.call, return: undefined, input: { op: 'write', value }, output: undefined });
  const { verdict } = check(registerModel, history, { timeoutMs: 10_000 });
  if (verdict !== 'linearizable') throw new Error(`seed ${seed}: lease reads are ${verdict}`);
  return { operations: history.length, verdict };
}
