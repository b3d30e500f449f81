#!/usr/bin/env node
// Runs `publint --strict` and `attw --pack` on every publishable package (CONVENTIONS.md).
// Needs a build first (`npm run build`). Exits non-zero if any package fails either check.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const only = process.argv.slice(2);
let failures = 0;
for (const name of readdirSync('packages')) {
  const dir = join('packages', name);
  let pkg;
  try {
    pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  } catch {
    continue;
  }
  if (pkg.private || (only.length > 0 && !only.includes(name))) continue;
  for (const [tool, args] of [
    ['publint', ['publint', '--strict', dir]],
    // node10 resolution (no `exports` support) is excluded: every package requires Node >= 20.19.
    ['attw', ['attw', '--pack', dir, '--profile', 'node16', '--format', 'table-flipped']],
  ]) {
    try {
      const out = execFileSync('npx', ['--no-install', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      console.log(`ok   ${tool.padEnd(7)} ${pkg.name}`);
      if (process.env.VERBOSE) console.log(out);
    } catch (error) {
      failures++;
      console.log(`FAIL ${tool.padEnd(7)} ${pkg.name}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    }
  }
}
if (failures > 0) {
  console.log(`${failures} package check(s) failed`);
  process.exit(1);
}
