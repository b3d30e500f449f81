import { ClosedError, InvalidArgumentError, TimeoutError } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import { MemoryNetwork } from '@lattice/transport';
import { MemoryWal, MemoryWalStorage } from '@lattice/wal/testing';
import { describe, expect, it } from 'vitest';
import { NotLeaderError, RaftNode, type StateMachine } from '../src/index.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A counter map: "key+n" adds n to key and returns the new value. */
class Counters implements StateMachine<number> {
  values = new Map<string, number>();
  apply(command: Uint8Array): number {
    const [key, n] = decoder.decode(command).split('+');
    const value = (this.values.get(key!) ?? 0) + Number(n);
    this.values.set(key!, value);
    return value;
  }
  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify([...this.values]));
  }
  restore(snapshot: Uint8Array): void {
    this.values = new Map(JSON.parse(decoder.decode(snapshot)));
  }
}

const ids = ['a', 'b', 'c'];

async function startCluster(options: { snapshotEvery?: number; checkQuorum?: boolean } = {}) {
  const clock = new ManualClock();
  const network = new MemoryNetwork({ timers: clock, faults: { latency: { min: 1, max: 3 } } });
  const storages = new Map(ids.map((id) => [id, new MemoryWalStorage(id)]));
  const machines = new Map<string, Counters>();
  const nodes = new Map<string, RaftNode<number>>();
  const wals = new Map<string, MemoryWal>();
  const endpoints = new Map<string, { close(): Promise<void> }>();
  const start = async (id: string) => {
    const endpoint = await network.open(id);
    endpoints.set(id, endpoint);
    const log = new MemoryWal({ storage: storages.get(id)! });
    const machine = new Counters();
    const node = await RaftNode.start({ endpoint, log, stateMachine: machine, voters: ids, clock, timers: clock, electionTimeoutMs: 300, heartbeatIntervalMs: 30, ...options });
    machines.set(id, machine);
    nodes.set(id, node);
    wals.set(id, log);
  };
  for (const id of ids) await start(id);
  const leader = async (): Promise<RaftNode<number>> => {
    for (let i = 0; i < 200; i++) {
      const found = [...nodes.values()].find((n) => n.role === 'leader');
      if (found !== undefined) return found;
      await clock.advanceAsync(20);
    }
    throw new Error('no leader');
  };
  /** Lets virtual time run while a promise settles. */
  const settle = async <T>(promise: Promise<T>): Promise<T> => {
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    promise.then(
      (value) => (outcome = { ok: true, value }),
      (error: unknown) => (outcome = { ok: false, error }),
    );
    for (let i = 0; i < 2000 && outcome === undefined; i++) await clock.advanceAsync(5);
    if (outcome === undefined) throw new Error('did not settle');
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  };
  const crash = async (id: string) => {
    await nodes.get(id)!.stop();
    await wals.get(id)!.close();
    await endpoints.get(id)!.close();
    nodes.delete(id);
  };
  return { clock, network, nodes, machines, leader, settle, start, crash };
}

