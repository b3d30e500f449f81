import { InvalidArgumentError } from '@lattice/core';

/**
 * How a ketama server's share of MD5 digests is computed. The clients agree on the formula,
 * `floor(weight / totalWeight × 40 × servers)`, but not on the arithmetic, and the last digit of
 * a rounding error decides whether a server gets 39 or 40 digests (with 7 equal servers,
 * double precision gives 39, C's `float` gives 40), which moves a few percent of the keys:
 *
 * - `'libketama'`: libketama's `ketama_create_continuum`, `floorf(pct * 40.0 * (float)servers)`
 *   with `pct = (float)weight / (float)total` (single precision, then promoted to double by the
 *   `40.0` literal, then rounded back to `float` for `floorf`).
 * - `'libmemcached'`: libmemcached's weighted ketama (`MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED`),
 *   `floor((float)(pct * 160 / 4 * (float)servers + 1e-10f)) * 4` points, all in `float`. It
 *   agrees with libketama except for rare weight combinations (about 3 servers in 100,000 of
 *   random integer weights get one digest fewer or more).
 * - `'hashring'`: the `hashring` npm package, `Math.floor(weight / total * vnodes * servers)` in
 *   double precision.
 */
export type KetamaPointCounts = 'libketama' | 'libmemcached' | 'hashring';

/** The point-count arithmetics {@link KetamaPointCounts} names. */
export const KETAMA_POINT_COUNTS: readonly KetamaPointCounts[] = Object.freeze(['libketama', 'libmemcached', 'hashring']);

const fround = Math.fround;
/** libmemcached's `0.0000000001F`: a float literal, so it is rounded to single precision first. */
const LIBMEMCACHED_NUDGE = fround(1e-10);

/**
 * The number of MD5 digests (each giving `pointsPerHash` points) a server of `weight` gets
 * among `servers` servers of total weight `total`, with `vnodes` digests at average weight.
 * Every `fround` stands for one C `float` operation or conversion, in libketama's and
 * libmemcached's order: a product of two floats is exact in a double, so rounding it once with
 * `fround` equals C's single-precision multiply.
 */
export function ketamaDigestCount(mode: KetamaPointCounts, weight: number, total: number, servers: number, vnodes: number): number {
  if (!KETAMA_POINT_COUNTS.includes(mode)) throw new InvalidArgumentError(`mode must be one of ${KETAMA_POINT_COUNTS.join(', ')}, got ${String(mode)}`);
  for (const [name, value] of [['weight', weight], ['total', total], ['servers', servers], ['vnodes', vnodes]] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`${name} must be a finite number > 0, got ${String(value)}`);
  }
  if (mode === 'hashring') return Math.floor((weight / total) * vnodes * servers);
  const pct = fround(fround(weight) / fround(total));
  if (mode === 'libketama') {
    // `pct * 40.0` promotes to double; `* (float)numservers` stays double; floorf() takes a float.
    return Math.floor(fround(pct * vnodes * fround(servers)));
  }
  // `pct * MEMCACHED_POINTS_PER_SERVER_KETAMA / 4 * (float)live_servers + 0.0000000001F`: every
  // operand is a float or an int converted to float, so each step rounds to float.
  const pointsPerServer = fround(vnodes * 4);
  const share = fround(fround(fround(pct * pointsPerServer) / 4) * fround(servers));
  return Math.floor(fround(share + LIBMEMCACHED_NUDGE));
}
