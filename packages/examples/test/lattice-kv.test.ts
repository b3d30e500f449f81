/**
 * lattice-kv end to end: three node processes over TCP with fsync'd WALs, driven by the real
 * `redis-cli` and `redis-benchmark`; then the leader is SIGKILLed and restarted.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { findServiceDir, servicesRequired, startRedis } from '@lattice/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvCluster, respCommand } from '../src/lattice-kv/cluster.js';

const run = promisify(execFile);

function onPath(program: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, program), constants.X_OK);
      return join(dir, program);
    } catch {}
  }
  return undefined;
}

const redisCli = onPath('redis-cli');
const redisBenchmark = onPath('redis-benchmark');
const missing = redisCli === undefined || redisBenchmark === undefined ? 'redis-cli/redis-benchmark are not installed: install them with `sudo apt-get install redis-tools` (macOS: `brew install redis`)' : undefined;

if (missing !== undefined && servicesRequired()) {
  describe('lattice-kv cluster', () => {
    it('needs redis-cli and redis-benchmark', () => {
      throw new Error(missing);
    });
  });
} else {
  describe.skipIf(missing !== undefined)(`lattice-kv cluster${missing === undefined ? '' : ` (skipped: ${missing})`}`, () => {
    let cluster: KvCluster;
    const port = (id: string) => cluster.nodes.get(id)!.respPort;
    const cli = async (p: number, ...args: string[]) => (await run(redisCli!, ['-p', String(p), ...args], { timeout: 10_000 })).stdout;

    beforeAll(async () => {
      cluster = await KvCluster.start();
    }, 40_000);
    afterAll(async () => {
      await cluster?.stop();
    });

    // The script, each command at a different node, with what Redis itself answers.
    const script: [string, string[], string][] = [
      ['a', ['SET', 'greeting', 'hello'], 'OK\n'],
      ['b', ['GET', 'greeting'], 'hello\n'],
      ['c', ['INCR', 'visits'], '1\n'],
      ['a', ['INCRBY', 'visits', '41'], '42\n'],
      ['b', ['MGET', 'greeting', 'visits', 'nothing'], 'hello\n42\n\n'],
      ['c', ['EXPIRE', 'greeting', '100'], '1\n'],
      ['a', ['TTL', 'greeting'], '100\n'],
      ['b', ['TTL', 'visits'], '-1\n'],
      ['c', ['TTL', 'nothing'], '-2\n'],
      ['a', ['EXISTS', 'greeting', 'visits', 'nothing'], '2\n'],
      ['b', ['INCR', 'greeting'], 'ERR value is not an integer or out of range\n\n'], // redis-cli follows an error with a blank line
      ['c', ['SET', 'x'], "ERR wrong number of arguments for 'set' command\n\n"],
      ['a', ['DEL', 'visits', 'nothing'], '1\n'],
      ['b', ['GET', 'visits'], '\n'],
      ['b', ['FOO', 'l', 'x'], "ERR unknown command 'FOO', with args beginning with: 'l' 'x' \n\n"],
      ['c', ['PING'], 'PONG\n'],
      ['a', ['ECHO', 'hi there'], 'hi there\n'],
    ];

    it('answers redis-cli at every node exactly as Redis does', async () => {
      for (const [id, args, expected] of script) expect(await cli(port(id), ...args), `${id}: ${args.join(' ')}`).toBe(expected);
      expect(await cli(port('c'), '-3', 'GET', 'greeting')).toBe('hello\n');
      expect(await cli(port('a'), 'LATTICE.READS', 'follower')).toBe('OK\n');
    }, 30_000);

    it.skipIf(findServiceDir('redis') === undefined)('gives the same redis-cli output as a real redis-server (skipped without redis-server)', async () => {
      const redis = await startRedis();
      try {
        for (const [, args] of script) expect(await cli(port('a'), ...args.map((a) => a.replace('greeting', 'g2').replace('visits', 'v2')))).toBe(await cli(redis.port, ...args.map((a) => a.replace('greeting', 'g2').replace('visits', 'v2'))));
      } finally {
        await redis.stop();
      }
    }, 30_000);

    it('runs redis-benchmark -t set,get without errors', async () => {
      const { stdout, stderr } = await run(redisBenchmark!, ['-p', String(port('b')), '-t', 'set,get', '-n', '2000', '-c', '10', '-q'], { timeout: 30_000 });
      expect(stderr).toBe('');
      expect(stdout).toMatch(/SET: [\d.]+ requests per second/);
      expect(stdout).toMatch(/GET: [\d.]+ requests per second/);
      expect(stdout).not.toMatch(/ERR|error/i);
    }, 40_000);

    it('loses no acknowledged SET when the leader is SIGKILLed, and the restarted node catches up', async () => {
      const leader = await cluster.waitForLeader();
      const others = [...cluster.nodes.keys()].filter((id) => id !== leader);
      const acknowledged = new Map<string, string>();
      let stop = false;
      const writer = (async () => {
        for (let i = 0; !stop; i++) {
          const target = i % 3 === 0 ? leader : others[i % 2]!;
          const key = `crash:${i}`;
          try {
            const reply = await respCommand(port(target), `SET ${key} v${i}`, 3000);
            if (reply === '+OK\r\n') acknowledged.set(key, `v${i}`);
          } catch {}
        }
      })();
      while (acknowledged.size < 30) await new Promise((resolve) => setTimeout(resolve, 20));
      await cluster.kill(leader);
      const before = acknowledged.size;
      const newLeader = await cluster.waitForLeader(15_000, leader);
      expect(others).toContain(newLeader);
      while (acknowledged.size < before + 30) await new Promise((resolve) => setTimeout(resolve, 20));
      stop = true;
      await writer;
      for (const [key, value] of acknowledged) expect(await respCommand(port(others[0]!), `GET ${key}`)).toBe(`$${value.length}\r\n${value}\r\n`);

      await cluster.startNode(leader);
      const [lastKey, lastValue] = [...acknowledged].at(-1)!;
      let seen = '';
      for (let attempt = 0; attempt < 100 && seen !== lastValue; attempt++) {
        seen = (await cli(port(leader), 'LATTICE.READS', 'follower').then(() => cli(port(leader), 'GET', lastKey))).trim();
        if (seen !== lastValue) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(seen).toBe(lastValue);
      expect(Number((await cli(port(leader), 'DBSIZE')).trim())).toBeGreaterThanOrEqual(acknowledged.size);
    }, 60_000);
  });
}
