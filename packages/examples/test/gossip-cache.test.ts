import { InvalidArgumentError, type NodeId } from '@lattice/core';
import { codeOf } from '@lattice/test-kit';
import { describe, expect, it } from 'vitest';
import { CACHE_MAGIC, CacheNode } from '../src/gossip-cache/cache-node.js';
import { runGossipCache } from '../src/gossip-cache/cluster.js';
import { runGossipCacheDemo } from '../src/gossip-cache/demo.js';
import { LruCache } from '../src/gossip-cache/lru.js';

const same = (a: readonly NodeId[] | undefined, b: readonly NodeId[] | undefined): boolean => (a ?? []).join() === (b ?? []).join();

describe('gossip-cache: SWIM membership + hash-ring placement + an LRU per member', () => {
  it('a member fails: its keys are re-placed per the survivors\' ring, none lost; a join moves exactly the keys the ring says (10 seeds)', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) {
      const run = await runGossipCache({ seed });
      const [before, afterCrash, afterJoin] = run.placements;
      for (const [label, placement] of [
        ['before the crash', before],
        ['after the crash', afterCrash],
        ['after the join', afterJoin],
      ] as const) {
        // Every member agrees on the ring, and every key sits exactly on the owners it names.
        for (const ring of placement.rings.values()) expect(ring, `seed ${seed} ${label}`).toEqual([...placement.rings.keys()].sort());
        for (const key of run.keys) expect(placement.holders.get(key), `seed ${seed} ${label}: ${key}`).toEqual(placement.owners.get(key));
      }
      expect(afterCrash.rings.has(run.crashed)).toBe(false);
      const hadCopy = run.keys.filter((key) => before.holders.get(key)!.includes(run.crashed));
      expect(hadCopy.length).toBeGreaterThan(50);
      // Each key lost one copy and got exactly one new one; keys without a copy there did not move.
      expect(run.movedAfterCrash).toBe(hadCopy.length);
      for (const key of run.keys) if (!hadCopy.includes(key)) expect(afterCrash.holders.get(key)).toEqual(before.holders.get(key));
      const ringMoved = run.keys.filter((key) => !same(afterCrash.owners.get(key), afterJoin.owners.get(key)));
      const holdersMoved = run.keys.filter((key) => !same(afterCrash.holders.get(key), afterJoin.holders.get(key)));
      expect(holdersMoved).toEqual(ringMoved);
      expect(ringMoved.length).toBeGreaterThan(0);
      expect(ringMoved.every((key) => afterJoin.holders.get(key)!.includes(run.joined))).toBe(true);
    }
  });

  it('the demo tells the story', async () => {
    const lines: string[] = [];
    await runGossipCacheDemo((line) => lines.push(line));
    expect(lines.join('\n')).toContain('400/400 keys held exactly by their ring owners, none lost');
    expect(lines.join('\n')).toContain('(the same keys)');
  });

  it('LruCache evicts the least recently used entry; get marks use, peek does not', () => {
    const lru = new LruCache<number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3); // b is the eldest now
    expect(lru.keys()).toEqual(['a', 'c']);
    expect(lru.peek('a')).toBe(1);
    lru.set('d', 4); // peek did not save a
    expect(lru.keys()).toEqual(['c', 'd']);
    expect(lru.evictions).toBe(2);
    expect(codeOf(() => new LruCache(0))).toBe(InvalidArgumentError.code);
  });

  it('a peer\'s garbage changes nothing; a join hands over only what the new ring places elsewhere', () => {
    const sent: { to: NodeId; payload: Uint8Array }[] = [];
    const a = new CacheNode({ id: 'a', capacity: 100, send: (to, payload) => sent.push({ to, payload }) });
    for (let i = 0; i < 50; i++) a.put(`k${i}`, `v${i}`);
    for (const garbage of [new Uint8Array([CACHE_MAGIC, 0x7b]), new Uint8Array([CACHE_MAGIC, ...new TextEncoder().encode('{"key":1}')]), new Uint8Array([0x53, 1])]) a.receive('x', garbage);
    expect(a.keys()).toHaveLength(50);
    a.onMemberEvent({ kind: 'join', member: { id: 'b', incarnation: 1, state: 'alive', meta: new Uint8Array(0) } });
    // With 2 copies and 2 members, b owns every key now: each is copied once, none dropped here.
    expect(sent).toHaveLength(50);
    expect(new Set(sent.map((s) => s.to))).toEqual(new Set(['b']));
    expect(a.keys()).toHaveLength(50);
    expect(codeOf(() => new CacheNode({ id: 'a', capacity: 1, replicas: 0, send: () => undefined }))).toBe(InvalidArgumentError.code);
  });
});
