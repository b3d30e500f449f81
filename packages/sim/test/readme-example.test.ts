// The README's example, kept runnable: if this file changes, update README.md to match.
import { registerModel } from '@lattice/linearizability';
import { expect, it } from 'vitest';
import { assertLinearizable, type NodeContext, Simulation, simulationSeeds } from '../src/index.js';

// A register kept by one primary (n1) that syncs to its disk before answering.
function primary(ctx: NodeContext) {
  const saved = ctx.disk.read('value');
  let value: number | null = saved === undefined ? null : Number(new TextDecoder().decode(saved));
  return {
    async read() {
      return value;
    },
    async write(next: number) {
      value = next;
      ctx.disk.write('value', new TextEncoder().encode(String(next)));
      ctx.disk.sync();
      return null;
    },
  };
}

it('README example: a crashing primary register is linearizable', async () => {
  for (const seed of simulationSeeds({ count: 5 })) {
    const sim = new Simulation({
      seed,
      nodes: ['n1', 'n2', 'n3'],
      node: primary,
      faults: { kinds: ['crash', 'clock-jump'] },
      replay: 'SIM_SEED={seed} npx vitest run test/readme-example.test.ts',
      clients: {
        count: 3,
        run: async (client) => {
          for (let i = 0; i < 20; i++) {
            const node = client.node('n1');
            if (node === undefined) await client.sleep(50); // primary down: wait for the restart
            else if (client.random.next() < 0.5) await client.invoke({ op: 'read' as const }, () => node.read());
            else await client.invoke({ op: 'write' as const, value: i }, () => node.write(i));
            await client.sleep(client.random.int(30));
          }
        },
      },
    });
    const result = await sim.run({ duration: 60_000 });
    assertLinearizable(result, registerModel);
    expect(result.history.length).toBeGreaterThan(0);
  }
});
