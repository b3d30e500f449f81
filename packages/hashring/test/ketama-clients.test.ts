import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KetamaRing, ketamaDigestCount, restore } from '../src/index.js';

/**
 * Differential tests of KetamaRing against real C implementations, built at test time from our
 * own programs in test/native: libmemcached's weighted ketama (placement of every key) and
 * libketama's digest-count expression compiled by the C compiler (libketama itself is not in
 * Debian). No server is needed: libmemcached places keys locally.
 */

const INSTALL = 'apt-get install -y libmemcached-dev gcc';
const REQUIRED = Boolean(process.env['CI']) || process.env['LATTICE_REQUIRE_SERVICES'] === '1';
const NATIVE = fileURLToPath(new URL('./native/', import.meta.url));

interface Programs {
  oracle: string;
  digests: string;
}

function compile(dir: string, source: string, output: string, libs: readonly string[]): string | undefined {
  const result = spawnSync('cc', ['-O2', '-o', join(dir, output), join(NATIVE, source), ...libs], { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) return (result.error?.message ?? result.stderr).trim().split('\n')[0];
  return undefined;
}

let dir: string | undefined;
let programs: Programs | undefined;
let missing: string | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lattice-ketama-'));
  missing = compile(dir, 'ketama-oracle.c', 'ketama-oracle', ['-lmemcached']) ?? compile(dir, 'libketama-digests.c', 'libketama-digests', ['-lm']);
  if (missing === undefined) programs = { oracle: join(dir, 'ketama-oracle'), digests: join(dir, 'libketama-digests') };
  else if (REQUIRED) throw new Error(`cannot build the libmemcached ketama oracle (${missing}); install it with: ${INSTALL}`);
  // One line, where a user without a C toolchain or libmemcached runs the suite.
  else console.warn(`ketama client tests skipped: no cc or libmemcached (${INSTALL})`);
});

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface Server {
  host: string;
  port: number;
  weight: number;
}

const idOf = (s: Server): string => `${s.host}:${s.port}`;

