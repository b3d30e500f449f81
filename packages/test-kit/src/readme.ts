import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { systemTimers } from '@lattice/core';
import { isServiceName, type ServiceName } from './binaries.js';
import { ReadmeFormatError } from './errors.js';

/**
 * One ```ts or ```js block of a README, with what the README says it prints.
 *
 * The convention (docs/architecture.md, "README examples"): right after the block, a line
 * `Prints:` and a ```text block holding the exact stdout; no `Prints:` means it prints nothing.
 * A comment right before the block can say `<!-- not-run: reason -->` (a fragment that cannot
 * run alone) or `<!-- needs: redis -->` (run with a private server; see {@link SERVICE_ENV}).
 */
export interface ReadmeBlock {
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: 'ts' | 'js';
  /** The nearest heading above the block. */
  readonly heading: string;
  readonly code: string;
  /** The stdout the README promises ('' when it shows none). */
  readonly expected: string;
  /** Why the block is not run, when it opts out. */
  readonly notRun: string | undefined;
  /** Services the block needs, started before it runs. */
  readonly needs: readonly ServiceName[];
}

/** The environment variables through which a block that `needs` a service finds it. */
export const SERVICE_ENV: Readonly<Record<ServiceName, string>> = Object.freeze({
  redis: 'REDIS_URL',
  postgres: 'DATABASE_URL',
  etcd: 'ETCD_ENDPOINTS',
  nats: 'NATS_URL',
});

const FENCE = /^```(\w*)\s*$/;
const MARKER = /^<!--\s*(not-run|needs):\s*(.*?)\s*-->\s*$/;

/** Every ```ts / ```js block of a README, with its markers and expected output. */
export function extractReadmeBlocks(readme: string): ReadmeBlock[] {
  const lines = readme.split('\n');
  const blocks: ReadmeBlock[] = [];
  let heading = '(top)';
  let i = 0;
  const closing = (from: number): number => {
    for (let j = from; j < lines.length; j++) if (lines[j]!.trimEnd() === '```') return j;
    throw new ReadmeFormatError(`unclosed code fence at line ${from}`);
  };
  while (i < lines.length) {
    const line = lines[i]!;
    if (/^#{1,6} /.test(line)) heading = line.replace(/^#+\s*/, '');
    const fence = FENCE.exec(line);
    if (fence === null) {
      i++;
      continue;
    }
    const end = closing(i + 1);
    const lang = fence[1];
    if (lang !== 'ts' && lang !== 'js' && lang !== 'typescript' && lang !== 'javascript') {
      i = end + 1;
      continue;
    }
    let notRun: string | undefined;
    const needs: ServiceName[] = [];
    for (let j = i - 1; j >= 0; j--) {
      const marker = MARKER.exec(lines[j]!.trim());
      if (lines[j]!.trim() === '') continue;
      if (marker === null) break;
      if (marker[1] === 'not-run') {
        if (marker[2] === '') throw new ReadmeFormatError(`line ${j + 1}: not-run needs a reason`);
        notRun = marker[2];
      } else {
        for (const name of marker[2]!.split(/[\s,]+/).filter(Boolean)) {
          if (!isServiceName(name)) throw new ReadmeFormatError(`line ${j + 1}: unknown service ${JSON.stringify(name)}`);
          needs.push(name);
        }
      }
    }
    let expected = '';
    let next = end + 1;
    while (next < lines.length && lines[next]!.trim() === '') next++;
    if (next < lines.length && lines[next]!.trim() === 'Prints:') {
      let open = next + 1;
      while (open < lines.length && lines[open]!.trim() === '') open++;
      if (!/^```text\s*$/.test(lines[open] ?? '')) throw new ReadmeFormatError(`line ${next + 1}: "Prints:" must be followed by a \`\`\`text block`);
      const close = closing(open + 1);
      expected = lines.slice(open + 1, close).join('\n');
      next = close + 1;
    } else {
      next = end + 1;
    }
    blocks.push({
      line: i + 1,
      lang: lang === 'js' || lang === 'javascript' ? 'js' : 'ts',
      heading,
      code: lines.slice(i + 1, end).join('\n'),
      expected: normalizeOutput(expected),
      notRun,
      needs,
    });
    i = next;
  }
  return blocks;
}

/** Output as compared: trailing spaces of each line and trailing blank lines dropped. */
export function normalizeOutput(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n+$/, '');
}

export interface RunBlockOptions {
  /** The package directory: the block runs inside it, so `@lattice/<pkg>` resolves to its sources. */
  readonly packageDir: string;
  /** A stable name for the module file. */
  readonly name: string;
  /** Extra environment (service URLs). */
  readonly env?: Readonly<Record<string, string>>;
  /** Kills the block after this long (a block that never exits has left something open); default 30 s. */
  readonly timeoutMs?: number | undefined;
}

export interface BlockRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/**
 * Runs a block as an ES module with `node --conditions=@lattice/source --import tsx` in
 * `<package>/.lattice-tmp/readme/`, so workspace imports resolve to the TypeScript sources.
 */
export function runReadmeBlock(block: ReadmeBlock, options: RunBlockOptions): Promise<BlockRun> {
  const dir = join(options.packageDir, '.lattice-tmp', 'readme');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${options.name}-${process.pid}.${block.lang === 'ts' ? 'mts' : 'mjs'}`);
  writeFileSync(file, `${block.code}\n`);
  return new Promise((resolve) => {
    // tsx by absolute URL: a block may run in a directory that cannot resolve it.
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const child = spawn(process.execPath, ['--conditions=@lattice/source', '--import', tsx, file], {
      // Files an example writes (a report, a log) land in the gitignored temp dir.
      cwd: dir,
      env: { ...process.env, ...options.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = systemTimers.setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 30_000);
    child.once('close', (code, signal) => {
      systemTimers.clearTimeout(timer);
      rmSync(file, { force: true });
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}
