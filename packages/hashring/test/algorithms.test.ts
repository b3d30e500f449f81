import { InvalidArgumentError, isLatticeError } from '@lattice/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedLoadRing, HashRing, isPrime, jumpBucket, JumpHash, KetamaRing, MaglevHash, restore, UnknownPeerError, UnsupportedOperationError } from '../src/index.js';
import { ids, keys, peakToMean } from './helpers.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isLatticeError(err) ? err.code : String(err);
  }
  return undefined;
}

/** The paper's C++ with BigInt, as the reference. */
function jumpReference(key: bigint, buckets: number): number {
  let b = -1n;
  let j = 0n;
  while (j < BigInt(buckets)) {
    b = j;
    key = BigInt.asUintN(64, key * 2862933555777941757n + 1n);
    j = BigInt(Math.floor(Number(b + 1n) * (Number(1n << 31n) / Number((key >> 33n) + 1n))));
  }
  return Number(b);
}

describe('jump consistent hash', () => {
  it('equals the reference (BigInt) implementation', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: 1, max: 100_000 }), (key, buckets) => {
        const hi = Number(key >> 32n) | 0;
        const lo = Number(key & 0xffffffffn) | 0;
        expect(jumpBucket(hi, lo, buckets)).toBe(jumpReference(key, buckets));
      }),
      { numRuns: 2000 },
    );
  });

  it('matches published test vectors', () => {
    // (key, buckets) → bucket, from the test suites of other ports of the paper's C++
    // (rust-jumphash / jmphash-rs, and Microsoft's TypeScript port).
    const cases: [bigint, number, number][] = [
      [123456n, 1000, 984],
      [10863919174838991n, 11, 6],
      [2016238256797177309n, 11, 3],
    ];
    for (const [key, buckets, expected] of cases) {
      expect(jumpBucket(Number(key >> 32n) | 0, Number(key & 0xffffffffn) | 0, buckets)).toBe(expected);
    }
  });

  it('removes only the last bucket and has no weights', () => {
    const j = new JumpHash({ members: ids(4) });
    expect(codeOf(() => j.remove('node-1'))).toBe(UnsupportedOperationError.code);
    expect(codeOf(() => j.add({ id: 'x', weight: 2 }))).toBe(UnsupportedOperationError.code);
    expect(codeOf(() => j.reweight('node-0', 2))).toBe(UnsupportedOperationError.code);
    expect(j.remove('node-3').fraction).toBeCloseTo(1 / 4, 9);
    expect(j.add('node-3').fraction).toBeCloseTo(1 / 4, 9);
  });
});

describe('Maglev', () => {
  it('requires a prime table larger than the membership', () => {
    expect(codeOf(() => new MaglevHash({ tableSize: 65536 }))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => new MaglevHash({ tableSize: 7, members: ids(7) }))).toBe(InvalidArgumentError.code);
    expect(isPrime(65537)).toBe(true);
    expect(isPrime(65535)).toBe(false);
  });

  it('gives every node ⌊M/n⌋ or ⌈M/n⌉ slots with equal weights', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.constantFrom(251, 4099, 65537), (n, size) => {
        fc.pre(n < size);
        const m = new MaglevHash({ members: ids(n), tableSize: size });
        const counts = [...m.slotCounts().values()];
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(size);
      }),
      { numRuns: 40 },
    );
  });

  it('gives slots in proportion to weight', () => {
    const m = new MaglevHash({ members: ['a', { id: 'b', weight: 2 }, { id: 'c', weight: 0.5 }], tableSize: 7001 });
    const counts = m.slotCounts();
    expect(counts.get('b')! / counts.get('a')!).toBeCloseTo(2, 1);
    expect(counts.get('c')! / counts.get('a')!).toBeCloseTo(0.5, 1);
  });

  it('moves close to the minimum when a node leaves', () => {
    const m = new MaglevHash({ members: ids(100) });
    const moved = m.remove('node-37');
    expect(moved.exact).toBe(true);
    expect(moved.fraction).toBeGreaterThanOrEqual(0.01 - 1e-9);
    expect(moved.fraction).toBeLessThan(0.03);
  });
});

describe('virtual-node ring', () => {
  it('reports exactly the hash ranges that changed owner', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 40 }), fc.boolean(), (n, vnodes, removing) => {
        const ring = new HashRing({ members: ids(n), vnodes });
        const sample = keys(2000, `s${n}`);
        const before = sample.map((k) => ring.lookup(k));
        const movement = removing && n > 1 ? ring.remove('node-0') : ring.add('fresh');
        const ranges = movement.ranges!;
        const inRange = (h: number) =>
          ranges.some((r) => (r.start < r.end ? h > r.start && h <= r.end : h > r.start || h <= r.end));
        sample.forEach((k, i) => {
          const moved = ring.lookup(k) !== before[i];
          expect(inRange(ring.hashKey(k))).toBe(moved);
        });
        const total = ranges.reduce((s, r) => s + (((r.end - r.start) >>> 0) || 2 ** 32) / 2 ** 32, 0);
        expect(total).toBeCloseTo(movement.fraction, 9);
      }),
      { numRuns: 30 },
    );
  });

  it('reports everything as moving from nobody on the first add and to nobody on the last remove', () => {
    const ring = new HashRing();
    expect(ring.add('only').fraction).toBe(1);
    expect(ring.remove('only').transfers).toEqual([{ from: 'only', to: null, fraction: 1 }]);
  });

  it('owns close to the fair share with 160 virtual nodes', () => {
    const ring = new HashRing({ members: ids(50) });
    const shares = [...ring.ownership().values()];
    expect(Math.max(...shares) * 50).toBeLessThan(1.35);
    expect(ring.pointCount).toBe(50 * 160);
  });

  it('reweight only adds or drops points', () => {
    const ring = new HashRing({ members: ids(8) });
    const m = ring.reweight('node-3', 2);
    expect(m.transfers.every((t) => t.to === 'node-3')).toBe(true);
    expect(ring.pointsPerMember().get('node-3')).toBe(320);
  });
});

