import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Each entry is first built as it is published (one module keeping every export, workspace
// sources included, npm packages left external), into a directory with no node_modules; a
// script importing it is bundled against that module and run there by a plain `node`. An entry
// that reaches `vitest` at load fails with ERR_MODULE_NOT_FOUND, as it would for a user without
// it. (Bundling the script straight from the sources would not show it: `sideEffects: false`
// lets the bundler drop a re-exported suite the script does not use, and the vitest import
// with it, where the published module keeps both.)
const entry = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const entries = { '@lattice/core/testing': '../src/testing/index.ts', '@lattice/core/compliance': '../src/testing/compliance.ts' };
let dir: string;
const built: Record<string, string> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lattice-core-entry-'));
  for (const [name, path] of Object.entries(entries)) {
    built[name] = join(dir, `${name.replaceAll(/[@/]/g, '_')}.mjs`);
    await build({
      entryPoints: [entry(path)],
      bundle: true,
      format: 'esm',
      platform: 'node',
      outfile: built[name]!,
      conditions: ['@lattice/source'],
      external: ['vitest', 'fast-check'],
      logLevel: 'silent',
    });
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runBundled(name: string, script: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const source = join(dir, `${name}.src.mjs`);
  await writeFile(source, script);
  await build({
    entryPoints: [source],
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile: join(dir, `${name}.mjs`),
    conditions: ['@lattice/source'],
    alias: built,
    external: ['vitest', 'fast-check'],
    logLevel: 'silent',
  });
  const result = spawnSync(process.execPath, [join(dir, `${name}.mjs`)], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('@lattice/core/testing without a test runner', () => {
  it('loads and runs ManualClock where vitest cannot be resolved', async () => {
    const run = await runBundled(
      'manual-clock',
      `import { ManualClock } from '@lattice/core/testing';
const clock = new ManualClock();
clock.setTimeout(() => console.log('fired at', clock.monotonic()), 100);
clock.advance(100);`,
    );
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('fired at 100');
    expect(run.status).toBe(0);
  });

  it('the compliance entry, by contrast, needs vitest (so the check above can fail)', async () => {
    const run = await runBundled('compliance', `import { runTransportTests } from '@lattice/core/compliance';\nconsole.log(typeof runTransportTests);`);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('ERR_MODULE_NOT_FOUND');
    expect(run.stderr).toContain('vitest');
  });
});
