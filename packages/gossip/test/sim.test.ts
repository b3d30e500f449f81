import type { NodeId } from '@lattice/core';
import { Simulation } from '@lattice/sim';
import { MemoryNetwork } from '@lattice/transport';
import { describe, expect, it } from 'vitest';
import { LOCAL_PROFILE, type MemberEvent, Swim, SwimCore, swimMessageCodec } from '../src/index.js';

describe('in @lattice/sim', () => {
  it('SwimCore through ctx.runCore: a crashed member is declared dead by all, a partition heals (3 seeds)', async () => {
    for (const seed of [1, 2, 3]) {
      const cores = new Map<NodeId, SwimCore>();
      const sim = new Simulation({
        seed,
        nodes: 6,
        node: (ctx) => {
          const core = new SwimCore({ id: ctx.id, now: ctx.clock.monotonic(), random: ctx.random, profile: { ...LOCAL_PROFILE, pushPullIntervalMs: 3_000 } });
          if (ctx.id !== 'n1') core.join(['n1']);
          cores.set(ctx.id, core);
          return ctx.runCore({ core, codec: swimMessageCodec() });
        },
      });
      sim.at(5_000, () => sim.crash('n4'));
      sim.at(20_000, () => {
        for (const id of ['n1', 'n2', 'n3', 'n5', 'n6']) expect(cores.get(id)!.member('n4')?.state, `seed ${seed}: ${id}`).toBe('dead');
        sim.partition({ a: ['n1', 'n2'], b: ['n3', 'n5', 'n6'] });
      });
      sim.at(50_000, () => {
        expect(cores.get('n1')!.member('n5')?.state).toBe('dead');
        expect(cores.get('n5')!.member('n2')?.state).toBe('dead');
        sim.heal();
      });
      await sim.run({ duration: 90_000 });
      for (const id of ['n1', 'n2', 'n3', 'n5', 'n6']) {
        const states = cores.get(id)!.members().filter((m) => m.id !== 'n4').map((m) => m.state);
        expect(states, `seed ${seed}: ${id} after the heal`).toEqual(['alive', 'alive', 'alive', 'alive', 'alive']);
      }
    }
  });
});

describe('Swim driver on a MemoryNetwork', () => {
  it('members(), member events, join, updateMetadata, leave, stats', async () => {
    const network = new MemoryNetwork();
    const nodes: Swim[] = [];
    for (const id of ['a', 'b', 'c']) {
      const endpoint = await network.open(id);
      nodes.push(new Swim({ endpoint, profile: { probeIntervalMs: 50, probeTimeoutMs: 20, gossipIntervalMs: 10, pushPullIntervalMs: 500 } }));
    }
    const [a, b, c] = nodes as [Swim, Swim, Swim];
    const seen: string[] = [];
    a.on('member', (e: MemberEvent) => seen.push(`${e.kind} ${e.member.id}`));
    b.join(['a']);
    c.join(['a']);
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(done()).toBe(true);
    };
    await until(() => nodes.every((n) => n.members().length === 3));
    c.updateMetadata(new TextEncoder().encode('v2'));
    await until(() => new TextDecoder().decode(a.members().find((m) => m.id === 'c')!.meta) === 'v2');
    await b.leave();
    await until(() => a.members().find((m) => m.id === 'b')?.state === 'left');
    expect(seen).toEqual(expect.arrayContaining(['join b', 'join c', 'update c', 'leave b']));
    expect(a.stats().driver.messagesSent).toBeGreaterThan(0);
    for (const n of nodes) await n.stop();
    await network.close?.();
  });
});
