import { ManualClock } from '@lattice/core/testing';
import { MemoryNetwork } from '@lattice/transport';
import { MemoryWal, MemoryWalStorage } from '@lattice/wal/testing';
import { describe, expect, it } from 'vitest';
import { RaftNode } from '../src/index.js';
import { Recorder } from './recorder.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

describe('RaftNode stampCommand', () => {
  it('rewrites every command at the leader, forwarded ones included, and the proposer gets its result', async () => {
    const ids = ['a', 'b', 'c'];
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock, faults: { latency: { min: 1, max: 3 } } });
    const machines = new Map<string, Recorder>();
    const nodes = new Map<string, RaftNode<string>>();
    for (const id of ids) {
      const machine = new Recorder();
      machines.set(id, machine);
      const stampCommand = (command: Uint8Array) => encoder.encode(`${decoder.decode(command)}@${id}`);
      const node = await RaftNode.start({ endpoint: await network.open(id), log: new MemoryWal({ storage: new MemoryWalStorage(id) }), stateMachine: machine, voters: ids, clock, timers: clock, electionTimeoutMs: 300, heartbeatIntervalMs: 30, stampCommand });
      nodes.set(id, node);
    }
    let leader: RaftNode<string> | undefined;
    for (let i = 0; i < 200 && leader === undefined; i++) {
      leader = [...nodes.values()].find((node) => node.role === 'leader');
      if (leader === undefined) await clock.advanceAsync(20);
    }
    expect(leader).toBeDefined();
    const follower = [...nodes.values()].find((node) => node !== leader)!;
    const results: string[] = [];
    for (const [node, text] of [[leader!, 'from-leader'], [follower, 'from-follower']] as const) {
      let result: string | undefined;
      node.propose(encoder.encode(text)).then((value) => (result = value));
      for (let i = 0; i < 400 && result === undefined; i++) await clock.advanceAsync(5);
      results.push(result!);
    }
    expect(results).toEqual([`from-leader@${leader!.id}`, `from-follower@${leader!.id}`]);
    for (let i = 0; i < 40; i++) await clock.advanceAsync(5);
    for (const machine of machines.values()) expect(machine.applied).toEqual(results);
    for (const node of nodes.values()) await node.stop();
  });
});
