/**
 * Random runs of a cluster of Raft cores under faults: message loss, reordering (random
 * delivery order), partitions, crashes with restart from what was persisted, leadership
 * transfers, membership changes and log compaction, with the safety invariants checked after
 * every step. After the faults stop, the cluster must converge: one leader, every proposal that
 * was committed applied everywhere in the same order.
 */
import type { DeliberateBug } from '../src/index.js';
import { Cluster } from './cluster.js';

export interface RunSummary {
  seed: number;
  committed: number;
  leaders: number;
  crashes: number;
}

const ids = ['a', 'b', 'c', 'd', 'e'];

export function randomRun(seed: number, steps = 400, deliberateBugs: readonly DeliberateBug[] = []): RunSummary {
  const cluster = new Cluster({ ids, voters: ['a', 'b', 'c'], learners: [], seed, core: { snapshotChunkSize: 16, maxSizePerMsg: 64, deliberateBugs } });
  const random = cluster.random;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random.next() * items.length)]!;
  let crashes = 0;
  let proposals = 0;
  const leadersSeen = new Set<string>();
  for (let step = 0; step < steps; step++) {
    const roll = random.next();
    if (roll < 0.35) {
      // Deliver a random message (reordering).
      if (cluster.queue.length > 0) cluster.deliverOne(Math.floor(random.next() * cluster.queue.length));
    } else if (roll < 0.55) {
      cluster.run(10 + Math.floor(random.next() * 200), 10);
    } else if (roll < 0.7) {
      const leader = cluster.leader();
      const at = random.next() < 0.8 && leader !== undefined ? leader.id : pick([...cluster.cores.keys()]);
      try {
        cluster.propose(`p${proposals++}`, at);
      } catch {
        // No leader known, or dropped: a client would retry.
      }
    } else if (roll < 0.75) {
      const id = pick(ids);
      if (cluster.cores.has(id) && cluster.cores.size > 2) {
        cluster.crash(id);
        crashes++;
      } else if (!cluster.cores.has(id)) {
        cluster.restart(id);
      }
    } else if (roll < 0.8) {
      const a = ids.filter(() => random.next() < 0.5);
      cluster.partition(a, ids.filter((id) => !a.includes(id)));
    } else if (roll < 0.86) {
      cluster.heal();
    } else if (roll < 0.9) {
      cluster.dropRate = random.next() < 0.5 ? 0 : 0.2;
    } else if (roll < 0.94) {
      const leader = cluster.leader();
      if (leader !== undefined) {
        const node = pick(ids);
        const conf = leader.conf;
        const type = conf.voters.includes(node) ? (conf.voters.length > 3 || random.next() < 0.3 ? pick(['remove', 'addLearner'] as const) : 'addVoter') : pick(['addVoter', 'addLearner'] as const);
        const steps = [{ type, node }];
        if (random.next() < 0.3) steps.push({ type: 'addVoter', node: pick(ids) });
        try {
          leader.proposeConfChange({ steps });
          cluster.process(leader.id);
        } catch {
          // Refused (pending change, would leave no voter, …).
        }
      }
    } else if (roll < 0.97) {
      const id = pick([...cluster.cores.keys()]);
      const core = cluster.core(id);
      if (core.status().applied > core.status().firstIndex + 3) {
        core.compact(new TextEncoder().encode(`snap@${core.status().applied}`));
        cluster.process(id);
      }
    } else {
      const leader = cluster.leader();
      if (leader !== undefined) {
        try {
          leader.transferLeadership(pick(leader.conf.voters));
          cluster.process(leader.id);
        } catch {
          // Not a voter any more, or not the leader.
        }
      }
    }
    const leader = cluster.leader();
    if (leader !== undefined) leadersSeen.add(`${leader.term}:${leader.id}`);
  }
  // Faults stop: everyone restarts, links heal, and the cluster must converge.
  cluster.heal();
  cluster.dropRate = 0;
  for (const id of ids) if (!cluster.cores.has(id)) cluster.restart(id);
  cluster.run(5_000);
  const leader = cluster.elect(20_000);
  try {
    cluster.propose('final', leader.id);
  } catch {
    // Transfer still in flight: the next round takes it.
  }
  cluster.run(3_000);
  const members = [...leader.conf.voters, ...leader.conf.learners];
  const reference = cluster.texts(leader.id);
  for (const id of members) {
    const got = cluster.texts(id);
    if (got.join(',') !== reference.join(',')) {
      throw new Error(`seed ${seed}: ${id} applied [${got.join(',')}] but leader ${leader.id} applied [${reference.join(',')}]`);
    }
  }
  return { seed, committed: reference.length, leaders: leadersSeen.size, crashes };
}

