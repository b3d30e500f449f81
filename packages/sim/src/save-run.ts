import { assertOptionalObject, InvalidArgumentError } from '@lattice/core';
import type { DiagramOptions } from './diagram.js';
import type { SimulationResult } from './simulation.js';

/** What {@link saveRun} and {@link runArtifacts} need of a run. */
export type SavableRun = Pick<SimulationResult, 'seed' | 'replay' | 'log' | 'shiviz' | 'diagram'>;

/** The files that describe one run: file name → contents. */
export interface RunArtifacts {
  /** The text event log, one event a line, headed by the seed and the replay command. */
  readonly 'events.log': string;
  /** The ShiViz log. */
  readonly 'shiviz.log': string;
  /** The self-contained HTML page with the space-time diagram. */
  readonly 'diagram.html': string;
}

/**
 * The two file-system calls {@link saveRun} makes. `node:fs/promises` satisfies it as is;
 * taking it as a parameter keeps this package free of Node imports, so it runs anywhere.
 */
export interface RunFileSystem {
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  writeFile(path: string, data: string): Promise<unknown>;
}

/** Where {@link saveRun} wrote each file. */
export interface SavedRun {
  readonly dir: string;
  readonly events: string;
  readonly shiviz: string;
  readonly diagram: string;
}

/** Options of {@link saveRun} and {@link runArtifacts}. */
export interface SaveRunOptions {
  /** Options of the diagram (window, scale, title). */
  diagram?: DiagramOptions;
}

/** The event log, ShiViz log and space-time diagram of a run, as strings. */
export function runArtifacts(run: SavableRun, options: SaveRunOptions = {}): RunArtifacts {
  assertSavableRun(run);
  assertOptionalObject(options, 'options');
  return {
    'events.log': `# seed ${run.seed}\n# replay: ${run.replay}\n${run.log().join('\n')}\n`,
    'shiviz.log': run.shiviz(),
    'diagram.html': run.diagram(options.diagram),
  };
}

/**
 * Writes `events.log`, `shiviz.log` and `diagram.html` of a run into `dir` (created if
 * missing), through the file system you pass — in Node, `node:fs/promises`.
 *
 * @example
 * ```ts
 * import { assertLinearizable, saveRun } from '@lattice/sim';
 * const fs = await import('node:fs/promises'); // in Node
 *
 * try {
 *   assertLinearizable(result, registerModel);
 * } catch (error) {
 *   const saved = await saveRun(result, `.lattice-tmp/sim-${result.seed}`, fs);
 *   console.error(`open ${saved.diagram}`);
 *   throw error;
 * }
 * ```
 */
export async function saveRun(run: SavableRun, dir: string, fs: RunFileSystem, options: SaveRunOptions = {}): Promise<SavedRun> {
  assertSavableRun(run);
  if (typeof dir !== 'string' || dir === '') throw new InvalidArgumentError('dir must be a non-empty path');
  if (typeof fs?.mkdir !== 'function' || typeof fs.writeFile !== 'function') {
    throw new InvalidArgumentError('fs must have mkdir and writeFile functions (node:fs/promises does)');
  }
  await fs.mkdir(dir, { recursive: true });
  const base = dir.endsWith('/') ? dir.slice(0, -1) : dir;
  const saved: SavedRun = { dir, events: `${base}/events.log`, shiviz: `${base}/shiviz.log`, diagram: `${base}/diagram.html` };
  const files = runArtifacts(run, options);
  await Promise.all([
    fs.writeFile(saved.events, files['events.log']),
    fs.writeFile(saved.shiviz, files['shiviz.log']),
    fs.writeFile(saved.diagram, files['diagram.html']),
  ]);
  return saved;
}

function assertSavableRun(run: unknown): asserts run is SavableRun {
  const candidate = run as Partial<SavableRun> | null | undefined;
  if (typeof candidate?.log !== 'function' || typeof candidate.shiviz !== 'function' || typeof candidate.diagram !== 'function') {
    throw new InvalidArgumentError('run must be the result of Simulation.run');
  }
}
