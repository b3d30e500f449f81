import { DecodeError, InvalidArgumentError, UnsupportedVersionError } from '@lattice/core';
import { describe, expect, it } from 'vitest';
import {
  BoundedLoadRing,
  Continuum,
  createHashFunction,
  DuplicateNodeError,
  EmptyRingError,
  HashRing,
  InvalidWeightError,
  isPrime,
  JumpHash,
  jumpBucket,
  KetamaRing,
  KeyHasher,
  ketamaDigestCount,
  MaglevHash,
  md5,
  MultiProbeHash,
  murmur3,
  NotEnoughMembersError,
  type Partitioner,
  RendezvousHash,
  resolveHash,
  restore,
  UnknownPeerError,
  UnsupportedOperationError,
  xxh32,
  xxh64,
} from '../src/index.js';
import { codeOf } from '@lattice/test-kit';

/** Calls with deliberately wrong types, as JavaScript callers (or bad config files) would. */
// biome-ignore lint/suspicious/noExplicitAny: the point is to pass what the types forbid
type Loose = any;


const makers: Record<string, (options?: Loose) => Partitioner> = {
  HashRing: (o) => new HashRing(o),
  KetamaRing: (o) => new KetamaRing(o),
  RendezvousHash: (o) => new RendezvousHash(o),
  JumpHash: (o) => new JumpHash(o),
  MaglevHash: (o) => new MaglevHash(o === undefined || typeof o !== 'object' || o === null || Array.isArray(o) ? o : { tableSize: 251, ...o }),
  MultiProbeHash: (o) => new MultiProbeHash(o),
  BoundedLoadRing: (o) => new BoundedLoadRing(o),
};

describe.each(Object.entries(makers))('%s', (name, make) => {
  const weighted = name !== 'JumpHash';

  it.each<[string, Loose, string]>([
    ['null options', null, InvalidArgumentError.code],
    ['string options', 'a,b', InvalidArgumentError.code],
    ['array options', ['a'], InvalidArgumentError.code],
    ['members not an array', { members: 'abc' }, InvalidArgumentError.code],
    ['members an object', { members: { a: 1 } }, InvalidArgumentError.code],
    ['a null member', { members: [null] }, InvalidArgumentError.code],
    ['a numeric member', { members: [5] }, InvalidArgumentError.code],
    ['an empty id', { members: [''] }, InvalidArgumentError.code],
    ['an id with a control character', { members: ['a\u0000'] }, InvalidArgumentError.code],
    ['a duplicate id', { members: ['a', 'a'] }, DuplicateNodeError.code],
    ['a duplicate id in object form', { members: ['a', { id: 'a' }] }, DuplicateNodeError.code],
    ['a NaN weight', { members: [{ id: 'a', weight: Number.NaN }] }, InvalidWeightError.code],
    ['a negative weight', { members: [{ id: 'a', weight: -1 }] }, InvalidWeightError.code],
    ['a zero weight', { members: [{ id: 'a', weight: 0 }] }, InvalidWeightError.code],
    ['an infinite weight', { members: [{ id: 'a', weight: Number.POSITIVE_INFINITY }] }, InvalidWeightError.code],
    ['a string weight', { members: [{ id: 'a', weight: '2' }] }, InvalidWeightError.code],
    ['a numeric zone', { members: [{ id: 'a', zone: 3 }] }, InvalidArgumentError.code],
    ['an unknown hash name', { hash: 'sha1' }, name === 'KetamaRing' ? '' : InvalidArgumentError.code],
    ['a hash object without a function', { hash: { name: 'x' } }, name === 'KetamaRing' ? '' : InvalidArgumentError.code],
  ])('constructor with %s', (_, options, code) => {
    if (code === '') return; // ketama always hashes with MD5 and has no hash option
    expect(codeOf(() => make(options))).toBe(code);
  });

  it('lookups with bad keys, counts and options', () => {
    const p = make({ members: ['a', 'b'] });
    expect(codeOf(() => p.lookup(5 as Loose))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => p.lookup(null as Loose))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => p.hashKey({} as Loose))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => p.lookupN('k', 1.5))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => p.lookupN('k', 0))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => p.lookupN('k', '2' as Loose))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => p.lookupN('k', 3))).toBe(NotEnoughMembersError.code);
    expect(codeOf(() => p.lookupN('k', 1, null as Loose))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => p.lookupN('k', 1, 'zones' as Loose))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => p.lookupN('k', 1, { distinctZones: 'yes' as Loose }))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => make().lookup('k'))).toBe(EmptyRingError.code);
  });

  it('membership changes with bad arguments change nothing', () => {
    const p = make({ members: ['a', 'b', 'c'] });
    const before = p.serialize();
    expect(codeOf(() => p.add(null as Loose))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => p.add(''))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => p.add('a'))).toBe(DuplicateNodeError.code);
    expect(codeOf(() => p.add({ id: 'd', weight: -2 }))).toBe(InvalidWeightError.code);
    expect(codeOf(() => p.remove('z'))).toBe(UnknownPeerError.code);
    expect(codeOf(() => p.remove(5 as Loose))).toBe(UnknownPeerError.code);
    expect(codeOf(() => p.reweight('z', 2))).toBe(UnknownPeerError.code);
    if (weighted) {
      expect(codeOf(() => p.reweight('a', Number.NaN))).toBe(InvalidWeightError.code);
      expect(codeOf(() => p.reweight('a', '2' as Loose))).toBe(InvalidWeightError.code);
    } else {
      expect(codeOf(() => p.reweight('a', 2))).toBe(UnsupportedOperationError.code);
      expect(codeOf(() => p.remove('a'))).toBe(UnsupportedOperationError.code);
    }
    expect(p.serialize()).toBe(before);
  });
});

