/**
 * `npm run locks -w @lattice/examples`: Kleppmann's counterexample, run — Redlock and the fenced
 * Raft lock, each through a client paused past its lease and a clock that jumps forward. Prints
 * the story of every run and writes its space-time diagram to docs/img/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runScenario, type ScenarioFault, type ScenarioLock } from './scenario.js';

const RUNS: readonly (readonly [ScenarioLock, ScenarioFault])[] = [
  ['redlock', 'pause'],
  ['fenced', 'pause'],
  ['redlock', 'clock-jump'],
  ['fenced', 'clock-jump'],
];

/** The file each diagram is written to, relative to the repository root. */
export function diagramPath(lock: ScenarioLock, fault: ScenarioFault): string {
  return `docs/img/lock-service-${lock}-${fault}.svg`;
}

const root = fileURLToPath(new URL('../../../../', import.meta.url));
mkdirSync(`${root}docs/img`, { recursive: true });
for (const [lock, fault] of RUNS) {
  const run = await runScenario(lock, fault);
  console.log(`\n${run.title}`);
  for (const line of run.lines) console.log(line);
  writeFileSync(`${root}${diagramPath(lock, fault)}`, run.svg);
  console.log(`Diagram: ${diagramPath(lock, fault)}`);
}