describe('bounded loads', () => {
  it('never lets a node exceed (1+ε) × the mean (plus rounding)', () => {
    for (const epsilon of [0.05, 0.25, 1]) {
      const ring = new BoundedLoadRing({ members: ids(30), epsilon });
      const m = 30_000;
      for (const k of keys(m)) ring.acquire(k);
      const counts = ring.loadsByNode();
      expect(ring.totalLoad).toBe(m);
      expect(peakToMean(counts)).toBeLessThanOrEqual(1 + epsilon + 30 / m);
    }
  });

  it('sends a key to its home node while that node has room, and walks on when full', () => {
    const ring = new BoundedLoadRing({ members: ids(5), epsilon: 0.1 });
    expect(ring.acquire('k')).toBe(ring.home('k'));
    const home = ring.home('hot');
    const placed = Array.from({ length: 200 }, () => ring.acquire('hot'));
    const atHome = placed.filter((p) => p === home).length;
    expect(atHome).toBeLessThan(200);
    expect(ring.load(home)).toBeLessThanOrEqual(ring.capacity(home));
    for (const p of placed) ring.release(p);
    expect(codeOf(() => ring.release(home))).toBe(home === ring.home('k') ? undefined : InvalidArgumentError.code);
  });

  it('drops the load of a removed node, keeps the others, and restores from a snapshot', () => {
    const ring = new BoundedLoadRing({ members: ids(4) });
    for (const k of keys(100)) ring.acquire(k);
    const before = ring.load('node-1');
    ring.remove('node-0');
    expect(ring.load('node-1')).toBe(before);
    expect(codeOf(() => ring.load('node-0'))).toBe(UnknownPeerError.code);
    expect(codeOf(() => new BoundedLoadRing({ epsilon: 0 }))).toBe(InvalidArgumentError.code);
    const copy = restore(ring.serialize());
    expect(copy.algorithm).toBe('bounded-loads');
  });
});

describe('snapshots are the same in every process', () => {
  // Recorded once; a change here means placements changed for existing users.
  it('matches recorded fingerprints', () => {
    const members = ['alpha', 'beta', { id: 'gamma', weight: 2 }, 'delta'];
    expect(new HashRing({ members }).snapshot().fingerprint).toBe(GOLDEN.ring);
    expect(new KetamaRing({ members }).snapshot().fingerprint).toBe(GOLDEN.ketama);
    expect(new MaglevHash({ members, tableSize: 1009 }).snapshot().fingerprint).toBe(GOLDEN.maglev);
    expect(new HashRing({ members }).lookup('user:1')).toBe(GOLDEN.lookup);
  });
});

const GOLDEN = { ring: '7842c9d8baf0bd79', ketama: '247614f80fed71f7', maglev: '0a5ec7154e13040b', lookup: 'delta' };

describe('lookup cache', () => {
  it('returns what an uncached ring returns, through membership changes', () => {
    const cached = new HashRing({ members: ids(20), cacheSize: 50 });
    const plain = new HashRing({ members: ids(20) });
    const sample = keys(300);
    const check = () => {
      for (let round = 0; round < 2; round++) for (const k of sample) expect(cached.lookup(k)).toBe(plain.lookup(k));
    };
    check();
    cached.add('extra');
    plain.add('extra');
    check();
    cached.remove('node-3');
    plain.remove('node-3');
    check();
    const ketama = new KetamaRing({ members: ids(5), cacheSize: 10 });
    const ketamaPlain = new KetamaRing({ members: ids(5) });
    for (const k of sample) expect(ketama.lookup(k)).toBe(ketamaPlain.lookup(k));
    expect(codeOf(() => new HashRing({ cacheSize: -1 }))).toBe(InvalidArgumentError.code);
  });
});

describe('limits', () => {
  it('rejects weights that would need too many points, leaving the ring as it was', () => {
    const ring = new HashRing({ members: ids(3) });
    expect(codeOf(() => ring.add({ id: 'huge', weight: 1e9 }))).toBe(InvalidArgumentError.code);
    expect(ring.has('huge')).toBe(false);
    expect(ring.lookupN('k', 3)).toHaveLength(3);
  });
});
