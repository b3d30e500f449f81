import { InvalidArgumentError } from '@lattice/core';
import { Md5 } from './md5.js';
import { murmur3Bytes } from './murmur3.js';
import { Utf8Scratch } from './utf8.js';
import { Xxh64, xxh32Ascii, xxh32Bytes } from './xxhash.js';

/**
 * A 32-bit hash of bytes, pluggable into every partitioner. It must be a pure function of
 * `bytes[0..length)` (the buffer may be longer and is reused between calls) returning an
 * unsigned 32-bit integer, and it must be the same in every process that shares a ring.
 *
 * @example
 * ```ts
 * import { HashRing, type HashFunction } from '@lattice/hashring';
 * const fnv1a: HashFunction = {
 *   name: 'fnv1a',
 *   hash(bytes, length) {
 *     let h = 0x811c9dc5;
 *     for (let i = 0; i < length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
 *     return h >>> 0;
 *   },
 * };
 * const ring = new HashRing({ members: ['a', 'b'], hash: fnv1a });
 * ```
 */
export interface HashFunction {
  /** Recorded in snapshots; a snapshot naming a custom hash needs it passed back in to load. */
  readonly name: string;
  /** Unsigned 32-bit hash of `bytes[0..length)`. */
  hash(bytes: Uint8Array, length: number): number;
  /**
   * Optional fast path: the hash of a string's UTF-8 bytes computed straight from the string,
   * or -1 to decline (then the string is encoded and {@link HashFunction.hash} is used). It
   * must equal `hash` of the UTF-8 encoding whenever it does not decline.
   */
  hashString?(text: string): number;
}

/** Names of the built-in hash functions. */
export type HashName = 'xxh32' | 'xxh64' | 'murmur3' | 'md5';

/** The built-in hash function names. */
export const HASH_NAMES: readonly HashName[] = Object.freeze(['xxh32', 'xxh64', 'murmur3', 'md5']);

/**
 * A fresh instance of a built-in hash function (each owns its scratch state):
 * `xxh32` (seed 0), `xxh64` (seed 0, low 32 bits of the digest), `murmur3` (x86_32, seed 0),
 * `md5` (first four digest bytes read little-endian, as ketama does).
 *
 * @example
 * ```ts
 * const h = createHashFunction('xxh32');
 * h.hash(new TextEncoder().encode('abc'), 3); // 0x32d153ff
 * ```
 */
export function createHashFunction(name: HashName): HashFunction {
  switch (name) {
    case 'xxh32':
      return { name, hash: (bytes, length) => xxh32Bytes(bytes, length, 0), hashString: (text) => xxh32Ascii(text, 0) };
    case 'xxh64': {
      const x = new Xxh64();
      return {
        name,
        hash(bytes, length) {
          x.digest(bytes, length);
          return x.lo >>> 0;
        },
      };
    }
    case 'murmur3':
      return { name, hash: (bytes, length) => murmur3Bytes(bytes, length, 0) };
    case 'md5': {
      const m = new Md5();
      return {
        name,
        hash(bytes, length) {
          m.digest(bytes, length);
          return m.words[0]! >>> 0;
        },
        hashString(text) {
          return m.digestShortAscii(text) ? m.words[0]! >>> 0 : -1;
        },
      };
    }
    default:
      throw new InvalidArgumentError(`Unknown hash function ${JSON.stringify(name)}; expected one of ${HASH_NAMES.join(', ')} or a HashFunction`);
  }
}

/** Resolves a hash option (a name or a function) to a {@link HashFunction}. */
export function resolveHash(hash: HashName | HashFunction | undefined, fallback: HashName): HashFunction {
  if (hash === undefined) return createHashFunction(fallback);
  if (typeof hash === 'string') return createHashFunction(hash);
  if (typeof hash !== 'object' || hash === null || typeof hash.hash !== 'function' || typeof hash.name !== 'string' || hash.name === '') {
    throw new InvalidArgumentError('hash must be a built-in name or an object { name: string, hash(bytes, length): number }');
  }
  return hash;
}

/** A key: a string (hashed as UTF-8) or raw bytes. */
export type Key = string | Uint8Array;

/**
 * Hashes keys with a {@link HashFunction}, encoding strings without allocating (and reading
 * ASCII strings directly when the function has a `hashString` fast path).
 *
 * @example
 * ```ts
 * const hasher = new KeyHasher(createHashFunction('xxh32'));
 * hasher.hash('abc') === hasher.hash(new TextEncoder().encode('abc')); // true
 * ```
 */
