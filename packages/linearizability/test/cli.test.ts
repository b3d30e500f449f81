import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusMissing, testdataPath } from '@lattice/testdata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
  return { code, out, err };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lincheck-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const okLog = 'INFO  jepsen.util - 0\t:invoke\t:write\t1\nINFO  jepsen.util - 0\t:ok\t:write\t1\nINFO  jepsen.util - 1\t:invoke\t:read\tnil\nINFO  jepsen.util - 1\t:ok\t:read\t1\n';
const badLog = 'INFO  jepsen.util - 0\t:invoke\t:write\t1\nINFO  jepsen.util - 0\t:ok\t:write\t1\nINFO  jepsen.util - 1\t:invoke\t:read\tnil\nINFO  jepsen.util - 1\t:ok\t:read\tnil\n';

describe('lattice-lincheck', () => {
  it('prints one line per file and exits 0 when all are linearizable', async () => {
    const a = join(dir, 'a.log');
    await writeFile(a, okLog);
    const { code, out } = await run(['--model', 'cas-register', '--format', 'jepsen-log', a, a]);
    expect(out).toEqual([`${a}\tlinearizable`, `${a}\tlinearizable`]);
    expect(code).toBe(0);
  });

  it('exits 1 when any is not linearizable, and writes a report per such file', async () => {
    const a = join(dir, 'ok.log');
    const b = join(dir, 'bad.log');
    await writeFile(a, okLog);
    await writeFile(b, badLog);
    const reports = join(dir, 'reports');
    const { code, out } = await run(['--model', 'register', '--format', 'jepsen-log', '--report', reports, a, b]);
    expect(out).toEqual([`${a}\tlinearizable`, `${b}\tnot linearizable`]);
    expect(code).toBe(1);
    expect(await readdir(reports)).toEqual(['bad.log.html']);
    expect(await readFile(join(reports, 'bad.log.html'), 'utf8')).toContain('failing point');
  });

  it('exits 2 on a malformed line, naming the file and line', async () => {
    const a = join(dir, 'malformed.log');
    await writeFile(a, `${okLog}INFO  jepsen.util - 7\t:ok\t:read\t3\n`);
    const { code, out, err } = await run(['--model', 'cas-register', '--format', 'jepsen-log', a]);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err.join('\n')).toContain(`${a}:5: `);
  });

  it('exits 2 on an unknown verdict (time budget)', async () => {
    // 14 overlapping writes of 0 and 1, then reads of 0 and 1 after all of them: a long search.
    const lines: string[] = [];
    for (let p = 0; p < 14; p++) lines.push(`INFO  jepsen.util - ${p}\t:invoke\t:write\t${p % 2}`);
    for (let p = 0; p < 14; p++) lines.push(`INFO  jepsen.util - ${p}\t:ok\t:write\t${p % 2}`);
    lines.push('INFO  jepsen.util - 99\t:invoke\t:read\tnil', 'INFO  jepsen.util - 99\t:ok\t:read\t0');
    lines.push('INFO  jepsen.util - 99\t:invoke\t:read\tnil', 'INFO  jepsen.util - 99\t:ok\t:read\t1');
    const a = join(dir, 'hard.log');
    await writeFile(a, `${lines.join('\n')}\n`);
    const { code, out } = await run(['--model', 'cas-register', '--format', 'jepsen-log', '--timeout', '0', a]);
    expect(out).toEqual([`${a}\tunknown`]);
    expect(code).toBe(2);
  });

  it('exits 2 on bad usage and unreadable files', async () => {
    expect((await run(['--model', 'queue', '--format', 'edn', 'x'])).code).toBe(2);
    expect((await run(['--model', 'kv', '--format', 'jepsen-log', 'x'])).code).toBe(2);
    expect((await run(['--model', 'kv', '--format', 'edn'])).code).toBe(2);
    expect((await run(['--model', 'kv', '--format', 'edn', '--timeout', 'soon', 'x'])).code).toBe(2);
    expect((await run(['--bogus'])).code).toBe(2);
    const missing = await run(['--model', 'kv', '--format', 'edn', join(dir, 'nope.edn')]);
    expect(missing.code).toBe(2);
    expect(missing.err[0]).toContain('cannot read');
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out[0]).toContain('Usage: lattice-lincheck');
  });

  it('refuses cas operations under --model register', async () => {
    const a = join(dir, 'cas.log');
    await writeFile(a, 'INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2]\n');
    const { code, err } = await run(['--model', 'register', '--format', 'jepsen-log', a]);
    expect(code).toBe(2);
    expect(err[0]).toContain('--model cas-register');
  });

  it('accepts --no-partition and --exhaustive for kv EDN', async () => {
    const a = join(dir, 'kv.edn');
    await writeFile(
      a,
      [
        '{:process 0, :type :invoke, :f :put, :key "x", :value "a"}',
        '{:process 0, :type :ok, :f :put, :key "x", :value "a"}',
        '{:process 1, :type :invoke, :f :get, :key "x", :value nil}',
        '{:process 1, :type :ok, :f :get, :key "x", :value ""}',
        '{:process 2, :type :invoke, :f :get, :key "y", :value nil}',
        '{:process 2, :type :ok, :f :get, :key "y", :value "b"}',
      ].join('\n'),
    );
    for (const flags of [[], ['--no-partition'], ['--exhaustive']]) {
      const { code, out } = await run(['--model', 'kv', '--format', 'edn', ...flags, a]);
      expect(out).toEqual([`${a}\tnot linearizable`]);
      expect(code).toBe(1);
    }
  });

  describe.skipIf(corpusMissing('porcupine histories for the CLI'))('on the porcupine corpus', () => {
    it('checks kv EDN histories', async () => {
      const ok = testdataPath('porcupine', 'kv', 'c10-ok.txt')!;
      const bad = testdataPath('porcupine', 'kv', 'c10-bad.txt')!;
      const { code, out } = await run(['--model', 'kv', '--format', 'edn', ok, bad]);
      expect(out).toEqual([`${ok}\tlinearizable`, `${bad}\tnot linearizable`]);
      expect(code).toBe(1);
    });
  });
});
