import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('README', () => {
  it('runs the example as written and prints what its comments say', { timeout: 60_000 }, async () => {
    const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
    const example = /## Example\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    // Inside the package, so `@lattice/wal` resolves through the workspace link (gitignored dir).
    const dir = join(packageDir, '.lattice-tmp');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `readme-example-${process.pid}.mts`);
    await writeFile(file, example!);
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=@lattice/source', '--import', 'tsx', file], {
        cwd: packageDir,
      });
      expect(stdout.split('\n').filter(Boolean)).toEqual(['[ 1, 2, 3 ]', '1 put x=1', '2 put y=2', "{ term: 4, votedFor: 'node-b' }", '2 2']);
    } finally {
      await rm(file, { force: true });
    }
  });
});
