import { InvalidArgumentError } from '@lattice/core';
import { codeOf } from '@lattice/test-kit';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../src/index.js';

/** n1 pings n2 every 100 ms; n2 echoes; returns n1's round-trip times. */
async function roundTrips(seed: number, slow: (sim: Simulation) => void): Promise<{ rtts: number[]; log: string[] }> {
  const rtts: number[] = [];
  const sim = new Simulation({
    seed,
    nodes: 2,
    network: { latency: { min: 1, max: 1 } },
    node: (ctx) => {
      const sentAt = new Map<number, number>();
      ctx.endpoint.onMessage((m) => {
        if (ctx.id === 'n2') void ctx.endpoint.send(m.from, m.payload);
        else rtts.push(ctx.clock.monotonic() - sentAt.get(m.payload[0]!)!);
      });
      if (ctx.id === 'n1') {
        let i = 0;
        const ping = () => {
          sentAt.set(i, ctx.clock.monotonic());
          void ctx.endpoint.send('n2', new Uint8Array([i++]));
          if (i < 40) ctx.timers.setTimeout(ping, 100);
        };
        ping();
      }
      return {};
    },
  });
  slow(sim);
  const result = await sim.run({ duration: 5_000 });
  return { rtts, log: result.log() };
}

describe('Simulation.slowDown (a CPU-starved member)', () => {
  it('a slowed node handles each message up to maxDelayMs late; 0 restores it; same seed, same delays', async () => {
    const quick = await roundTrips(1, () => undefined);
    expect(quick.rtts.every((rtt) => rtt === 2)).toBe(true);
    const slowed = await roundTrips(1, (sim) => {
      sim.slowDown('n2', 80);
      sim.at(2_000, () => sim.slowDown('n2', 0));
    });
    const during = slowed.rtts.slice(0, 19);
    const after = slowed.rtts.slice(21);
    expect(Math.max(...during)).toBeLessThanOrEqual(82);
    expect(during.filter((rtt) => rtt > 10).length).toBeGreaterThan(10);
    expect(after.every((rtt) => rtt === 2)).toBe(true);
    expect(slowed.log.some((line) => line.includes('n2 handles each message up to 80 ms late'))).toBe(true);
    const again = await roundTrips(1, (sim) => {
      sim.slowDown('n2', 80);
      sim.at(2_000, () => sim.slowDown('n2', 0));
    });
    expect(again.rtts).toEqual(slowed.rtts);
  });

  it('refuses an unknown node and a bad delay with InvalidArgumentError', () => {
    const sim = new Simulation({ seed: 1, nodes: 2, node: () => ({}) });
    for (const call of [() => sim.slowDown('n9', 10), () => sim.slowDown('n1', -1), () => sim.slowDown('n1', Number.NaN), () => sim.slowDown('n1', '5' as never)]) {
      expect(codeOf(call)).toBe(InvalidArgumentError.code);
    }
  });
});
