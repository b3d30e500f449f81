import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { extractReadmeBlocks, ReadmeFormatError, runReadmeBlock } from '../src/index.js';

const fence = '```';
const readme = [
  '# pkg',
  '## First',
  `${fence}ts`,
  "console.log('a');",
  fence,
  '',
  'Prints:',
  '',
  `${fence}text`,
  'a   ',
  '',
  fence,
  '### Shell is not run',
  `${fence}sh`,
  'npm install x',
  fence,
  '<!-- not-run: a fragment of the block above -->',
  `${fence}ts`,
  'app.use(x);',
  fence,
  '<!-- needs: redis, nats -->',
  `${fence}js`,
  'console.log(process.env.REDIS_URL)',
  fence,
].join('\n');

describe('extractReadmeBlocks', () => {
  const blocks = extractReadmeBlocks(readme);

  it('finds the ts and js blocks with their heading, line and expected output', () => {
    expect(blocks.map((b) => [b.lang, b.heading, b.line, b.expected, b.notRun, b.needs])).toEqual([
      ['ts', 'First', 3, 'a', undefined, []],
      ['ts', 'Shell is not run', 18, '', 'a fragment of the block above', []],
      ['js', 'Shell is not run', 22, '', undefined, ['redis', 'nats']],
    ]);
  });

  it('refuses a Prints: without a text block, an unknown service and a not-run without a reason', () => {
    for (const bad of [
      `${fence}ts\nx\n${fence}\nPrints:\n${fence}json\n{}\n${fence}`,
      `<!-- needs: mongodb -->\n${fence}ts\nx\n${fence}`,
      `<!-- not-run: -->\n${fence}ts\nx\n${fence}`,
    ]) {
      const error = (() => {
        try {
          extractReadmeBlocks(bad);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect((error as ReadmeFormatError).code).toBe(ReadmeFormatError.code);
    }
  });
});

describe('runReadmeBlock', () => {
  const packageDir = mkdtempSync(join(tmpdir(), 'lattice-readme-'));
  afterAll(() => rmSync(packageDir, { recursive: true, force: true }));
  const block = (code: string) => ({ ...extractReadmeBlocks(`${fence}ts\n${code}\n${fence}`)[0]! });

  it('runs TypeScript with top-level await and captures stdout', async () => {
    const run = await runReadmeBlock(block("const n: number = await Promise.resolve(2);\nconsole.log('n =', n);"), { packageDir, name: 'ok' });
    expect(run).toMatchObject({ code: 0, stdout: 'n = 2\n', timedOut: false });
  });

  it('reports a throwing block with its exit code and stderr', async () => {
    const run = await runReadmeBlock(block("throw new Error('boom');"), { packageDir, name: 'throws' });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('boom');
  });

  it('kills a block that never exits (something left open)', async () => {
    const run = await runReadmeBlock(block('setInterval(() => undefined, 1000);'), { packageDir, name: 'hangs', timeoutMs: 1500 });
    expect(run.timedOut).toBe(true);
  });
});
