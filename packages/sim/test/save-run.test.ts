import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { Simulation, saveRun } from '../src/index.js';
import { heartbeatNode } from './support/heartbeat.js';

it('saveRun writes the event log, ShiViz log and diagram of a run', async () => {
  const sim = new Simulation({ seed: 31, nodes: 3, node: (ctx) => heartbeatNode(ctx, 20), replay: 'SIM_SEED={seed} npx vitest run test/node.test.ts' });
  sim.at(50, () => sim.crash('n2'));
  const result = await sim.run({ duration: 100 });
  const dir = await fs.mkdtemp(join(tmpdir(), 'lattice-sim-'));
  try {
    const saved = await saveRun(result, join(dir, 'nested'), fs);
    const events = await fs.readFile(saved.events, 'utf8');
    expect(events.split('\n').slice(0, 2)).toEqual(['# seed 31', '# replay: SIM_SEED=31 npx vitest run test/node.test.ts']);
    expect(events).toContain(result.log()[0]);
    expect(await fs.readFile(saved.shiviz, 'utf8')).toBe(result.shiviz());
    expect(await fs.readFile(saved.diagram, 'utf8')).toContain('class="crash"');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
