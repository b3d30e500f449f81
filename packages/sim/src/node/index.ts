/**
 * Node-only helpers of `@lattice/sim`: {@link saveRun} writes a run's event log, ShiViz log and
 * space-time diagram to a directory, for looking at a failing seed. (The main entry runs
 * anywhere; this one imports `node:fs`.)
 *
 * @example
 * ```ts
 * import { assertLinearizable } from '@lattice/sim';
 * import { saveRun } from '@lattice/sim/node';
 *
 * try {
 *   assertLinearizable(result, registerModel);
 * } catch (error) {
 *   const saved = await saveRun(result, `.lattice-tmp/sim-${result.seed}`);
 *   console.error(`open ${saved.diagram}`);
 *   throw error;
 * }
 * ```
 *
 * @packageDocumentation
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DiagramOptions, SimulationResult } from '../index.js';

/** What {@link saveRun} needs of a run. */
export type SavableRun = Pick<SimulationResult, 'seed' | 'replay' | 'log' | 'shiviz' | 'diagram'>;

/** Where {@link saveRun} wrote each file. */
export interface SavedRun {
  readonly dir: string;
  /** The text event log, one event a line, headed by the seed and the replay command. */
  readonly events: string;
  /** The ShiViz log. */
  readonly shiviz: string;
  /** The HTML page with the space-time diagram. */
  readonly diagram: string;
}

/** Options of {@link saveRun}. */
export interface SaveRunOptions {
  /** Options of the diagram (window, scale, title). */
  diagram?: DiagramOptions;
}

/**
 * Writes `events.log`, `shiviz.log` and `diagram.html` of a run into `dir` (created if missing).
 */
export async function saveRun(run: SavableRun, dir: string, options: SaveRunOptions = {}): Promise<SavedRun> {
  await mkdir(dir, { recursive: true });
  const saved: SavedRun = { dir, events: join(dir, 'events.log'), shiviz: join(dir, 'shiviz.log'), diagram: join(dir, 'diagram.html') };
  await Promise.all([
    writeFile(saved.events, `# seed ${run.seed}\n# replay: ${run.replay}\n${run.log().join('\n')}\n`),
    writeFile(saved.shiviz, run.shiviz()),
    writeFile(saved.diagram, run.diagram(options.diagram)),
  ]);
  return saved;
}
