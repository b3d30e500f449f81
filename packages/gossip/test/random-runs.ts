import { Cluster } from './cluster.js';

/**
 * One seeded run: 4–12 members with light message loss; one crashes, one stalls for a moment.
 * Everyone live must end up holding the crashed one dead, and no live member dead.
 */
export function randomRun(seed: number): { problems: string[]; messages: number } {
  const size = 4 + (seed % 9);
  const cluster = new Cluster({ seed, size, loss: (seed % 3) * 0.01 });
  cluster.bootstrap();
  const victim = `n${1 + (seed % (size - 1))}`;
  const staller = `n${1 + ((seed + 1) % (size - 1))}`;
  cluster.crash(victim);
  if (staller !== victim) cluster.pause(staller, 300 + (seed % 700));
  cluster.runFor(60_000);
  const problems: string[] = [];
  for (const id of cluster.ids) {
    if (id === victim) continue;
    for (const m of cluster.core(id).members()) {
      const expected = m.id === victim ? 'dead' : 'alive';
      if (m.state !== expected) problems.push(`${id} holds ${m.id} ${m.state}, expected ${expected}`);
    }
  }
  return { problems, messages: cluster.messages };
}
