import { InvalidArgumentError } from './errors.js';

/** A source of randomness; seeded where a run must be replayable. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
}

/**
 * A fast, seeded generator (xoshiro128**, seeded through splitmix32): the same seed gives
 * the same sequence on every platform. Not cryptographic.
 *
 * @example
 * ```ts
 * const random = seededRandom(42);
 * random.int(6); // the same first roll on every run
 * ```
 */
export function seededRandom(seed: number): Random {
  if (!Number.isSafeInteger(seed)) throw new InvalidArgumentError(`seed must be a safe integer, got ${seed}`);
  let state = seed >>> 0 ^ Math.floor(seed / 0x1_0000_0000) >>> 0;
  const splitmix32 = (): number => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix32();
  let b = splitmix32();
  let c = splitmix32();
  let d = splitmix32();
  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  return {
    next: () => nextUint32() / 0x1_0000_0000,
    int: (maxExclusive) => boundedInt(nextUint32() / 0x1_0000_0000, maxExclusive),
  };
}

/** `Math.random` as a {@link Random}: for production defaults, never for replayable runs. */
export const systemRandom: Random = Object.freeze({
  next: () => Math.random(),
  int: (maxExclusive: number) => boundedInt(Math.random(), maxExclusive),
});

function boundedInt(unit: number, maxExclusive: number): number {
  if (!Number.isSafeInteger(maxExclusive) || maxExclusive <= 0) {
    throw new InvalidArgumentError(`maxExclusive must be a positive safe integer, got ${maxExclusive}`);
  }
  return Math.floor(unit * maxExclusive);
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
