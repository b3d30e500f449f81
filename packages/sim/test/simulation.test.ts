import { InvalidArgumentError, isLatticeError } from '@lattice/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, OperationFailedError, Simulation, SimulationError, simulationSeeds } from '../src/index.js';
import { heartbeatNode } from './support/heartbeat.js';
import { runRegister } from './support/register-run.js';

const allFaults = { meanIntervalMs: 200, durationMs: { min: 50, max: 500 } };

function heartbeatSim(seed: number) {
  return new Simulation({ seed, nodes: 5, node: (ctx) => heartbeatNode(ctx), faults: allFaults, clocks: { maxSkewMs: 100, maxDriftPpm: 100 }, disk: { tornWrites: true } });
}

describe('determinism', () => {
  it('gives identical event logs for the same seed, and different ones for another seed', async () => {
    const first = await heartbeatSim(7).run({ duration: 5_000 });
    const second = await heartbeatSim(7).run({ duration: 5_000 });
    const other = await heartbeatSim(8).run({ duration: 5_000 });
    expect(first.events.length).toBeGreaterThan(1_000);
    expect(second.log()).toEqual(first.log());
    expect(second.stats).toEqual(first.stats);
    expect(other.log()).not.toEqual(first.log());
    // the run really was faulty
    expect(first.log().some((line) => line.includes(' fault '))).toBe(true);
  });

  it('is deterministic for any seed and fault mix (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 }), fc.subarray([...FAULT_KINDS], { minLength: 1 }), async (seed, kinds) => {
        const make = () =>
          new Simulation({ seed, nodes: 4, node: (ctx) => heartbeatNode(ctx, 20), faults: { kinds, meanIntervalMs: 50, durationMs: { min: 10, max: 100 } }, disk: { tornWrites: true } });
        const [a, b] = [await make().run({ duration: 400 }), await make().run({ duration: 400 })];
        expect(b.log()).toEqual(a.log());
        expect(b.shiviz()).toBe(a.shiviz());
      }),
      { numRuns: 25 },
    );
  });

  it('replays client histories exactly, through crashes and timeouts', async () => {
    const first = await runRegister(11);
    const second = await runRegister(11);
    expect(second.log()).toEqual(first.log());
    expect(second.history).toEqual(first.history);
    expect(first.history.length).toBeGreaterThan(50);
  });
});

