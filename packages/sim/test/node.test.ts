import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { Simulation } from '../src/index.js';
import { saveRun } from '../src/node/index.js';
import { heartbeatNode } from './support/heartbeat.js';

it('saveRun writes the event log, ShiViz log and diagram of a run', async () => {
  const sim = new Simulation({ seed: 31, nodes: 3, node: (ctx) => heartbeatNode(ctx, 20), replay: 'SIM_SEED={seed} npx vitest run test/node.test.ts' });
  sim.at(50, () => sim.crash('n2'));
  const result = await sim.run({ duration: 100 });
  const dir = await mkdtemp(join(tmpdir(), 'lattice-sim-'));
  try {
    const saved = await saveRun(result, join(dir, 'nested'));
    const events = await readFile(saved.events, 'utf8');
    expect(events.split('\n').slice(0, 2)).toEqual(['# seed 31', '# replay: SIM_SEED=31 npx vitest run test/node.test.ts']);
    expect(events).toContain(result.log()[0]);
    expect(await readFile(saved.shiviz, 'utf8')).toBe(result.shiviz());
    expect(await readFile(saved.diagram, 'utf8')).toContain('class="crash"');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