describe('option values', () => {
  it.each<[string, () => unknown]>([
    ['HashRing vnodes 0', () => new HashRing({ vnodes: 0 })],
    ['HashRing vnodes 1.5', () => new HashRing({ vnodes: 1.5 })],
    ['HashRing vnodes "10"', () => new HashRing({ vnodes: '10' as Loose })],
    ['HashRing cacheSize -1', () => new HashRing({ cacheSize: -1 })],
    ['HashRing cacheSize "x"', () => new HashRing({ cacheSize: 'x' as Loose })],
    ['MaglevHash tableSize 1.5', () => new MaglevHash({ tableSize: 1.5 })],
    ['MaglevHash tableSize 0', () => new MaglevHash({ tableSize: 0 })],
    ['MultiProbeHash probes 0', () => new MultiProbeHash({ probes: 0 })],
    ['BoundedLoadRing epsilon -1', () => new BoundedLoadRing({ epsilon: -1 })],
    ['BoundedLoadRing epsilon NaN', () => new BoundedLoadRing({ epsilon: Number.NaN })],
    ['KetamaRing vnodes 0', () => new KetamaRing({ vnodes: 0 })],
    ['KetamaRing pointsPerHash 5', () => new KetamaRing({ pointsPerHash: 5 })],
    ['KetamaRing defaultPort 0', () => new KetamaRing({ defaultPort: 0 })],
    ['KetamaRing defaultPort 70000', () => new KetamaRing({ defaultPort: 70_000 })],
    ['KetamaRing compatibility "memcached"', () => new KetamaRing({ compatibility: 'memcached' as Loose })],
    ['KetamaRing pointCounts "float"', () => new KetamaRing({ pointCounts: 'float' as Loose })],
    ['KetamaRing member vnodes -1', () => new KetamaRing({ members: [{ id: 'a', vnodes: -1 }] })],
  ])('%s', (_, fn) => {
    expect(codeOf(fn)).toBe(InvalidArgumentError.code);
  });

  it('KetamaRing with a C client\'s point counts refuses weights the C clients cannot hold', () => {
    for (const pointCounts of ['libketama', 'libmemcached'] as const) {
      expect(codeOf(() => new KetamaRing({ members: [{ id: 'a', weight: 1.5 }], pointCounts }))).toBe(InvalidWeightError.code);
      expect(codeOf(() => new KetamaRing({ members: [{ id: 'a', weight: 2 ** 32 }], pointCounts }))).toBe(InvalidWeightError.code);
      const ring = new KetamaRing({ members: ['a', 'b'], pointCounts });
      const before = ring.serialize();
      expect(codeOf(() => ring.reweight('a', 0.5))).toBe(InvalidWeightError.code);
      expect(codeOf(() => ring.add({ id: 'c', weight: 2.5 }))).toBe(InvalidWeightError.code);
      expect(ring.serialize()).toBe(before);
    }
    expect(new KetamaRing({ members: [{ id: 'a', weight: 1.5 }], pointCounts: 'hashring' }).size).toBe(1);
  });
});