describe('nodes', () => {
  it('kills timers and the endpoint on crash, and restarts with the synced disk only', async () => {
    const starts: { incarnation: number; stored: string | undefined; at: number }[] = [];
    let ticksOfFirst = 0;
    const sim = new Simulation({
      seed: 1,
      nodes: ['a', 'b'],
      node: (ctx) => {
        if (ctx.id !== 'a') return undefined;
        const stored = ctx.disk.read('x');
        starts.push({ incarnation: ctx.incarnation, stored: stored && new TextDecoder().decode(stored), at: ctx.clock.monotonic() });
        if (ctx.incarnation === 1) {
          ctx.disk.write('x', new TextEncoder().encode('synced'));
          ctx.disk.sync();
          ctx.disk.write('x', new TextEncoder().encode('unsynced'));
          const tick = (): void => {
            ticksOfFirst++;
            ctx.timers.setTimeout(tick, 10);
          };
          tick();
        }
        return undefined;
      },
    });
    sim.at(95, () => sim.crash('a'));
    sim.at(300, () => sim.restart('a'));
    const result = await sim.run({ duration: 1_000 });
    expect(ticksOfFirst).toBe(10); // at 0, 10, …, 90; none after the crash
    expect(starts).toEqual([
      { incarnation: 1, stored: undefined, at: 0 },
      { incarnation: 2, stored: 'synced', at: 300 },
    ]);
    expect(result.log()).toContain('      95.000 a crash (lost 1 unsynced write)');
    expect(result.stats.crashes).toBe(1);
    expect(result.stats.restarts).toBe(1);
  });

  it('tears the last unsynced write at a random byte when asked', async () => {
    const sim = new Simulation({
      seed: 12,
      nodes: ['a'],
      disk: { tornWrites: true },
      node: (ctx) => {
        if (ctx.incarnation === 1) {
          ctx.disk.append('wal', new Uint8Array([1, 1, 1, 1]));
          ctx.disk.sync();
          ctx.disk.append('wal', new Uint8Array(100).fill(2));
        }
        return undefined;
      },
    });
    sim.at(1, () => sim.crash('a'));
    const result = await sim.run({ duration: 2 });
    const crash = result.log().find((line) => line.includes(' crash '))!;
    const landed = Number(/torn write to wal: (\d+) of 100 bytes landed/.exec(crash)![1]);
    expect(sim.disk('a').read('wal')).toEqual(new Uint8Array([1, 1, 1, 1, ...new Array<number>(landed).fill(2)]));
  });

  it('loses messages in flight to a crashed node, and a dead process never sends again', async () => {
    let sendSettled = false;
    const sim = new Simulation({
      seed: 2,
      nodes: ['a', 'b'],
      network: { latency: { min: 50, max: 50 } },
      node: (ctx) => {
        if (ctx.id === 'a') {
          void ctx.endpoint.send('b', new Uint8Array([1]));
          ctx.timers.setTimeout(() => undefined, 1);
          return { later: () => ctx.endpoint.send('b', new Uint8Array([2])) };
        }
        return { later: () => Promise.resolve() };
      },
    });
    sim.at(10, () => sim.crash('b'));
    let stale: { later(): Promise<void> } | undefined;
    sim.at(20, () => {
      stale = sim.handle('a');
      sim.crash('a');
      void stale!.later().then(() => {
        sendSettled = true;
      });
    });
    const result = await sim.run({ duration: 200 });
    expect(sendSettled).toBe(false);
    const log = result.log();
    expect(log.filter((line) => line.includes(' send '))).toEqual(['       0.000 a send #1 -> b 1B']);
    expect(log).toContain('     200.000 a lost #1 -> b (never delivered)');
  });

  it('gives each node its own skewed, drifting clock and runs its timers in its own time', async () => {
    const seen: Record<string, { wall: number; fired: number }> = {};
    const sim = new Simulation({
      seed: 3,
      nodes: ['fast', 'slow'],
      clocks: { wallStart: 0 },
      node: (ctx) => {
        ctx.timers.setTimeout(() => {
          seen[ctx.id] = { wall: ctx.clock.now(), fired: sim.now() };
        }, 1_000);
        return undefined;
      },
    });
    sim.clock('fast').setDrift(100_000); // 10% fast
    sim.clock('slow').jumpWall(-60_000);
    await sim.run({ duration: 5_000 });
    expect(seen.fast!.fired).toBeCloseTo(1_000 / 1.1, 6);
    expect(seen.fast!.wall).toBeCloseTo(1_000, 6);
    expect(seen.slow).toEqual({ wall: 1_000 - 60_000, fired: 1_000 });
  });

  it('draws random per-node skew and drift within the configured bounds', async () => {
    const sim = new Simulation({ seed: 4, nodes: 5, clocks: { maxSkewMs: 500, maxDriftPpm: 200 }, node: () => undefined });
    const skews = sim.nodes.map((id) => sim.clock(id).skewMs);
    for (const id of sim.nodes) {
      expect(Math.abs(sim.clock(id).skewMs)).toBeLessThanOrEqual(500);
      expect(Math.abs(sim.clock(id).driftPpm)).toBeLessThanOrEqual(200 + 1e-9);
    }
    expect(new Set(skews).size).toBe(5);
  });

  it('fails the run with the seed and the replay command when node code throws', async () => {
    const sim = new Simulation({
      seed: 1234,
      nodes: 2,
      replay: 'SIM_SEED={seed} npx vitest run test/simulation.test.ts',
      node: (ctx) => {
        ctx.endpoint.onMessage(() => {
          throw new Error('handler bug');
        });
        void ctx.endpoint.send(ctx.id === 'n1' ? 'n2' : 'n1', new Uint8Array([0]));
        return undefined;
      },
    });
    const error = await sim.run({ duration: 100 }).catch((e: unknown) => e);
    expect(isLatticeError(error, SimulationError.code)).toBe(true);
    expect((error as Error).message).toContain('handler bug');
    expect((error as Error).message).toContain('seed: 1234');
    expect((error as Error).message).toContain('SIM_SEED=1234 npx vitest run test/simulation.test.ts');
  });
});

