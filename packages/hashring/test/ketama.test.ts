import fc from 'fast-check';
import HashRingPeer from 'hashring';
import { describe, expect, it } from 'vitest';
import { KetamaRing } from '../src/index.js';

const serverArb = fc
  .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.constantFrom(11211, 11212, 6379, 80))
  .map(([a, b, port]) => `10.${a}.${b}.1:${port}`);
const serversArb = fc.uniqueArray(serverArb, { minLength: 1, maxLength: 40 });
const keysArb = fc.array(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.integer().map(String)), { minLength: 1, maxLength: 60 });

function expectSamePlacement(ours: KetamaRing, peer: HashRingPeer, keys: readonly string[], servers: number): void {
  for (const key of keys) {
    expect(ours.lookup(key)).toBe(peer.get(key));
    const n = Math.min(3, servers);
    expect(ours.lookupN(key, n)).toEqual(peer.range(key, n));
  }
}

describe('ketama placement equals the hashring package', () => {
  it('equal weights, many server lists and keys', () => {
    fc.assert(
      fc.property(serversArb, keysArb, (servers, keys) => {
        const peer = new HashRingPeer(servers);
        const ours = new KetamaRing({ members: servers });
        expectSamePlacement(ours, peer, keys, servers.length);
      }),
      { numRuns: 150 },
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
          const ours = new KetamaRing({ members: servers.map((id, i) => ({ id, weight: weights[i]! })) });
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
        const ours = new KetamaRing({ members: servers });
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

  it('agrees on 20,000 keys across a 200-server ring, collisions included', () => {
    const servers = Array.from({ length: 200 }, (_, i) => `cache-${i}.example.net:11211`);
    const peer = new HashRingPeer(servers);
    const ours = new KetamaRing({ members: servers });
    for (let i = 0; i < 20_000; i++) {
      const key = `key:${i}:${(i * 2654435761) >>> 0}`;
      expect(ours.lookup(key)).toBe(peer.get(key));
    }
  });
});
