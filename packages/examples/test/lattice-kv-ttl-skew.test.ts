/**
 * TTLs run on the leader's clock: three in-process lattice-kv nodes over loopback TCP, one
 * follower's clock an hour ahead. Its writes are stamped by the leader as the leader appends
 * them, so the agreed time stays the leader's and no key expires early.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Clock, systemClock } from '@lattice/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, respCommand } from '../src/lattice-kv/cluster.js';
import { type KvNode, startKvNode } from '../src/lattice-kv/kv-node.js';

const HOUR = 3_600_000;

describe('lattice-kv TTLs under clock skew', () => {
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
    expect(await respCommand(port(leader), 'SET session alive PX 60000')).toBe('+OK\r\n');
    skew.set(follower, HOUR);
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
});