describe('run control', () => {
  it('fails a run whose code keeps virtual time from advancing', async () => {
    const sim = new Simulation({
      seed: 1,
      nodes: 1,
      maxEventsPerInstant: 1_000,
      node: (ctx) => {
        const spin = (): void => {
          ctx.timers.setTimeout(spin, 0);
        };
        spin();
        return undefined;
      },
    });
    await expect(sim.run({ duration: 100 })).rejects.toThrow(/more than 1000 events at virtual time 0/);
  });

  it('fails the run when a scheduled action throws, naming the seed', async () => {
    const sim = new Simulation({ seed: 77, nodes: 1, node: () => undefined });
    sim.at(5, () => {
      throw new Error('invariant broken: two leaders');
    });
    await expect(sim.run({ duration: 10 })).rejects.toThrow(/two leaders[\s\S]*seed: 77/);
  });

  it('keeps the handles of nodes that were up at the end readable after the run', async () => {
    const sim = new Simulation({ seed: 5, nodes: 3, node: (ctx) => heartbeatNode(ctx, 10) });
    sim.at(50, () => sim.crash('n3'));
    await sim.run({ duration: 100 });
    expect(sim.isUp('n1')).toBe(true);
    expect(sim.isUp('n3')).toBe(false);
    expect(sim.handle('n1')!.lastSeen.get('n2')).toBeGreaterThan(80);
    expect(sim.handle('n3')).toBeUndefined();
  });
});

describe('network faults', () => {
  it('drops traffic across a partition and through a one-way cut, and heals', async () => {
    const sim = new Simulation({ seed: 5, nodes: ['a', 'b', 'c'], node: (ctx) => heartbeatNode(ctx, 10) });
    sim.at(100, () => sim.partition({ left: ['a'], right: ['b', 'c'] }));
    sim.at(200, () => sim.heal());
    sim.at(300, () => sim.cut('a', 'b'));
    sim.at(400, () => sim.heal());
    const result = await sim.run({ duration: 500 });
    const delivered = result.events.filter((event) => event.kind === 'deliver');
    const during = (from: number, to: number, sender: string, receiver: string) =>
      delivered.filter((event) => event.time > from + 15 && event.time < to && event.peer === sender && event.node === receiver).length;
    expect(during(100, 200, 'a', 'b')).toBe(0);
    expect(during(100, 200, 'b', 'a')).toBe(0);
    expect(during(100, 200, 'b', 'c')).toBeGreaterThan(5);
    expect(during(300, 400, 'a', 'b')).toBe(0);
    expect(during(300, 400, 'b', 'a')).toBeGreaterThan(5);
    expect(during(400, 500, 'a', 'b')).toBeGreaterThan(5);
    expect(result.events.some((event) => event.kind === 'drop')).toBe(true);
  });

  it('marks duplicated deliveries', async () => {
    const sim = new Simulation({ seed: 6, nodes: 2, network: { duplicateRate: 0.5 }, node: (ctx) => heartbeatNode(ctx, 10) });
    const result = await sim.run({ duration: 300 });
    const duplicates = result.events.filter((event) => event.kind === 'deliver' && event.text === 'duplicate');
    expect(duplicates.length).toBeGreaterThan(5);
    const seen = new Set<number>();
    for (const event of result.events) {
      if (event.kind !== 'deliver') continue;
      expect(event.text).toBe(seen.has(event.msg!) ? 'duplicate' : undefined);
      seen.add(event.msg!);
    }
    expect(result.events.filter((event) => event.kind === 'deliver').length).toBe(result.stats.network.delivered);
  });
});

