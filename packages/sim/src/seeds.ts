import { InvalidArgumentError } from '@lattice/core';

/**
 * A seed for one named random stream of a run, derived from the run's seed (FNV-1a over the
 * seed and the name, finished with a 32-bit mix). Separate streams keep, say, the fault
 * schedule unchanged when a node starts drawing one more random number.
 *
 * @example
 * ```ts
 * const faults = seededRandom(deriveSeed(42, 'faults')); // the same stream for seed 42, every run
 * ```
 */
export function deriveSeed(seed: number, stream: string): number {
  if (!Number.isSafeInteger(seed)) throw new InvalidArgumentError(`seed must be a safe integer, got ${String(seed)}`);
  if (typeof stream !== 'string') throw new InvalidArgumentError(`stream must be a string, got ${typeof stream}`);
  let hash = 0x811c9dc5;
  const text = `${seed}/${stream}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0;
}

/**
 * Fills `{seed}` in a replay command template.
 *
 * @example
 * ```ts
 * replayCommand('SIM_SEED={seed} npx vitest run test/abd.test.ts', 17); // 'SIM_SEED=17 npx vitest run test/abd.test.ts'
 * ```
 */
export function replayCommand(template: string, seed: number): string {
  if (typeof template !== 'string') throw new InvalidArgumentError(`template must be a string, got ${typeof template}`);
  if (!Number.isSafeInteger(seed)) throw new InvalidArgumentError(`seed must be a safe integer, got ${String(seed)}`);
  return template.includes('{seed}') ? template.replaceAll('{seed}', String(seed)) : `${template} (seed ${seed})`;
}

/** Options of {@link simulationSeeds}. */
export interface SimulationSeedsOptions {
  /** How many seeds to run when no seed is forced. */
  count: number;
  /** First seed. Default 1. */
  first?: number;
  /** Environment variable that forces seeds (one, or a comma-separated list). Default `SIM_SEED`. */
  variable?: string;
  /** Environment to read. Default `globalThis.process?.env` (absent outside Node: no override). */
  env?: Record<string, string | undefined>;
}

/**
 * The seeds a test should run: `SIM_SEED=1234` (or `SIM_SEED=1,5,9`) in the environment
 * replays exactly those, otherwise `count` consecutive seeds from `first`.
 *
 * @example
 * ```ts
 * for (const seed of simulationSeeds({ count: 40 })) {
 *   const result = await new Simulation({ seed, ... }).run({ duration: 5_000 });
 *   assertLinearizable(result, registerModel);
 * }
 * ```
 */
export function simulationSeeds(options: SimulationSeedsOptions): number[] {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('simulationSeeds needs an options object ({ count })');
  const { count, first = 1, variable = 'SIM_SEED' } = options;
  if (!Number.isSafeInteger(count) || count < 0) throw new InvalidArgumentError(`count must be a non-negative integer, got ${count}`);
  if (!Number.isSafeInteger(first)) throw new InvalidArgumentError(`first must be a safe integer, got ${first}`);
  const env = options.env ?? (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const forced = env?.[variable];
  if (forced !== undefined && forced.trim() !== '') {
    return forced.split(',').map((part) => {
      const seed = Number(part.trim());
      if (!Number.isSafeInteger(seed)) throw new InvalidArgumentError(`${variable} must hold integer seeds, got ${JSON.stringify(forced)}`);
      return seed;
    });
  }
  return Array.from({ length: count }, (_, i) => first + i);
}
