import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  dir = await mkdtemp(join(tmpdir(), 'txncheck-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const serial = JSON.stringify([
  { process: 0, type: 'ok', call: 0, return: 1, ops: [['append', 'x', 1]] },
  { process: 1, type: 'ok', call: 2, return: 3, ops: [['r', 'x', [1]]] },
]);
const writeSkewEdn = `{:type :invoke, :f :txn, :value [[:r :x nil] [:r :y nil] [:append :x 1]], :process 0, :time 0}
{:type :invoke, :f :txn, :value [[:r :x nil] [:r :y nil] [:append :y 1]], :process 1, :time 1}
{:type :ok, :f :txn, :value [[:r :x []] [:r :y []] [:append :x 1]], :process 0, :time 2}
{:type :ok, :f :txn, :value [[:r :x []] [:r :y []] [:append :y 1]], :process 1, :time 3}
{:type :invoke, :f :txn, :value [[:r :x nil] [:r :y nil]], :process 0, :time 4}
{:type :ok, :f :txn, :value [[:r :x [1]] [:r :y [1]]], :process 0, :time 5}
`;
const staleRead = JSON.stringify([
  { process: 0, type: 'ok', call: 0, return: 1, ops: [['append', 'x', 1]] },
  { process: 1, type: 'ok', call: 2, return: 3, ops: [['r', 'x', []]] },
]);

describe('lattice-txncheck', () => {
  it('prints one line per file and exits 0 when all are valid', async () => {
    const a = join(dir, 'a.json');
    await writeFile(a, serial);
    const { code, out } = await run([a, a]);
    expect(out).toEqual([`${a}\tvalid (serializable; no anomalies)`, `${a}\tvalid (serializable; no anomalies)`]);
    expect(code).toBe(0);
  });

  it('exits 1 on write skew in an EDN history, prints the cycle in words and writes the HTML report', async () => {
    const a = join(dir, 'skew.edn');
    await writeFile(a, writeSkewEdn);
    const report = join(dir, 'out.html');
    const { code, out, err } = await run(['--consistency', 'serializable', '--report', report, a]);
    expect(code).toBe(1);
    expect(out[0]).toBe(`${a}\tinvalid (serializable; anomalies: G2-item)`);
    expect(out.slice(1)).toEqual([
      `${a}\tG2-item: a cycle with two or more anti-dependencies (e.g. write skew): T1 → T0 → T1`,
      `${a}\t  T1 < T0 (rw): T1 read "x" = [] without 1, which T0 appended next`,
      `${a}\t  T0 < T1 (rw): T0 read "y" = [] without 1, which T1 appended next`,
    ]);
    expect(err.join('\n')).toContain(`written to ${report}`);
    const html = await readFile(report, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('>rw</text>');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    // The same history is snapshot isolation.
    expect((await run(['--consistency', 'snapshot-isolation', a])).code).toBe(0);
  });

  it('checks strict serializability with realtime edges', async () => {
    const a = join(dir, 'stale.json');
    await writeFile(a, staleRead);
    expect((await run([a])).code).toBe(0);
    const strict = await run(['--consistency', 'strict-serializable', a]);
    expect(strict.code).toBe(1);
    expect(strict.out[0]).toBe(`${a}\tinvalid (strict-serializable; anomalies: G-single-realtime)`);
    expect(strict.out[2]).toBe(`${a}\t  T0 < T1 (rt): T0 completed (at 1) before T1 began (at 2)`);
  });

  it('rw-register histories with --model', async () => {
    const a = join(dir, 'rw.json');
    await writeFile(a, JSON.stringify([{ process: 0, type: 'ok', call: 0, return: 1, ops: [['w', 'x', 1], ['r', 'x', 2]] }]));
    const { code, out } = await run(['--model', 'rw-register', a]);
    expect(code).toBe(1);
    expect(out[0]).toBe(`${a}\tinvalid (serializable; anomalies: internal)`);
    expect(out[1]).toBe(`${a}\tT0 wrote "x" = 1, then read "x" = 2`);
    // The same file is not a list-append history.
    const wrong = await run([a]);
    expect(wrong.code).toBe(2);
    expect(wrong.err[0]).toContain("a list-append micro-operation is 'append' or 'r'");
  });

  it('exits 2 on malformed or unreadable files and bad usage', async () => {
    const bad = join(dir, 'bad.edn');
    await writeFile(bad, '{:type :ok, :value [[:append 1 2]], :process 0}\n{:type :ok :value [[:r 1 [2}\n');
    const r = await run([bad]);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(new RegExp(`${bad}:2: `));
    expect((await run([join(dir, 'missing.json')])).code).toBe(2);
    expect((await run(['--model', 'kv', bad])).code).toBe(2);
    expect((await run(['--consistency', 'linearizable', bad])).code).toBe(2);
    expect((await run(['--bogus'])).code).toBe(2);
    expect((await run([])).code).toBe(2);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out[0]).toContain('Usage: lattice-txncheck');
  });

  const built = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
  it.skipIf(!existsSync(built))('the built binary runs and exits with the status (skipped before `npx tsup`)', async () => {
    const a = join(dir, 'bin.json');
    await writeFile(a, staleRead);
    const r = spawnSync(process.execPath, [built, '--consistency', 'strict-serializable', a], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('G-single-realtime');
  });

  it.skipIf(!existsSync(built))('the built binary stops quietly when its reader does (| head)', async () => {
    // A write cycle through 3,000 transactions: T_i's append to key i is followed by T_(i+1)'s.
    const n = 3000;
    const history: unknown[] = Array.from({ length: n }, (_, i) => ({ process: i, type: 'ok', call: 0, return: 1, ops: [['append', i, 'a'], ['append', (i + n - 1) % n, 'b']] }));
    history.push({ process: n, type: 'ok', call: 2, return: 3, ops: Array.from({ length: n }, (_, i) => ['r', i, ['a', 'b']]) });
    const a = join(dir, 'long-cycle.json');
    await writeFile(a, JSON.stringify(history));
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${built}" "${a}" | head -c 100`], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stdout).toContain('invalid (serializable; anomalies: G0)');
    expect(r.stderr).toBe('');
  });
});
