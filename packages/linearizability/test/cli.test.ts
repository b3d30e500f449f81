import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusMissing, testdataPath } from '@lattice/testdata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLincheck as run } from './helpers/cli.js';

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
    expect(out).toEqual([`${a}\tlinearizable`, `${b}\tnot linearizable`, `${b}\tfailing operation #1: process 1, read -> nil (call 3, return 4)`]);
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
      expect(out[0]).toBe(`${a}\tnot linearizable`);
      expect(out[1]).toMatch(new RegExp(`^${a}\tfailing operation #[12]: process [12], get`));
      expect(code).toBe(1);
    }
  });

  it('prints the failing operation on stdout without --report, in the history\'s own :time', async () => {
    const a = join(dir, 'timed.edn');
    await writeFile(
      a,
      [
        '{:process 0, :type :invoke, :f :write, :value 1, :time 1500}',
        '{:process 0, :type :ok, :f :write, :value 1, :time 2750}',
        '{:process 1, :type :invoke, :f :read, :value nil, :time 3100}',
        '{:process 1, :type :ok, :f :read, :value nil, :time 4200}',
      ].join('\n'),
    );
    const { code, out, err } = await run(['--model', 'register', '--format', 'edn', a]);
    expect(code).toBe(1);
    expect(out).toEqual([`${a}\tnot linearizable`, `${a}\tfailing operation #1: process 1, read -> nil (time 3100 to 4200)`]);
    expect(err).toEqual([]);
  });

  it('checks the library\'s JSON format (--format json) with each model', async () => {
    const ok = join(dir, 'ok.json');
    const bad = join(dir, 'bad.json');
    const history = [
      { process: 0, call: 0, return: 1, input: { op: 'write', value: 1 } },
      { process: 1, call: 2, return: 3, input: { op: 'read' }, output: 1 },
    ];
    await writeFile(ok, JSON.stringify(history));
    await writeFile(bad, JSON.stringify([...history, { process: 'c', call: 4, return: 5, input: { op: 'read' }, output: null }], null, 1));
    for (const model of ['register', 'cas-register']) {
      const { code, out } = await run(['--model', model, '--format', 'json', ok, bad]);
      expect(out).toEqual([`${ok}\tlinearizable`, `${bad}\tnot linearizable`, `${bad}\tfailing operation #2: process c, read -> nil (call 4, return 5)`]);
      expect(code).toBe(1);
    }
    const kv = join(dir, 'kv.json');
    await writeFile(
      kv,
      JSON.stringify([
        { process: 0, call: 0, return: 1, input: { op: 'put', key: 'x', value: 'a' } },
        { process: 1, call: 2, return: 3, input: { op: 'get', key: 'x' }, output: 'a' },
      ]),
    );
    expect(await run(['--model', 'kv', '--format', 'json', kv])).toEqual({ code: 0, out: [`${kv}\tlinearizable`], err: [] });
  });

  it('exits 2 on a malformed JSON history, naming the file, line and operation', async () => {
    const a = join(dir, 'malformed.json');
    await writeFile(a, '[\n{"process":0,"call":0,"return":1,"input":{"op":"read"}},\n{"process":1.5,"call":2,"input":{"op":"read"}}\n]');
    const { code, out, err } = await run(['--model', 'register', '--format', 'json', a]);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err[0]).toBe(`lattice-lincheck: ${a}:3: operation 1: bad process 1.5: process id 1.5 is not an integer`);
    const cas = join(dir, 'cas.json');
    await writeFile(cas, '[{"process":0,"call":0,"input":{"op":"cas","from":1,"to":2}}]');
    const refused = await run(['--model', 'register', '--format', 'json', cas]);
    expect(refused.code).toBe(2);
    expect(refused.err[0]).toMatch(/input\.op must be "read" or "write" for the register model/);
  });

  describe.skipIf(corpusMissing('porcupine histories for the CLI'))('on the porcupine corpus', () => {
    it('checks kv EDN histories', async () => {
      const ok = testdataPath('porcupine', 'kv', 'c10-ok.txt')!;
      const bad = testdataPath('porcupine', 'kv', 'c10-bad.txt')!;
      const { code, out } = await run(['--model', 'kv', '--format', 'edn', ok, bad]);
      expect(out.slice(0, 2)).toEqual([`${ok}\tlinearizable`, `${bad}\tnot linearizable`]);
      expect(out[2]).toMatch(new RegExp(`^${bad}\tfailing operation #\\d+: process \\d+, `));
      expect(code).toBe(1);
    });
  });
});
