/**
 * The launcher behind `npm start -w @lattice/examples`: it takes the ports it is given, says so
 * clearly when one is taken and uses another, and stops (removing its data) on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort } from '@lattice/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { RespClient } from '../src/lattice-kv/resp-client.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('the lattice-kv launcher (npm start)', () => {
  const blockers: Server[] = [];
  afterAll(async () => {
    for (const server of blockers) await new Promise((resolve) => server.close(resolve));
  });

  it('falls back to a free port with a clear line when a preferred one is taken, serves redis clients and the page, and stops on SIGTERM', async () => {
    // Three consecutive free ports are not guaranteed: retry the pick until the base and the two after it are free.
    let base = 0;
    for (let attempt = 0; attempt < 50 && base === 0; attempt++) {
      const candidate = await freePort();
      if (candidate > 65_000) continue;
      try {
        const probes = await Promise.all([1, 2, 1001, 1002].map((offset) => listen(candidate + offset)));
        for (const probe of probes) await new Promise((resolve) => probe.close(resolve));
        base = candidate;
      } catch {}
    }
    expect(base).toBeGreaterThan(0);
    blockers.push(await listen(base), await listen(base + 1000)); // node a's RESP port and page port are taken
    const child = spawn(process.execPath, ['--conditions=@lattice/source', '--import', 'tsx', 'src/lattice-kv/cluster.ts', '--port', String(base)], { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = performance.now() + 40_000;
      while (!stdout.includes('Ctrl-C stops') && performance.now() < deadline && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(stdout, stderr).toContain('Ctrl-C stops');
      const fallback = new RegExp(`port ${base} is taken: node a's RESP listener uses (\\d+) instead`).exec(stdout);
      expect(fallback, stdout).not.toBeNull();
      expect(stdout).toMatch(new RegExp(`port ${base + 1000} is taken: node a's cluster page uses \\d+ instead`));
      expect(stdout).toContain(`node a: redis-cli -p ${fallback![1]}`);
      expect(stdout).toContain(`node b: redis-cli -p ${base + 1}`);
      expect(stdout).toContain(`node c: redis-cli -p ${base + 2}`);
      const client = await RespClient.connect(base + 1);
      try {
        expect(await client.send('SET', 'launched', 'yes')).toBe('OK');
      } finally {
        client.close();
      }
      const page = await fetch(`http://127.0.0.1:${base + 1001}/cluster.json`);
      const state = (await page.json()) as { nodes: { id: string; up: boolean }[] };
      expect(state.nodes.map((node) => [node.id, node.up])).toEqual([
        ['a', true],
        ['b', true],
        ['c', true],
      ]);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 60_000);
});
