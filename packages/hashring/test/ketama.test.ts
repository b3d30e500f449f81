import fc from 'fast-check';
import HashRingPeer from 'hashring';
import { describe, expect, it } from 'vitest';
import { KetamaRing } from '../src/index.js';

const serverArb = fc
  .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.constantFrom(11211, 11212, 6379, 80))
  .map(([a, b, port]) => `10.${a}.${b}.1:${port}`);
const serversArb = fc.uniqueArray(serverArb, { minLength: 1, maxLength: 40 });
const keysArb = fc.array(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.integer().map(String), fc.constantFrom('valueOf', '__proto__', 'toString')), {
  minLength: 1,
  maxLength: 60,
});

interface PeerInternals {
  ring: { server: string }[];
  find(hash: number): number;
  hashValue(key: string): number;
}

/**
 * hashring's placement without its LRU cache: `get()` caches in a plain object, so keys such as
 * "valueOf" or "__proto__" read (and write) Object.prototype members and return wrong servers.
 */
function peerGet(peer: HashRingPeer, key: string): string {
  const p = peer as unknown as PeerInternals;
  return p.ring[p.find(p.hashValue(key))]!.server;
}

function expectSamePlacement(ours: KetamaRing, peer: HashRingPeer, keys: readonly string[], servers: number): void {
  for (const key of keys) {
    expect(ours.lookup(key)).toBe(peerGet(peer, key));
    const n = Math.min(3, servers);
    expect(ours.lookupN(key, n)).toEqual(peer.range(key, n));
  }
}

describe("pointCounts: 'hashring' places keys as the hashring package", () => {
  it('equal weights, many server lists and keys', () => {
    fc.assert(
      fc.property(serversArb, keysArb, (servers, keys) => {
        const peer = new HashRingPeer(servers);
        const ours = new KetamaRing({ members: servers, pointCounts: 'hashring' });
        expectSamePlacement(ours, peer, keys, servers.length);
      }),
      { numRuns: 100 },
    );
  });

  it('weighted servers (integers and fractions)', () => {
    fc.assert(
      fc.property(
        serversArb,
        fc.array(fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.double({ min: 0.01, max: 50, noNaN: true })), { minLength: 40, maxLength: 40 }),
        keysArb,
        (servers, weights, keys) => {
          const spec: Record<string, number> = {};
          servers.forEach((s, i) => {
            spec[s] = weights[i]!;
          });
          const peer = new HashRingPeer(spec);
          const ours = new KetamaRing({ members: servers.map((id, i) => ({ id, weight: weights[i]! })), pointCounts: 'hashring' });
          expectSamePlacement(ours, peer, keys, servers.length);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('per-server vnodes, hash_ring compatibility, vnode count and default port', () => {
    fc.assert(
      fc.property(
        serversArb,
        fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 40, maxLength: 40 }),
        fc.constantFrom<'ketama' | 'hash_ring'>('ketama', 'hash_ring'),
        fc.integer({ min: 1, max: 200 }),
        fc.constantFrom(undefined, 11211),
        keysArb,
        (servers, vnodes, compatibility, vnodeCount, defaultPort, keys) => {
          const spec: Record<string, { vnodes: number }> = {};
          servers.forEach((s, i) => {
            spec[s] = { vnodes: vnodes[i]! };
          });
          const peerOptions: Record<string, unknown> = { compatibility, 'vnode count': vnodeCount };
          if (defaultPort !== undefined) peerOptions['default port'] = defaultPort;
          const peer = new HashRingPeer(spec, 'md5', peerOptions);
          const ours = new KetamaRing({
            members: servers.map((id, i) => ({ id, vnodes: vnodes[i]! })),
            compatibility,
            pointCounts: 'hashring',
            vnodes: vnodeCount,
            ...(defaultPort === undefined ? {} : { defaultPort }),
          });
          expectSamePlacement(ours, peer, keys, servers.length);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('stays equal through adds and removes', () => {
    fc.assert(
      fc.property(serversArb, fc.array(fc.tuple(fc.boolean(), serverArb), { maxLength: 15 }), keysArb, (servers, ops, keys) => {
        const peer = new HashRingPeer(servers);
        const ours = new KetamaRing({ members: servers, pointCounts: 'hashring' });
        for (const [isAdd, server] of ops) {
          if (isAdd && !ours.has(server)) {
            ours.add(server);
            peer.add(server);
          } else if (!isAdd && ours.has(server) && ours.size > 1) {
            ours.remove(server);
            peer.remove(server);
          }
        }
        expectSamePlacement(ours, peer, keys, ours.size);
      }),
      { numRuns: 60 },
    );
  });

  it('breaks ties between colliding points as hashring does (earlier server wins)', () => {
    // With 1,000 servers three pairs of points collide; check the owner at those exact hashes.
    const servers = Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255}:11211`);
    const collisions = [1622187688, 1741064620, 3152960057];
    for (const order of [servers, [...servers].reverse()]) {
      const peer = new HashRingPeer(order) as unknown as { ring: { server: string }[]; find(h: number): number };
      const ours = new KetamaRing({ members: order, pointCounts: 'hashring' });
      for (const h of collisions) {
        for (const probe of [h - 1, h, h + 1]) expect(ours.ownerOfHash(probe)).toBe(peer.ring[peer.find(probe)]!.server);
      }
    }
    const forward = new KetamaRing({ members: servers, pointCounts: 'hashring' });
    const backward = new KetamaRing({ members: [...servers].reverse(), pointCounts: 'hashring' });
    expect(forward.ownerOfHash(1622187688)).not.toBe(backward.ownerOfHash(1622187688));
  });

  it('agrees on 20,000 keys across a 200-server ring', () => {
    const servers = Array.from({ length: 200 }, (_, i) => `cache-${i}.example.net:11211`);
    const peer = new HashRingPeer(servers);
    const ours = new KetamaRing({ members: servers, pointCounts: 'hashring' });
    for (let i = 0; i < 20_000; i++) {
      const key = `key:${i}:${(i * 2654435761) >>> 0}`;
      expect(ours.lookup(key)).toBe(peerGet(peer, key));
      if (i % 10 === 0) expect(ours.lookup(key)).toBe(peer.get(key));
    }
  });

  it('places keys named like Object.prototype members by their hash (hashring\'s cache does not)', () => {
    const servers = Array.from({ length: 20 }, (_, i) => `cache-${i}:11211`);
    const ours = new KetamaRing({ members: servers, pointCounts: 'hashring' });
    const peer = new HashRingPeer(servers);
    for (const key of ['valueOf', 'toString', 'constructor', 'hasOwnProperty', '__proto__']) {
      expect(ours.lookup(key)).toBe(peerGet(peer, key));
    }
  });
});