describe('RaftNode', () => {
  it('settles propose with the state machine result, from the leader and from a follower', async () => {
    const c = await startCluster();
    const leader = await c.leader();
    expect(await c.settle(leader.propose(encoder.encode('x+2')))).toBe(2);
    const follower = [...c.nodes.values()].find((n) => n !== leader)!;
    expect(await c.settle(follower.propose(encoder.encode('x+3')))).toBe(5);
    await c.settle(follower.read());
    expect(c.machines.get(follower.id)!.values.get('x')).toBe(5);
    for (const id of ids) await c.settle(c.nodes.get(id)!.read());
    for (const id of ids) expect(c.machines.get(id)!.values.get('x')).toBe(5);
    const status = leader.status();
    expect(status.role).toBe('leader');
    expect(status.progress.size).toBe(3);
    expect(status.driver.messagesSent).toBeGreaterThan(0);
  });

  it('restarts from its log and snapshot: nothing acknowledged is lost', async () => {
    const c = await startCluster({ snapshotEvery: 5 });
    const leader = await c.leader();
    for (let i = 0; i < 12; i++) await c.settle(leader.propose(encoder.encode('k+1')));
    const victim = [...c.nodes.values()].find((n) => n !== leader)!.id;
    await c.crash(victim);
    await c.start(victim);
    const restarted = c.nodes.get(victim)!;
    // The 12 commands come back from its own log and snapshot (before it hears from anyone).
    expect(c.machines.get(victim)!.values.get('k')).toBeGreaterThanOrEqual(5);
    for (let i = 0; i < 100 && restarted.leader === ''; i++) await c.clock.advanceAsync(20);
    await c.settle(restarted.read());
    expect(c.machines.get(victim)!.values.get('k')).toBe(12);
  });

  it('changes membership at the leader only, and refuses bad arguments', async () => {
    const c = await startCluster();
    const leader = await c.leader();
    const follower = [...c.nodes.values()].find((n) => n !== leader)!;
    await expect(follower.addLearner('d')).rejects.toMatchObject({ code: NotLeaderError.code });
    await c.settle(leader.addLearner('d'));
    expect(leader.status().conf.learners).toContain('d');
    await expect(leader.propose('x' as never)).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(RaftNode.start({} as never)).rejects.toMatchObject({ code: InvalidArgumentError.code });
  });

  it('times out requests with the default timeout each at its own deadline (one shared timer), and settles the others', async () => {
    // Without check-quorum the isolated leader stays leader, so its proposals wait until they time out.
    const c = await startCluster({ checkQuorum: false });
    const leader = await c.leader();
    await c.settle(leader.propose(encoder.encode('z+1')));
    for (const node of c.nodes.values()) if (node !== leader) c.network.isolate(node.id);
    // The default timeout is 5 election timeouts: 1,500 ms.
    const outcomes: string[] = [];
    const track = (name: string, promise: Promise<unknown>) =>
      promise.then(
        () => outcomes.push(`${name} ok`),
        (error: { code: string }) => outcomes.push(`${name} ${error.code === TimeoutError.code ? 'timed out' : error.code}`),
      );
    const first = track('first', leader.propose(encoder.encode('z+1')));
    await c.clock.advanceAsync(600);
    const second = track('second', leader.propose(encoder.encode('z+1')));
    const own = track('own', leader.propose(encoder.encode('z+1'), { timeoutMs: 100 }));
    await c.clock.advanceAsync(200);
    expect(outcomes).toEqual(['own timed out']);
    await c.clock.advanceAsync(750);
    expect(outcomes).toEqual(['own timed out', 'first timed out']);
    await c.clock.advanceAsync(600);
    await Promise.all([first, second, own]);
    expect(outcomes).toEqual(['own timed out', 'first timed out', 'second timed out']);
    // Fifty more requests with the default timeout set one timer between them.
    const timers = c.clock.pendingTimers;
    const more = Array.from({ length: 50 }, () => leader.propose(encoder.encode('z+1')).catch(() => undefined));
    expect(c.clock.pendingTimers).toBeLessThanOrEqual(timers + 1);
    await leader.stop();
    await Promise.all(more);
  });

  it('times out a proposal that cannot commit, and rejects pending requests on stop', async () => {
    const c = await startCluster();
    const leader = await c.leader();
    for (const node of c.nodes.values()) if (node !== leader) c.network.isolate(node.id);
    const lost = leader.propose(encoder.encode('y+1'), { timeoutMs: 500 });
    await expect(c.settle(lost)).rejects.toMatchObject({ code: TimeoutError.code });
    const pending = leader.propose(encoder.encode('y+1'));
    await leader.stop();
    await expect(pending).rejects.toMatchObject({ code: ClosedError.code });
  });
});
