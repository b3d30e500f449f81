/**
 * vitest helpers: suites that need a real service, and the README example runner.
 *
 * @packageDocumentation
 */
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceName, serviceMissing, servicesRequired } from './binaries.js';
import { chromiumSkipReason, findChromium } from './chromium.js';
import { extractReadmeBlocks, normalizeOutput, type ReadmeBlock, runReadmeBlock, SERVICE_ENV } from './readme.js';
import type { RunningService } from './service.js';
import { type ServiceTypes, startService } from './start-service.js';

/**
 * Why tests needing `name` must be skipped here (the one line to print), or undefined when they
 * run: the server is installed, or services are required (`CI`, `LATTICE_REQUIRE_SERVICES=1`),
 * in which case starting it fails the tests with the install line.
 */
export function serviceSkipReason(name: ServiceName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (servicesRequired(env)) return undefined;
  return serviceMissing(name, env);
}

/** Prints the one skip line straight to stderr (not through vitest's console capture). */
function printSkip(what: string, reason: string): void {
  process.stderr.write(`[skip] ${what}: ${reason}\n`);
}

/** Options of {@link describeWithService}. */
export interface ServiceSuiteOptions<N extends ServiceName> {
  /** Options for the server (e.g. `{ appendonly: true }` for Redis). */
  readonly options?: ServiceTypes[N]['options'];
}

/**
 * A `describe` whose tests run against a private instance of `name`, started before them and
 * stopped (its dir removed) after them. `service()` returns the running instance inside hooks
 * and tests. Where the server is not installed, the suite is skipped with one line saying what
 * to install, unless services are required, where it fails.
 *
 * @example
 * ```ts
 * describeWithService('redis', 'RedisStore', (redis) => {
 *   let client: Redis;
 *   beforeAll(() => { client = new Redis(redis().url); });
 *   it('…', async () => { … });
 * });
 * ```
 */
export function describeWithService<N extends ServiceName>(
  name: N,
  title: string,
  body: (service: () => ServiceTypes[N]['service']) => void,
  options: ServiceSuiteOptions<N> = {},
): void {
  const skip = serviceSkipReason(name);
  if (skip !== undefined) printSkip(title, skip);
  describe.skipIf(skip !== undefined)(title, () => {
    let running: ServiceTypes[N]['service'] | undefined;
    beforeAll(async () => {
      running = await startService(name, options.options);
    }, 60_000);
    afterAll(async () => {
      await running?.stop();
    }, 30_000);
    body(() => {
      if (running === undefined) throw new Error(`${name} is not running: service() is for hooks and tests, inside the suite`);
      return running;
    });
  });
}

/**
 * A `describe` for tests that drive a real Chromium: `chromium()` returns its executable path
 * (for playwright-core's `chromium.launch({ executablePath, args: CHROMIUM_ARGS })`). Where
 * Chromium is not installed the suite is skipped with one line, unless services are required,
 * where it fails.
 */
export function describeWithChromium(title: string, body: (chromium: () => string) => void): void {
  const skip = chromiumSkipReason();
  if (skip !== undefined) printSkip(title, skip);
  describe.skipIf(skip !== undefined)(title, () => {
    body(() => {
      const path = findChromium();
      if (path === undefined) throw new Error('Chromium not found (required under CI): install it with `apt-get install chromium`');
      return path;
    });
  });
}

/** Options of {@link describeReadme}. */
export interface ReadmeSuiteOptions {
  /** The README, relative to the package directory; default `README.md`. */
  readonly readme?: string;
  /** Per block timeout; default 30 s. */
  readonly timeoutMs?: number;
}

function blockTitle(block: ReadmeBlock): string {
  return `${block.heading} (line ${block.line})`;
}

/**
 * Runs every ```ts / ```js block of the package's README as a module (imports resolved to the
 * sources) and checks that it exits cleanly and prints exactly what the README's `Prints:`
 * block after it says. Call it from `<package>/test/readme.test.ts` with `import.meta.url`.
 */
export function describeReadme(testFileUrl: string, options: ReadmeSuiteOptions = {}): void {
  const packageDir = dirname(dirname(fileURLToPath(testFileUrl)));
  const readmePath = join(packageDir, options.readme ?? 'README.md');
  const blocks = extractReadmeBlocks(readFileSync(readmePath, 'utf8'));
  describe(`README examples (${options.readme ?? 'README.md'})`, () => {
    afterAll(() => rmSync(join(packageDir, '.lattice-tmp', 'readme'), { recursive: true, force: true }));
    it('has at least one example that runs', () => {
      expect(blocks.filter((block) => block.notRun === undefined).length).toBeGreaterThan(0);
    });
    blocks.forEach((block, index) => {
      const title = blockTitle(block);
      if (block.notRun !== undefined) {
        it.skip(`${title} — not run: ${block.notRun}`, () => undefined); // skipped for the reason its README marker gives
        return;
      }
      const missing = block.needs.map((name) => serviceSkipReason(name)).find((reason) => reason !== undefined);
      if (missing !== undefined) printSkip(`README ${title}`, missing);
      it.skipIf(missing !== undefined)(`${title} prints what the README says`, { timeout: (options.timeoutMs ?? 30_000) + 60_000 }, async () => {
        const services: RunningService[] = [];
        try {
          const env: Record<string, string> = {};
          for (const name of block.needs) {
            const service = await startService(name);
            services.push(service);
            env[SERVICE_ENV[name]] = service.url;
          }
          const run = await runReadmeBlock(block, { packageDir, name: `block-${index + 1}`, env, timeoutMs: options.timeoutMs });
          const context = `README line ${block.line}: stderr:\n${run.stderr}`;
          expect(run.timedOut, `the example did not exit within the timeout (something is left open)\n${context}`).toBe(false);
          expect(run.code, `the example failed\n${context}`).toBe(0);
          expect(normalizeOutput(run.stdout), context).toBe(block.expected);
        } finally {
          await Promise.all(services.map((service) => service.stop()));
        }
      });
    });
  });
}
