/**
 * TTLs run on the leader's clock: three in-process lattice-kv nodes over loopback TCP, one
 * follower's clock an hour ahead. Its writes are stamped by the leader as the leader appends
 * them, so the agreed time stays the leader's and no key expires early.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Clock, systemClock } from '@lattice/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@lattice/test-kit';
import { respCommand } from '../src/lattice-kv/cluster.js';
import { type KvNode, startKvNode } from '../src/lattice-kv/kv-node.js';

const HOUR = 3_600_000;

describe('lattice-kv in process: TTLs under clock skew, pipelines', () => {
  const ids = ['a', 'b', 'c'];
  const skew = new Map<string, number>(ids.map((id) => [id, 0]));
  const nodes = new Map<string, KvNode>();
  let root: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'lattice-kv-skew-'));
    const peers: Record<string, string> = {};
    for (const id of ids) peers[id] = `127.0.0.1:${await freePort()}`;
    for (const id of ids) {
      const clock: Clock = { now: () => systemClock.now() + skew.get(id)!, monotonic: () => systemClock.monotonic() };
      nodes.set(id, await startKvNode({ id, dataDir: join(root, id), peers, respPort: 0, secret: 'skew-test-secret', clock }));
    }
  }, 30_000);
  afterAll(async () => {
    for (const node of nodes.values()) await node.stop();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  async function leaderId(): Promise<string> {
    const deadline = systemClock.monotonic() + 15_000;
    while (systemClock.monotonic() < deadline) {
      const leader = [...nodes.values()].find((node) => node.raft.role === 'leader');
      if (leader !== undefined && [...nodes.values()].every((node) => node.raft.leader === leader.raft.id)) return leader.raft.id;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('no leader within 15 s');
  }

  it('keeps the agreed time on the leader clock when a follower whose clock runs an hour ahead takes writes', async () => {
    const leader = await leaderId();
    const follower = ids.find((id) => id !== leader)!;
    const port = (id: string) => nodes.get(id)!.respPort;
    skew.set(follower, HOUR);
    // The first write of all comes through the skewed follower: the leader stamps it.
    expect(await respCommand(port(follower), 'SET first v')).toBe('+OK\r\n');
    for (const id of [leader, follower]) expect(Math.abs(nodes.get(id)!.machine.time - systemClock.now()), `agreed time at ${id} after a forwarded write`).toBeLessThan(10_000);
    expect(await respCommand(port(leader), 'SET session alive PX 60000')).toBe('+OK\r\n');
    for (let i = 0; i < 5; i++) expect(await respCommand(port(follower), `SET fwd:${i} v PX 1000`)).toBe('+OK\r\n');
    expect(await respCommand(port(follower), 'INCR hits')).toBe(':1\r\n');

    // The follower's stamps would have moved the agreed time an hour on, expiring `session`.
    for (const id of ids) {
      expect(await respCommand(port(id), 'GET session'), `GET session at ${id}`).toBe('$5\r\nalive\r\n');
      expect(Math.abs(nodes.get(id)!.machine.time - systemClock.now()), `agreed time at ${id}`).toBeLessThan(10_000);
    }
    const pttl = Number((await respCommand(port(follower), 'PTTL fwd:0')).slice(1));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(1000);
  }, 30_000);

  it('answers a pipeline in order, its reads seeing its earlier writes, at the leader and at a follower', async () => {
    const leader = await leaderId();
    const follower = ids.find((id) => id !== leader)!;
    for (const id of [leader, follower]) {
      const key = `pipe:${id}`;
      const commands = [`SET ${key} 1`, `GET ${key}`, `INCR ${key}`, `INCR ${key}`, `GET ${key}`, `SET ${key} 10`, `INCR ${key}`, `GET ${key}`, 'PING'];
      const expected = ['+OK', '$1', '1', ':2', ':3', '$1', '3', '+OK', ':11', '$2', '11', '+PONG'].join('\r\n') + '\r\n';
      const socket = createConnection({ port: nodes.get(id)!.respPort, host: '127.0.0.1' });
      let received = '';
      await new Promise<void>((resolve, reject) => {
        socket.on('connect', () => socket.write(commands.map((command) => `${command}\r\n`).join('')));
        socket.on('data', (chunk) => {
          received += chunk.toString('latin1');
          if (received.length >= expected.length) resolve();
        });
        socket.on('error', reject);
      });
      socket.destroy();
      expect(received, `pipeline at ${id === leader ? 'the leader' : 'a follower'}`).toBe(expected);
    }
  }, 30_000);
});
