import { existsSync } from 'node:fs';
import { servicesRequired } from './binaries.js';

/**
 * Where Chromium is: `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium` (`apt-get install
 * chromium`), else `chromium-browser`; undefined when none is there. playwright-core and
 * puppeteer-core bring no browser of their own: tests drive this one.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((path): path is string => path !== undefined && path !== '' && existsSync(path));
}

/** Why Chromium tests are skipped here (the one line to print), or undefined when they run (or must). */
export function chromiumSkipReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (findChromium(env) !== undefined || servicesRequired(env)) return undefined;
  return 'Chromium is not installed: install it with `sudo apt-get install chromium` (or set CHROMIUM_PATH)';
}

/** Flags for headless Chromium in a container or CI: no sandbox, GPU or background traffic. */
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);