/**
 * MIT 6.5840's Figure8 scenario as a random run: five voters, proposals at whoever leads,
 * leaders crash often and nodes come back, with message loss and reordering — the schedule in
 * which counting replicas of an earlier term's entry would commit something later overwritten.
 */
export function figure8Run(seed: number, rounds = 150, deliberateBugs: readonly DeliberateBug[] = []): RunSummary {
  const cluster = new Cluster({ ids, seed, core: { electionTimeoutMs: 200, heartbeatIntervalMs: 20, maxSizePerMsg: 1, deliberateBugs } });
  const random = cluster.random;
  let crashes = 0;
  let proposals = 0;
  const leaders = new Set<string>();
  cluster.dropRate = 0.1;
  for (let round = 0; round < rounds; round++) {
    const leader = cluster.leader();
    if (leader !== undefined) {
      leaders.add(`${leader.term}:${leader.id}`);
      try {
        cluster.propose(`f${proposals++}`, leader.id);
      } catch {
        // dropped
      }
    }
    // A random stretch of time in which a random part of the traffic arrives, in random order.
    const steps = random.next() < 0.1 ? 60 : 1 + Math.floor(random.next() * 12);
    for (let i = 0; i < steps; i++) {
      if (cluster.queue.length > 0 && random.next() < 0.6) cluster.deliverOne(Math.floor(random.next() * cluster.queue.length));
      else cluster.tickAll(5);
    }
    if (leader !== undefined && cluster.cores.has(leader.id) && random.next() < 0.5) {
      cluster.crash(leader.id);
      crashes++;
    }
    if (cluster.cores.size < 3) {
      const down = ids.filter((id) => !cluster.cores.has(id));
      cluster.restart(down[Math.floor(random.next() * down.length)]!);
    }
  }
  cluster.dropRate = 0;
  for (const id of ids) if (!cluster.cores.has(id)) cluster.restart(id);
  const leader = cluster.elect(20_000);
  cluster.propose('final', leader.id);
  cluster.run(2_000);
  const reference = cluster.texts(leader.id);
  for (const id of ids) {
    if (cluster.texts(id).join(',') !== reference.join(',')) throw new Error(`seed ${seed}: ${id} diverged from ${leader.id}`);
  }
  return { seed, committed: reference.length, leaders: leaders.size, crashes };
}

/**
 * Elections under a nemesis that crashes voters right after they answer: three voters with
 * short, barely randomised timeouts (split votes are common), random delivery order, and each
 * vote request followed, half the time, by a crash and restart of the node that answered it —
 * the schedule in which a vote that was not synced before it was sent gets forgotten.
 */
export function electionStormRun(seed: number, steps = 600, deliberateBugs: readonly DeliberateBug[] = []): RunSummary {
  const cluster = new Cluster({ ids: ['a', 'b', 'c'], seed, core: { electionTimeoutMs: 100, heartbeatIntervalMs: 10, preVote: false, checkQuorum: false, deliberateBugs } });
  const random = cluster.random;
  let crashes = 0;
  const leaders = new Set<string>();
  for (let step = 0; step < steps; step++) {
    if (cluster.queue.length > 0 && random.next() < 0.7) {
      const position = Math.floor(random.next() * cluster.queue.length);
      const item = cluster.queue[position]!;
      cluster.deliverOne(position);
      if (item.message.type === 'vote' && cluster.cores.has(item.to) && random.next() < 0.5) {
        cluster.crash(item.to);
        cluster.restart(item.to);
        crashes++;
      }
    } else {
      // Time passes with messages still in flight: candidates overlap.
      cluster.tickAll(5 + Math.floor(random.next() * 20));
    }
    const leader = cluster.leader();
    if (leader !== undefined) leaders.add(`${leader.term}:${leader.id}`);
    if (random.next() < 0.02 && leader !== undefined) {
      cluster.crash(leader.id);
      cluster.restart(leader.id);
    }
  }
  return { seed, committed: 0, leaders: leaders.size, crashes };
}