/** The index of the server libmemcached picks for each key. */
function libmemcachedPicks(servers: readonly Server[], keys: readonly string[]): number[] {
  const input = [`${servers.length}`, ...servers.map((s) => `${s.host} ${s.port} ${s.weight}`), ...keys.map((k) => Buffer.from(k, 'utf8').toString('hex'))].join('\n');
  const result = spawnSync(programs!.oracle, { input: `${input}\n`, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ketama-oracle exited with ${result.status}: ${result.stderr}`);
  return result.stdout.trim().split('\n').map(Number);
}

/** libketama's digest count of each server, evaluated by the C compiler. */
function libketamaDigests(servers: readonly Server[]): number[] {
  const total = servers.reduce((sum, s) => sum + s.weight, 0);
  const input = servers.map((s) => `${s.weight} ${total} ${servers.length}`).join('\n');
  const result = spawnSync(programs!.digests, { input: `${input}\n`, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`libketama-digests exited with ${result.status}: ${result.stderr}`);
  return result.stdout.trim().split('\n').map(Number);
}

function expectLibmemcachedPlacement(ring: KetamaRing, servers: readonly Server[], keys: readonly string[]): void {
  const picks = libmemcachedPicks(servers, keys);
  const ours = keys.map((k) => ring.lookup(k));
  expect(ours).toEqual(picks.map((i) => idOf(servers[i]!)));
}

const libmemcachedRing = (servers: readonly Server[]): KetamaRing =>
  new KetamaRing({ members: servers.map((s) => ({ id: idOf(s), weight: s.weight })), pointCounts: 'libmemcached', defaultPort: 11211 });

const libketamaRing = (servers: readonly Server[], options: { defaultPort?: number } = {}): KetamaRing =>
  new KetamaRing({ members: servers.map((s) => ({ id: idOf(s), weight: s.weight })), ...options });

/** libmemcached 1.1 asserts when a continuum has more than 100 servers. */
const LIBMEMCACHED_MAX_SERVERS = 100;

const serversArb = (ports: readonly number[], weightArb: fc.Arbitrary<number>) =>
  fc
    .uniqueArray(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.constantFrom(...ports)), {
      minLength: 1,
      maxLength: LIBMEMCACHED_MAX_SERVERS,
      selector: ([a, b, port]) => `${a}.${b}:${port}`,
    })
    .chain((hosts) => fc.array(weightArb, { minLength: hosts.length, maxLength: hosts.length }).map((weights) => hosts.map(([a, b, port], i) => ({ host: `10.${a}.${b}.7`, port, weight: weights[i]! }))));

const weightArb = fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 5000 }));
const keysArb = fc.array(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.integer().map((i) => `user:${i}`)), { minLength: 1, maxLength: 200 });

const equalServers = (n: number, port = 11211): Server[] => Array.from({ length: n }, (_, i) => ({ host: `s${i}`, port, weight: 1 }));
const manyKeys = Array.from({ length: 4000 }, (_, i) => `key:${i}:${(i * 2654435761) >>> 0}`);

describe("pointCounts: 'libmemcached' places keys as libmemcached's weighted ketama", () => {
  it('generated server lists, ports and integer weights', (context) => {
    if (programs === undefined) return context.skip(`no cc or libmemcached (${INSTALL})`);
    fc.assert(
      fc.property(serversArb([11211, 11212, 22122], weightArb), keysArb, (servers, keys) => {
        expectLibmemcachedPlacement(libmemcachedRing(servers), servers, keys);
      }),
      { numRuns: 120 },
    );
  });

  it('seven equal servers s0:11211 … s6:11211 (40 digests each, not 39)', (context) => {
    if (programs === undefined) return context.skip(`no cc or libmemcached (${INSTALL})`);
    const servers = equalServers(7);
    const ring = libmemcachedRing(servers);
    expect([...ring.pointsPerMember().values()]).toEqual(Array(7).fill(160));
    expectLibmemcachedPlacement(ring, servers, manyKeys);
  });

  it.for([14, 28, 49, 56, 61, 98])('%i equal servers, where double precision gives other counts', (n, context) => {
    if (programs === undefined) return context.skip(`no cc or libmemcached (${INSTALL})`);
    const servers = equalServers(n);
    const ring = libmemcachedRing(servers);
    const hashringCounts = new KetamaRing({ members: servers.map(idOf), pointCounts: 'hashring' }).pointsPerMember();
    expect([...ring.pointsPerMember().values()]).not.toEqual([...hashringCounts.values()]);
    expectLibmemcachedPlacement(ring, servers, manyKeys);
  });

  it('weights where libmemcached and libketama round differently', (context) => {
    if (programs === undefined) return context.skip(`no cc or libmemcached (${INSTALL})`);
    // 936 / 3168 × 40 × 11 is 129.99…: libketama's double product rounds to 130 floats, libmemcached's float chain to 129.
    const servers: Server[] = Array.from({ length: 11 }, (_, i) => ({ host: `10.0.0.${i}`, port: 11212, weight: i === 0 ? 936 : 223 }));
    servers[10]!.weight = 3168 - 936 - 223 * 9;
    expect(ketamaDigestCount('libmemcached', 936, 3168, 11, 40)).toBe(129);
    expect(ketamaDigestCount('libketama', 936, 3168, 11, 40)).toBe(130);
    expectLibmemcachedPlacement(libmemcachedRing(servers), servers, manyKeys);
    expect(libketamaDigests(servers)[0]).toBe(130);
  });
});

describe("pointCounts: 'libketama' (the default) places keys as libketama", () => {
  it('digest counts equal the C expression on generated weights', (context) => {
    if (programs === undefined) return context.skip(`no cc or libmemcached (${INSTALL})`);
    const many = fc.uniqueArray(fc.integer({ min: 0, max: 65535 }), { minLength: 1, maxLength: 400 }).chain((hosts) =>
      fc.array(weightArb, { minLength: hosts.length, maxLength: hosts.length }).map((w) => hosts.map((h, i) => ({ host: `h${h}`, port: 11211, weight: w[i]! }))),
    );
    fc.assert(
      fc.property(many, (servers) => {
        const ring = libketamaRing(servers);
        const counts = [...ring.pointsPerMember().values()].map((points) => points / 4);
        expect(counts).toEqual(libketamaDigests(servers));
      }),
      { numRuns: 150 },
    );
  });

  it('placement equals libmemcached wherever the two clients agree on the counts', (context) => {
    if (programs === undefined) return context.skip(`no cc or libmemcached (${INSTALL})`);
    // libketama hashes "<host>:<port>-<i>" for every port; libmemcached does too except for port 11211.
    fc.assert(
      fc.property(serversArb([11212, 22122], weightArb), keysArb, (servers, keys) => {
        const ring = libketamaRing(servers);
        const total = servers.reduce((sum, s) => sum + s.weight, 0);
        fc.pre(servers.every((s) => ketamaDigestCount('libketama', s.weight, total, servers.length, 40) === ketamaDigestCount('libmemcached', s.weight, total, servers.length, 40)));
        expectLibmemcachedPlacement(ring, servers, keys);
      }),
      { numRuns: 120 },
    );
  });

  it.for([7, 14, 28, 49, 56, 61, 98, 122])('%i equal servers: the counts of the C expression, the placement of a C client', (n, context) => {
    if (programs === undefined) return context.skip(`no cc or libmemcached (${INSTALL})`);
    const servers = equalServers(n);
    const expected = libketamaDigests(servers);
    const ring = libketamaRing(servers);
    expect([...ring.pointsPerMember().values()].map((p) => p / 4)).toEqual(expected);
    expect(expected[0]).toBe(n === 61 || n === 122 ? 39 : 40);
    const hashring = new KetamaRing({ members: servers.map(idOf), pointCounts: 'hashring' });
    expect([...hashring.pointsPerMember().values()][0]! / 4).toBe(n === 61 || n === 122 ? 40 : 39);
    // libmemcached holds at most 100 servers; below that its placement (port 11211 left out of
    // the hashed names, so the ring leaves it out too) is the reference.
    if (n <= LIBMEMCACHED_MAX_SERVERS) expectLibmemcachedPlacement(libketamaRing(servers, { defaultPort: 11211 }), servers, manyKeys);
  });
});

describe('pointCounts in snapshots', () => {
  it('survives serialize/restore, and a snapshot without it restores the previous (hashring) placement', () => {
    const ids = equalServers(7).map(idOf);
    for (const pointCounts of ['libketama', 'libmemcached', 'hashring'] as const) {
      const ring = new KetamaRing({ members: ids, pointCounts });
      const copy = restore(ring.serialize()) as KetamaRing;
      expect(copy.pointCounts).toBe(pointCounts);
      expect(copy.snapshot().fingerprint).toBe(ring.snapshot().fingerprint);
    }
    const old = JSON.parse(new KetamaRing({ members: ids, pointCounts: 'hashring' }).serialize()) as { params: Record<string, unknown> };
    delete old.params['pointCounts'];
    expect((restore(JSON.stringify(old)) as KetamaRing).pointCounts).toBe('hashring');
  });
});
