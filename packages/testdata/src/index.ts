/**
 * Finds the public test corpora (editing traces, linearizability histories) that live beside
 * the project in `../shared/testdata`, or wherever `LATTICE_TESTDATA` points. The project does
 * not commit copies of them; where they are absent, corpus tests skip with one clear line.
 *
 * @packageDocumentation
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));

/** The corpus root: `$LATTICE_TESTDATA`, else `<repo>/../shared/testdata`; undefined when absent. */
export function testdataRoot(): string | undefined {
  const fromEnv = process.env.LATTICE_TESTDATA;
  if (fromEnv !== undefined && fromEnv !== '') return existsSync(fromEnv) ? resolve(fromEnv) : undefined;
  // here = packages/testdata/{src,dist}; the repository root is three levels up.
  const candidate = resolve(here, '..', '..', '..', '..', 'shared', 'testdata');
  return existsSync(candidate) ? candidate : undefined;
}

/** Absolute path of a corpus file, or undefined when the corpora (or that file) are absent. */
export function testdataPath(...parts: string[]): string | undefined {
  const root = testdataRoot();
  if (root === undefined) return undefined;
  const path = join(root, ...parts);
  return existsSync(path) ? path : undefined;
}

/** Reads a corpus file as text, gunzipping `.gz` files. Throws if it is absent. */
export function readTestdata(...parts: string[]): string {
  const path = testdataPath(...parts);
  if (path === undefined) throw new Error(`Test corpus file ${parts.join('/')} not found (${MISSING_HINT})`);
  const bytes = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** The one line corpus tests print when they skip. */
export const MISSING_HINT =
  'public corpora not found: set LATTICE_TESTDATA or place them at ../shared/testdata (see the root README, "Test data")';

/**
 * For `describe.skipIf(...)`: true when the corpora are absent, after printing the reason once.
 */
export function corpusMissing(what: string): boolean {
  if (testdataRoot() !== undefined) return false;
  console.warn(`[skip] ${what}: ${MISSING_HINT}`);
  return true;
}

/** One sequential editing trace (the editing-traces format). */
export interface EditingTrace {
  startContent: string;
  endContent: string;
  txns: { patches: [position: number, deleteCount: number, insert: string][]; agent?: number; parents?: number[] }[];
}

/** Loads `editing-traces/<name>.json.gz`. */
export function loadEditingTrace(name: string): EditingTrace {
  return JSON.parse(readTestdata('editing-traces', `${name}.json.gz`)) as EditingTrace;
}
