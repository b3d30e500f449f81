import { type BaseEvents, ClosedError, InvalidArgumentError, type NodeId, Observable, seededRandom } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import { LOCAL_PROFILE, Swim } from '@lattice/gossip';
import { codeOf } from '@lattice/test-kit';
import { MemoryNetwork } from '@lattice/transport';
import { describe, expect, it } from 'vitest';
import { DistributedLimiter, followMembership, type MembershipMember } from '../src/index.js';

/** A membership service by hand: members and their events, in the shape Swim has. */
interface FakeEvents extends BaseEvents {
  member: { member: MembershipMember };
}

class FakeMembership extends Observable<FakeEvents> {
  readonly #members = new Map<NodeId, MembershipMember>();
  set(id: NodeId, state: string): void {
    const member = { id, state };
    this.#members.set(id, member);
    this.emit('member', { member });
  }
  members(): MembershipMember[] {
    return [...this.#members.values()];
  }
}

async function limiterOn(network: MemoryNetwork, id: string, clock: ManualClock): Promise<DistributedLimiter> {
  const endpoint = await network.open(id);
  return new DistributedLimiter({ endpoint, nodes: [id], limit: 100, windowMs: 1_000, syncIntervalMs: 10, maxUnsynced: 4, peerTimeoutMs: 40, clock, timers: clock });
}

describe('followMembership', () => {
  it('joins add peers, failures and leaves remove them; "keep" keeps failed ones; accept filters', async () => {
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock });
    const limiter = await limiterOn(network, 'a', clock);
    const membership = new FakeMembership();
    membership.set('a', 'alive');
    membership.set('b', 'alive');
    const stop = followMembership(limiter, membership);
    expect(limiter.state.peers).toEqual(['b']);
    membership.set('c', 'alive');
    membership.set('d', 'suspect');
    expect(limiter.state.peers).toEqual(['b', 'c', 'd']);
    expect(limiter.state.clusterSize).toBe(4);
    expect(limiter.accuracyBound).toBe(3 * 4);
    membership.set('c', 'dead');
    membership.set('d', 'left');
    expect(limiter.state.peers).toEqual(['b']);
    expect(limiter.state.clusterSize).toBe(2);
    stop();
    membership.set('e', 'alive');
    expect(limiter.state.peers).toEqual(['b']);

    const keeping = new FakeMembership();
    for (const [id, state] of [['a', 'alive'], ['b', 'alive'], ['c', 'dead'], ['x', 'alive']] as const) keeping.set(id, state);
    followMembership(limiter, keeping, { failed: 'keep', accept: (m) => m.id !== 'x' });
    expect(limiter.state.peers).toEqual(['b', 'c']);
    keeping.set('c', 'left');
    expect(limiter.state.peers).toEqual(['b']);

    await limiter.close();
    expect(codeOf(() => limiter.setNodes(['a']))).toBe(ClosedError.code);
    keeping.set('f', 'alive'); // the limiter is closed: following stops, nothing throws
    await network.close();
  });

  it('refuses bad arguments with InvalidArgumentError', async () => {
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock });
    const limiter = await limiterOn(network, 'a', clock);
    const membership = new FakeMembership();
    expect(codeOf(() => followMembership({} as never, membership))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => followMembership(limiter, {} as never))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => followMembership(limiter, membership, { failed: 'drop' as never }))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => followMembership(limiter, membership, { accept: 1 as never }))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => limiter.setNodes('a' as never))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => limiter.setNodes([''] as never))).toBe(InvalidArgumentError.code);
    await limiter.close();
    await network.close();
  });

  it('driven by SWIM: members joining grow the peer set; a crashed one is dropped and the survivors share the whole limit', async () => {
    const clock = new ManualClock();
    const gossip = new MemoryNetwork({ timers: clock, clock });
    const counters = new MemoryNetwork({ timers: clock, clock });
    const ids = ['n0', 'n1', 'n2', 'n3'];
    const nodes = new Map<string, { swim: Swim; limiter: DistributedLimiter }>();
    for (const [i, id] of ids.entries()) {
      const swim = new Swim({ endpoint: await gossip.open(id), profile: LOCAL_PROFILE, clock, timers: clock, random: seededRandom(i + 1) });
      const limiter = await limiterOn(counters, id, clock);
      followMembership(limiter, swim);
      nodes.set(id, { swim, limiter });
    }
    for (const id of ids.slice(1)) nodes.get(id)!.swim.join(['n0']);
    const run = async (ms: number) => {
      for (let t = 0; t < ms; t += 10) await clock.advanceAsync(10);
    };
    // Converged by gossip in well under a second, by push/pull (15 s in this profile) at the latest.
    for (let waited = 0; waited < 20_000 && !ids.every((id) => nodes.get(id)!.limiter.state.clusterSize === 4); waited += 100) await run(100);
    for (const id of ids) expect(nodes.get(id)!.limiter.state.clusterSize, id).toBe(4);

    // n3 crashes: its gossip and counter endpoints go quiet.
    const crashed = nodes.get('n3')!;
    await crashed.swim.stop();
    await crashed.limiter.close();
    gossip.isolate('n3');
    counters.isolate('n3');
    const survivors = ids.slice(0, 3).map((id) => nodes.get(id)!);
    // Until SWIM declares it dead, the survivors keep to their share: ⌊100 × 3 / 4⌋ per window.
    await run(1_000 - (clock.now() % 1_000));
    let admitted = 0;
    for (let ms = 0; ms < 1_000; ms++) {
      for (const { limiter } of survivors) if (limiter.decide('k').allowed) admitted++;
      await clock.advanceAsync(1);
    }
    expect(admitted).toBeLessThanOrEqual(75 + 2 * 4);
    for (const { limiter } of survivors) expect(limiter.state.clusterSize).toBe(4); // n3 not yet declared dead
    await run(10_000);
    for (const { limiter } of survivors) expect(limiter.state.peers).not.toContain('n3');
    for (const { limiter } of survivors) expect(limiter.state.clusterSize).toBe(3);
    await run(1_000 - (clock.now() % 1_000));
    admitted = 0;
    for (let ms = 0; ms < 1_000; ms++) {
      for (const { limiter } of survivors) if (limiter.decide('k').allowed) admitted++;
      await clock.advanceAsync(1);
    }
    // The whole limit, within the over-admission bound of three nodes.
    expect(admitted).toBeGreaterThan(75 + 2 * 4);
    expect(admitted).toBeLessThanOrEqual(100 + 2 * 4);
    for (const { swim, limiter } of survivors) {
      await swim.stop();
      await limiter.close();
    }
    await gossip.close();
    await counters.close();
  });
});