describe('algorithm-specific entry points', () => {
  it('ownerOfHash', () => {
    const ring = new HashRing({ members: ['a'] });
    for (const h of [-1, Number.NaN, 2 ** 32, 1.5, '1' as Loose]) expect(codeOf(() => ring.ownerOfHash(h))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => new HashRing().ownerOfHash(1))).toBe(EmptyRingError.code);
  });

  it('JumpHash.bucket and jumpBucket', () => {
    expect(codeOf(() => new JumpHash({ members: ['a'] }).bucket(5 as Loose))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => jumpBucket(0, 0, 0))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => jumpBucket(0, 0, 2.5))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => jumpBucket(Number.NaN, 0, 3))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => jumpBucket('a' as Loose, 0, 3))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => jumpBucket(0, 2 ** 33, 3))).toBe(InvalidArgumentError.code);
    expect(jumpBucket(-1, 0xffff_ffff, 10)).toBe(jumpBucket(0xffff_ffff, -1, 10));
  });

  it('BoundedLoadRing acquire, release, load, capacity', () => {
    const ring = new BoundedLoadRing({ members: ['a'] });
    expect(codeOf(() => ring.acquire(5 as Loose))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => ring.home(null as Loose))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => new BoundedLoadRing().acquire('k'))).toBe(EmptyRingError.code);
    expect(codeOf(() => ring.release('z'))).toBe(UnknownPeerError.code);
    expect(codeOf(() => ring.release('a'))).toBe(InvalidArgumentError.code); // nothing acquired
    expect(codeOf(() => ring.load('z'))).toBe(UnknownPeerError.code);
    expect(codeOf(() => ring.capacity('z'))).toBe(UnknownPeerError.code);
  });

  it('isPrime', () => {
    expect(codeOf(() => isPrime(Number.NaN))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => isPrime('7' as Loose))).toBe(InvalidArgumentError.code);
    expect(isPrime(1.5)).toBe(false);
  });

  it('Continuum', () => {
    expect(codeOf(() => new Continuum(null as Loose, []))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => new Continuum([{ id: 'a', weight: 1 }], []))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => new Continuum([{ id: 'a', weight: 1 }], [[1, 2] as Loose]))).toBe(InvalidArgumentError.code);
  });

  it('ketamaDigestCount', () => {
    expect(codeOf(() => ketamaDigestCount('float' as Loose, 1, 1, 1, 40))).toBe(InvalidArgumentError.code);
    for (const bad of [Number.NaN, 0, -1, Number.POSITIVE_INFINITY, '1' as Loose]) {
      expect(codeOf(() => ketamaDigestCount('libketama', bad, 1, 1, 40))).toBe(InvalidArgumentError.code);
      expect(codeOf(() => ketamaDigestCount('libmemcached', 1, bad, 1, 40))).toBe(InvalidArgumentError.code);
      expect(codeOf(() => ketamaDigestCount('hashring', 1, 1, bad, 40))).toBe(InvalidArgumentError.code);
    }
  });
});