/**
 * Writes that take time: every node's writes stay in flight until a random step syncs them,
 * so a leader's appends reach followers, are acknowledged and counted while its own write of
 * them is still pending; leaders crash often, with whatever they had not synced lost. The
 * schedule in which a leader that counted its own unsynced entry toward a commit would lose it.
 */
export function asyncWritesRun(seed: number, steps = 500, deliberateBugs: readonly DeliberateBug[] = []): RunSummary {
  const ids3 = ['a', 'b', 'c'];
  const cluster = new Cluster({ ids: ids3, seed, asyncWrites: true, core: { electionTimeoutMs: 100, heartbeatIntervalMs: 10, deliberateBugs } });
  const random = cluster.random;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random.next() * items.length)]!;
  let crashes = 0;
  let proposals = 0;
  const leaders = new Set<string>();
  for (let step = 0; step < steps; step++) {
    const roll = random.next();
    const leader = cluster.leader();
    if (roll < 0.35) {
      if (cluster.queue.length > 0) cluster.deliverOne(Math.floor(random.next() * cluster.queue.length));
    } else if (roll < 0.6) {
      // Followers' disks are mostly faster than the leader's: its own write is the one left pending.
      const writing = [...cluster.cores.keys()].filter((id) => cluster.pendingWrites(id) > 0);
      const followers = writing.filter((id) => id !== leader?.id);
      if (writing.length > 0) cluster.sync(pick(followers.length > 0 && random.next() < 0.85 ? followers : writing));
    } else if (roll < 0.72) {
      cluster.tickAll(5 + Math.floor(random.next() * 30));
    } else if (roll < 0.87) {
      if (leader !== undefined) {
        try {
          cluster.propose(`w${proposals++}`, leader.id);
        } catch {
          // dropped (a transfer, no leader): a client would retry
        }
      }
    } else if (roll < 0.95) {
      // A crash: of a leader with writes in flight (what it sent stays on the wire), else of anyone.
      const down = ids3.filter((id) => !cluster.cores.has(id));
      if (down.length > 0) cluster.restart(pick(down));
      else if (leader !== undefined && cluster.pendingWrites(leader.id) > 0 && random.next() < 0.3) {
        cluster.crash(leader.id);
        crashes++;
      } else if (random.next() < 0.05) {
        cluster.crash(pick(ids3));
        crashes++;
      }
    } else if (roll < 0.98) {
      // One link cut: one follower misses the leader's appends.
      const a = pick(ids3);
      cluster.partition([a], [pick(ids3.filter((id) => id !== a))]);
    } else {
      cluster.heal();
    }
    const now = cluster.leader();
    if (now !== undefined) leaders.add(`${now.term}:${now.id}`);
  }
  cluster.heal();
  for (const id of ids3) if (!cluster.cores.has(id)) cluster.restart(id);
  cluster.run(2_000);
  const leader = cluster.elect(20_000);
  cluster.propose('final', leader.id);
  cluster.run(2_000);
  const reference = cluster.texts(leader.id);
  for (const id of ids3) {
    if (cluster.texts(id).join(',') !== reference.join(',')) throw new Error(`seed ${seed}: ${id} applied [${cluster.texts(id).join(',')}] but leader ${leader.id} applied [${reference.join(',')}]`);
  }
  return { seed, committed: reference.length, leaders: leaders.size, crashes };
}