export class KeyHasher {
  readonly fn: HashFunction;
  private readonly scratch = new Utf8Scratch();
  private readonly fast: ((text: string) => number) | undefined;

  constructor(fn: HashFunction) {
    if (fn === undefined) throw new InvalidArgumentError('KeyHasher needs a hash function');
    this.fn = resolveHash(fn, 'xxh32');
    this.fast = typeof this.fn.hashString === 'function' ? this.fn.hashString.bind(this.fn) : undefined;
  }

  /** A custom function's answer must be an unsigned 32-bit integer; anything else would place keys by garbage. */
  private checked(h: number): number {
    if (h >>> 0 !== h) throw new InvalidArgumentError(`hash function "${this.fn.name}" returned ${String(h)}, not an unsigned 32-bit integer`);
    return h;
  }

  /** Unsigned 32-bit hash of a key. */
  hash(key: Key): number {
    if (typeof key === 'string') {
      if (this.fast !== undefined) {
        const h = this.fast(key);
        if (h >= 0) return h;
      }
      const length = this.scratch.encode(key);
      return this.checked(this.fn.hash(this.scratch.bytes, length));
    }
    if (key instanceof Uint8Array) return this.checked(this.fn.hash(key, key.length));
    throw new InvalidArgumentError(`key must be a string or a Uint8Array, got ${typeof key}`);
  }
}

/** A 32-bit seed: an integer in [0, 2^32). */
function seed32(seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) throw new InvalidArgumentError(`seed must be an integer in [0, 2^32), got ${String(seed)}`);
  return seed;
}

function toBytes(input: string | Uint8Array): Uint8Array {
  if (typeof input === 'string') return new TextEncoder().encode(input);
  if (input instanceof Uint8Array) return input;
  throw new InvalidArgumentError(`input must be a string or a Uint8Array, got ${typeof input}`);
}

/**
 * xxHash32 of a string (as UTF-8) or bytes.
 *
 * @example
 * ```ts
 * xxh32('abc'); // 0x32d153ff
 * ```
 */
export function xxh32(input: string | Uint8Array, seed = 0): number {
  const bytes = toBytes(input);
  return xxh32Bytes(bytes, bytes.length, seed32(seed));
}

/**
 * xxHash64 of a string (as UTF-8) or bytes, as an unsigned BigInt.
 *
 * @example
 * ```ts
 * xxh64('abc'); // 0x44bc2cf5ad770999n
 * ```
 */
export function xxh64(input: string | Uint8Array, seed = 0n): bigint {
  const bytes = toBytes(input);
  const x = new Xxh64();
  if (typeof seed !== 'bigint' || seed < 0n || seed >= 1n << 64n) throw new InvalidArgumentError(`seed must be a bigint in [0, 2^64), got ${typeof seed === 'bigint' ? `${seed}n` : typeof seed}`);
  const s = seed;
  x.digest(bytes, bytes.length, Number(s >> 32n) | 0, Number(s & 0xffffffffn) | 0);
  return (BigInt(x.hi >>> 0) << 32n) | BigInt(x.lo >>> 0);
}

/**
 * MurmurHash3 (x86, 32-bit) of a string (as UTF-8) or bytes.
 *
 * @example
 * ```ts
 * murmur3('Hello, world!', 1234); // 0xfaf6cdb3
 * ```
 */
export function murmur3(input: string | Uint8Array, seed = 0): number {
  const bytes = toBytes(input);
  return murmur3Bytes(bytes, bytes.length, seed32(seed));
}

/**
 * The 16-byte MD5 digest of a string (as UTF-8) or bytes.
 *
 * @example
 * ```ts
 * md5('abc'); // Uint8Array of 90 01 50 98 3c d2 4f b0 d6 96 3f 7d 28 e1 7f 72
 * ```
 */
export function md5(input: string | Uint8Array): Uint8Array {
  const bytes = toBytes(input);
  const m = new Md5();
  m.digest(bytes, bytes.length);
  const out = new Uint8Array(16);
  for (let j = 0; j < 4; j++) {
    const w = m.words[j]!;
    out[j * 4] = w & 0xff;
    out[j * 4 + 1] = (w >>> 8) & 0xff;
    out[j * 4 + 2] = (w >>> 16) & 0xff;
    out[j * 4 + 3] = w >>> 24;
  }
  return out;
}
