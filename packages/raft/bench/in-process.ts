/**
 * Three `RaftNode`s in one process on a `MemoryNetwork`, each on a `MemoryWal`: proposals
 * committed (applied at the leader) per second with `inFlight` outstanding, and the CPU of the
 * whole process (all three nodes) per commit.
 */
import { type Timers, systemTimers } from '@lattice/core';
import { MemoryNetwork } from '@lattice/transport';
import { MemoryWal } from '@lattice/wal/testing';
import { RaftNode } from '../src/index.js';
import { BinaryKv } from './binary-kv.js';
import { keyOf, benchValue } from './load.js';

/** Zero-delay deliveries of the network run on the next turn (setImmediate), not a ≥1 ms timer. */
const immediateTimers: Timers = {
  setTimeout(callback, delayMs) {
    return delayMs <= 0 ? { immediate: setImmediate(callback) } : systemTimers.setTimeout(callback, delayMs);
  },
  clearTimeout(handle) {
    if (typeof handle === 'object' && handle !== null && 'immediate' in handle) clearImmediate((handle as { immediate: NodeJS.Immediate }).immediate);
    else systemTimers.clearTimeout(handle);
  },
};

export interface InProcessResult {
  readonly commitsPerSecond: number;
  readonly cpuUsPerCommit: number;
  readonly commits: number;
}

export async function inProcessRun(inFlight: number, seconds: number): Promise<InProcessResult> {
  const network = new MemoryNetwork({ timers: immediateTimers });
  const ids = ['a', 'b', 'c'];
  const nodes = await Promise.all(
    ids.map(async (id) =>
      RaftNode.start({
        endpoint: await network.open(id),
        log: new MemoryWal(),
        stateMachine: new BinaryKv(),
        voters: ids,
        electionTimeoutMs: 300,
        heartbeatIntervalMs: 50,
      }),
    ),
  );
  try {
    let leader: RaftNode<number> | undefined;
    for (let i = 0; i < 200 && leader === undefined; i++) {
      leader = nodes.find((node) => node.role === 'leader');
      if (leader === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (leader === undefined) throw new Error('no leader in the in-process cluster');
    const commands = Array.from({ length: 64 }, (_, i) => BinaryKv.command(new TextEncoder().encode(keyOf(i)), benchValue(256, i)));
    const run = async (runSeconds: number) => {
      let commits = 0;
      let sequence = 0;
      const end = performance.now() + runSeconds * 1000;
      const worker = async () => {
        while (performance.now() < end) {
          await leader.propose(commands[sequence++ % commands.length]!);
          commits++;
        }
      };
      const cpu = process.cpuUsage();
      const start = performance.now();
      await Promise.all(Array.from({ length: inFlight }, worker));
      const elapsed = (performance.now() - start) / 1000;
      const used = process.cpuUsage(cpu);
      return { commits, commitsPerSecond: commits / elapsed, cpuUsPerCommit: (used.user + used.system) / commits };
    };
    await run(Math.min(1, seconds / 3)); // warm-up
    return await run(seconds);
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
    await network.close();
  }
}
