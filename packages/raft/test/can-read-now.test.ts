import { ManualClock } from '@lattice/core/testing';
import { MemoryNetwork } from '@lattice/transport';
import { MemoryWal, MemoryWalStorage } from '@lattice/wal/testing';
import { describe, expect, it } from 'vitest';
import { RaftNode } from '../src/index.js';
import { Recorder } from './recorder.js';

describe('RaftNode canReadNow', () => {
  it('is true at a lease-holding leader that applied its commit index, false at followers and once the leader is cut off', async () => {
    const ids = ['a', 'b', 'c'];
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock, faults: { latency: { min: 1, max: 3 } } });
    const nodes = new Map<string, RaftNode<string>>();
    for (const id of ids) {
      const node = await RaftNode.start({ endpoint: await network.open(id), log: new MemoryWal({ storage: new MemoryWalStorage(id) }), stateMachine: new Recorder(), voters: ids, clock, timers: clock, electionTimeoutMs: 300, heartbeatIntervalMs: 30, readOnly: 'lease' });
      nodes.set(id, node);
    }
    let leader: RaftNode<string> | undefined;
    for (let i = 0; i < 200 && leader === undefined; i++) {
      leader = [...nodes.values()].find((node) => node.role === 'leader');
      await clock.advanceAsync(20);
    }
    for (let i = 0; i < 20; i++) await clock.advanceAsync(10);
    expect(leader!.canReadNow()).toBe(true);
    for (const node of nodes.values()) if (node !== leader) expect(node.canReadNow()).toBe(false);
    network.isolate(leader!.id);
    for (let i = 0; i < 40; i++) await clock.advanceAsync(10); // past the lease (300 ms × 0.9)
    expect(leader!.canReadNow()).toBe(false);
    for (const node of nodes.values()) await node.stop();
  });
});
