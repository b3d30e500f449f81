import { ManualClock } from '@lattice/core/testing';
import { MemoryNetwork } from '@lattice/transport';
import { MemoryWal } from '@lattice/wal/testing';
import { describe, expect, it } from 'vitest';
import { RaftNode, type Role, type StateMachine } from '../src/index.js';

const noop: StateMachine<void> = { apply: () => undefined, snapshot: () => new Uint8Array(0), restore: () => undefined };

describe('RaftNode and time', () => {
  it('a follower that hears heartbeats never campaigns (the core sees the time of each message)', async () => {
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock, faults: { latency: { min: 1, max: 2 } } });
    const ids = ['a', 'b', 'c'];
    const roles: { id: string; role: Role; term: number }[] = [];
    const nodes: RaftNode<void>[] = [];
    for (const id of ids) {
      const node = await RaftNode.start({ endpoint: await network.open(id), log: new MemoryWal(), stateMachine: noop, voters: ids, clock, timers: clock, electionTimeoutMs: 300, heartbeatIntervalMs: 30 });
      node.on('leader', ({ role, term }) => roles.push({ id, role, term }));
      nodes.push(node);
    }
    for (let i = 0; i < 200 && !nodes.some((n) => n.role === 'leader'); i++) await clock.advanceAsync(10);
    const leader = nodes.find((n) => n.role === 'leader');
    expect(leader).toBeDefined();
    await clock.advanceAsync(100);
    roles.length = 0;
    // Twenty election timeouts of a healthy cluster: nobody leaves its role.
    for (let i = 0; i < 600; i++) await clock.advanceAsync(10);
    expect(roles).toEqual([]);
    expect(nodes.filter((n) => n.role === 'leader')).toEqual([leader]);
    await Promise.all(nodes.map((n) => n.stop()));
  });
});
