import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, type FaultKind, Simulation } from '../src/index.js';
import { heartbeatNode } from './support/heartbeat.js';

function sim(seed: number, kinds: readonly FaultKind[] | Partial<Record<FaultKind, number>>, extra: { stop?: number; maxCrashed?: number } = {}) {
  return new Simulation({ seed, nodes: 5, node: (ctx) => heartbeatNode(ctx, 50), faults: { kinds, meanIntervalMs: 100, durationMs: { min: 50, max: 300 }, ...extra } });
}

const signature: Record<FaultKind, RegExp> = {
  partition: / fault partition \[.+\] \| \[.+\]/,
  isolate: / fault isolate n\d/,
  'one-way': / fault cut n\d -> n\d/,
  drop: / fault drop rate 0\.3/,
  duplicate: / fault duplicate rate 0\.3/,
  delay: / fault latency 20-200 ms/,
  reorder: / fault reorder rate 0\.5/,
  crash: / n\d crash /,
  'clock-jump': / fault clock of n\d jumps [+-]\d+ ms/,
  'clock-drift': / fault clock of n\d drifts -?\d/,
};

describe('random fault schedule', () => {
  it.each(FAULT_KINDS)('injects %s faults, and undoes them', async (kind) => {
    const result = await sim(1, [kind]).run({ duration: 3_000 });
    const log = result.log();
    expect(log.filter((line) => signature[kind].test(line)).length).toBeGreaterThan(3);
    if (kind === 'crash') expect(log.some((line) => / n\d restart /.test(line))).toBe(true);
    if (['partition', 'isolate', 'one-way'].includes(kind)) expect(log.some((line) => line.endsWith(' fault heal'))).toBe(true);
  });

  it('never has more than maxCrashed nodes down at once', async () => {
    const result = await sim(2, ['crash'], { maxCrashed: 2 }).run({ duration: 10_000 });
    let down = 0;
    let most = 0;
    for (const event of result.events) {
      if (event.kind === 'crash') down++;
      if (event.kind === 'start' && event.msg! > 1) down--;
      most = Math.max(most, down);
    }
    expect(most).toBe(2);
  });

  it('stops at `stop`: heals, restores rates and restarts crashed nodes, so the cluster recovers', async () => {
    const simulation = sim(3, { ...Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 1])), crash: 5 }, { stop: 2_000 });
    const result = await simulation.run({ duration: 3_000 });
    const lastFault = Math.max(...result.events.filter((event) => event.kind === 'fault' || event.kind === 'crash').map((event) => event.time));
    expect(lastFault).toBeLessThanOrEqual(2_000);
    expect(result.stats.crashes).toBeGreaterThan(0);
    expect(result.stats.restarts).toBe(result.stats.crashes);
    // After recovery every node hears from every other within a heartbeat or two.
    for (const id of simulation.nodes) {
      const heard = new Set(result.events.filter((event) => event.kind === 'deliver' && event.node === id && event.time > 2_800).map((event) => event.peer));
      expect(heard.size).toBe(4);
    }
  });

  it('weights kinds: zero weight never fires', async () => {
    const result = await new Simulation({ seed: 4, nodes: 3, node: (ctx) => heartbeatNode(ctx), faults: { kinds: { drop: 1, crash: 0 } } }).run({ duration: 3_000 });
    expect(result.stats.crashes).toBe(0);
    expect(result.log().some((line) => line.includes('drop rate 0.3'))).toBe(true);
  });
});