describe('hash functions', () => {
  it.each<[string, () => unknown]>([
    ['createHashFunction("sha1")', () => createHashFunction('sha1' as Loose)],
    ['createHashFunction(5)', () => createHashFunction(5 as Loose)],
    ['resolveHash({ name: 1 })', () => resolveHash({ name: 1 } as Loose, 'xxh32')],
    ['resolveHash({ name: "", hash })', () => resolveHash({ name: '', hash: () => 1 }, 'xxh32')],
    ['new KeyHasher(null)', () => new KeyHasher(null as Loose)],
    ['new KeyHasher(undefined)', () => new KeyHasher(undefined as Loose)],
    ['new KeyHasher({})', () => new KeyHasher({} as Loose)],
    ['xxh32(5)', () => xxh32(5 as Loose)],
    ['xxh32 seed "x"', () => xxh32('a', 'x' as Loose)],
    ['xxh32 seed NaN', () => xxh32('a', Number.NaN)],
    ['xxh32 seed -1', () => xxh32('a', -1)],
    ['xxh32 seed 2^32', () => xxh32('a', 2 ** 32)],
    ['xxh64(5)', () => xxh64(5 as Loose)],
    ['xxh64 seed 5 (a number)', () => xxh64('a', 5 as Loose)],
    ['xxh64 seed -1n', () => xxh64('a', -1n)],
    ['xxh64 seed 2^64', () => xxh64('a', 1n << 64n)],
    ['murmur3(null)', () => murmur3(null as Loose)],
    ['murmur3 seed {}', () => murmur3('a', {} as Loose)],
    ['md5(5)', () => md5(5 as Loose)],
  ])('%s', (_, fn) => {
    expect(codeOf(fn)).toBe(InvalidArgumentError.code);
  });

  it('a custom hash function that answers something other than a uint32 is refused at lookup', () => {
    for (const answer of [Number.NaN, -1, 2 ** 32, 1.5]) {
      const ring = new HashRing({ members: ['a', 'b'], hash: { name: 'broken', hash: () => answer } });
      expect(codeOf(() => ring.lookup('k'))).toBe(InvalidArgumentError.code);
    }
  });
});

describe('restore', () => {
  const good = new HashRing({ members: ['a', 'b'] }).serialize();

  it.each<[string, Loose]>([
    ['a number', 5],
    ['null', null],
    ['not JSON', '{'],
    ['an empty object', '{}'],
    ['another format', JSON.stringify({ ...JSON.parse(good), format: 'x' })],
    ['version 0', JSON.stringify({ ...JSON.parse(good), version: 0 })],
    ['a version that is not a number', JSON.stringify({ ...JSON.parse(good), version: '1' })],
    ['an unknown algorithm', JSON.stringify({ ...JSON.parse(good), algorithm: 'chord' })],
    ['a wrong fingerprint', JSON.stringify({ ...JSON.parse(good), fingerprint: '0000000000000000' })],
  ])('%s', (_, input) => {
    expect(codeOf(() => restore(input))).toBe(DecodeError.code);
  });

  it('a snapshot of a newer format version is an UnsupportedVersionError', () => {
    const error = (() => {
      try {
        restore(JSON.stringify({ ...JSON.parse(good), version: 2 }));
      } catch (err) {
        return err as { code?: unknown; version?: unknown; supported?: unknown };
      }
      return undefined;
    })();
    expect(error?.code).toBe(UnsupportedVersionError.code);
    expect([error?.version, error?.supported]).toEqual([2, 1]);
  });

  it('bad options', () => {
    expect(codeOf(() => restore(good, 'x' as Loose))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => restore(good, null as Loose))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => restore(good, { hashes: 'x' as Loose }))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => restore(good, { hashes: [null as Loose] }))).toBe(InvalidArgumentError.code);
  });

  it('a ketama snapshot with an unknown pointCounts or a weight its client cannot hold', () => {
    const snapshot = JSON.parse(new KetamaRing({ members: ['a'], pointCounts: 'hashring' }).serialize());
    expect(codeOf(() => restore(JSON.stringify({ ...snapshot, params: { ...snapshot.params, pointCounts: 'float' } })))).toBe(DecodeError.code);
    const fractional = { ...snapshot, params: { ...snapshot.params, pointCounts: 'libketama' }, members: [{ id: 'a', weight: 1.5 }] };
    expect(codeOf(() => restore(JSON.stringify(fractional)))).toBe(DecodeError.code);
  });
});
