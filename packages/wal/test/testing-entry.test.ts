import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The script is bundled (workspace sources included, every npm package left external) into a
// directory with no node_modules and run there by a plain `node`: an entry that reaches
// `vitest` at load fails with ERR_MODULE_NOT_FOUND, as it would for a user without it.
const source = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lattice-wal-entry-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runBundled(name: string, script: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const input = join(dir, `${name}.src.mjs`);
  await writeFile(input, script);
  await build({
    entryPoints: [input],
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile: join(dir, `${name}.mjs`),
    conditions: ['@lattice/source'],
    alias: {
      '@lattice/core/testing': source('../../core/src/testing/index.ts'),
      '@lattice/wal/testing': source('../src/testing/index.ts'),
      '@lattice/wal/compliance': source('../src/testing/compliance.ts'),
    },
    external: ['vitest', 'fast-check'],
    logLevel: 'silent',
  });
  const result = spawnSync(process.execPath, [join(dir, `${name}.mjs`)], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('@lattice/core/testing and @lattice/wal/testing without a test runner', () => {
  it('load where vitest cannot be resolved, and a ManualClock drives a MemoryWal', async () => {
    const run = await runBundled(
      'doubles',
      `import { ManualClock } from '@lattice/core/testing';
import { MemoryWal, MemoryWalStorage } from '@lattice/wal/testing';
const wal = new MemoryWal({ storage: new MemoryWalStorage() });
const clock = new ManualClock();
clock.setTimeout(async () => console.log('appended', await wal.append(new Uint8Array([1])), 'at', clock.monotonic()), 100);
clock.advance(100);`,
    );
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('appended 1 at 100');
    expect(run.status).toBe(0);
  });

  it('the compliance entry, by contrast, needs vitest (so the check above can fail)', async () => {
    const run = await runBundled('compliance', `import { runWalTests } from '@lattice/wal/compliance';\nconsole.log(typeof runWalTests);`);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('ERR_MODULE_NOT_FOUND');
    expect(run.stderr).toContain('vitest');
  });
});