describe('clients', () => {
  it('records ok, failed and unknown outcomes, with a fresh process after an unknown one', async () => {
    const sim = new Simulation<{ id: string }, string, string>({
      seed: 9,
      nodes: 1,
      node: (ctx) => ({ id: ctx.id }),
      clients: {
        count: 1,
        timeoutMs: 100,
        run: async (client) => {
          const first = await client.invoke('ok', async () => {
            await client.sleep(5);
            return 'done';
          });
          expect(first).toEqual({ status: 'ok', output: 'done' });
          expect(client.process).toBe(0);
          const failed = await client.invoke('refused', () => {
            throw new OperationFailedError('not the leader');
          });
          expect(failed.status).toBe('fail');
          const hung = await client.invoke('hangs', () => new Promise<string>(() => undefined));
          expect(hung.status).toBe('info');
          expect(client.process).toBe(1);
          const threw = await client.invoke('throws', () => Promise.reject(new Error('connection reset')));
          expect(threw.status).toBe('info');
          expect(client.process).toBe(2);
          await client.invoke('never returns before the end', () => new Promise<string>(() => undefined), { timeoutMs: 10_000 });
        },
      },
    });
    const result = await sim.run({ duration: 1_000 });
    expect(result.history).toEqual([
      { process: 0, call: 0, return: 5, input: 'ok', output: 'done' },
      { process: 0, call: 5, return: undefined, input: 'hangs', output: undefined },
      { process: 1, call: 105, return: undefined, input: 'throws', output: undefined },
      { process: 2, call: 105, return: undefined, input: 'never returns before the end', output: undefined },
    ]);
    expect(result.stats).toMatchObject({ ok: 1, fail: 1, info: 3 });
    expect(result.endTime).toBe(1_000);
  });

  it('refuses a second concurrent operation on one client', async () => {
    let second: unknown;
    const sim = new Simulation<undefined, string, string>({
      seed: 1,
      nodes: 1,
      node: () => undefined,
      clients: {
        count: 1,
        run: async (client) => {
          const first = client.invoke('a', async () => 'x');
          second = await client.invoke('b', async () => 'y').catch((e: unknown) => e);
          await first;
        },
      },
    });
    await sim.run({ duration: 10 });
    expect(second).toBeInstanceOf(InvalidArgumentError);
  });
});

describe('options', () => {
  it('rejects bad options with typed errors', async () => {
    const node = () => undefined;
    expect(() => new Simulation({ seed: 1.5, nodes: 1, node })).toThrow(InvalidArgumentError);
    expect(() => new Simulation({ seed: 1, nodes: 0, node })).toThrow(InvalidArgumentError);
    expect(() => new Simulation({ seed: 1, nodes: ['a', 'a'], node })).toThrow(InvalidArgumentError);
    expect(() => new Simulation({ seed: 1, nodes: ['a b'], node })).toThrow(InvalidArgumentError);
    expect(() => new Simulation({ seed: 1, nodes: 1, node, faults: { kinds: ['meteor' as never] } })).toThrow(InvalidArgumentError);
    expect(() => new Simulation({ seed: 1, nodes: 1, node, faults: { meanIntervalMs: 0 } })).toThrow(InvalidArgumentError);
    expect(() => new Simulation({ seed: 1, nodes: 1, node, faults: { durationMs: { min: 5, max: 1 } } })).toThrow(InvalidArgumentError);
    expect(() => new Simulation({ seed: 1, nodes: 1, node, settleTicks: 0 })).toThrow(InvalidArgumentError);
    await expect(new Simulation({ seed: 1, nodes: 1, node }).run({ duration: -1 })).rejects.toThrow(InvalidArgumentError);
    expect(() => new Simulation({ seed: 1, nodes: 1, node }).crash('zz')).toThrow(InvalidArgumentError);
    expect(() => new Simulation({ seed: 1, nodes: 1, node }).partition({ a: ['n1'], b: ['zz'] })).toThrow(InvalidArgumentError);
    expect(() => new Simulation({ seed: 1, nodes: 1, node }).cut('n1', 'zz')).toThrow(InvalidArgumentError);
  });

  it('runs once', async () => {
    const sim = new Simulation({ seed: 1, nodes: 1, node: () => undefined });
    await sim.run({ duration: 1 });
    await expect(sim.run({ duration: 1 })).rejects.toThrow(InvalidArgumentError);
  });

  it('takes seeds from SIM_SEED when set', () => {
    expect(simulationSeeds({ count: 3, env: {} })).toEqual([1, 2, 3]);
    expect(simulationSeeds({ count: 3, first: 10, env: {} })).toEqual([10, 11, 12]);
    expect(simulationSeeds({ count: 3, env: { SIM_SEED: '42' } })).toEqual([42]);
    expect(simulationSeeds({ count: 3, env: { SIM_SEED: '4, 5' } })).toEqual([4, 5]);
    expect(() => simulationSeeds({ count: 3, env: { SIM_SEED: 'x' } })).toThrow(InvalidArgumentError);
  });
});
