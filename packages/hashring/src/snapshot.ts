import { DecodeError, InvalidArgumentError, UnsupportedVersionError } from '@lattice/core';
import { BoundedLoadRing } from './bounded-loads.js';
import { createHashFunction, HASH_NAMES, type HashFunction, type HashName } from './hash-function.js';
import { HashRing } from './hash-ring.js';
import { JumpHash } from './jump.js';
import { KetamaRing } from './ketama.js';
import type { KetamaPointCounts } from './ketama-points.js';
import { MaglevHash } from './maglev.js';
import type { Member } from './member.js';
import { MultiProbeHash } from './multi-probe.js';
import type { Algorithm, Partitioner, Snapshot } from './partitioner.js';
import { RendezvousHash } from './rendezvous.js';
import { optionsObject } from './shared.js';

/** Options of {@link restore}. */
export interface RestoreOptions {
  /** Custom hash functions a snapshot may name (built-ins are always available). */
  readonly hashes?: readonly HashFunction[];
}

/** The snapshot format version `snapshot()` writes and the newest `restore` reads. */
const SNAPSHOT_FORMAT_VERSION = 1;

const ALGORITHMS: readonly Algorithm[] = ['ring', 'ketama', 'rendezvous', 'jump', 'maglev', 'multi-probe', 'bounded-loads'];

function fail(message: string, cause?: unknown): never {
  throw new DecodeError(`Invalid hashring snapshot: ${message}`, cause === undefined ? undefined : { cause });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberParam(params: Record<string, unknown>, name: string): number {
  const value = params[name];
  if (typeof value !== 'number') fail(`params.${name} must be a number`);
  return value;
}

/**
 * Rebuilds a partitioner from {@link Partitioner.snapshot} or {@link Partitioner.serialize}
 * output, and checks that the placement it computes has the recorded fingerprint, so two
 * processes that load the same snapshot are known to place every key alike. Throws
 * `DecodeError` for malformed input, an unknown format version or algorithm, an unknown hash
 * function, or a fingerprint mismatch.
 *
 * @example
 * ```ts
 * import { HashRing, restore } from '@lattice/hashring';
 * const text = new HashRing({ members: ['a', 'b'] }).serialize();
 * const copy = restore(text);   // same placement, verified
 * copy.lookup('k');
 * ```
 */
export function restore(input: string | Snapshot, options: RestoreOptions = {}): Partitioner {
  const { hashes } = optionsObject('restore options', options);
  if (hashes !== undefined && (!Array.isArray(hashes) || !hashes.every((h) => typeof h === 'object' && h !== null && typeof h.name === 'string'))) {
    throw new InvalidArgumentError('options.hashes must be an array of hash functions { name, hash(bytes, length) }');
  }
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      fail('not JSON', err);
    }
  }
  if (!isRecord(value)) fail('not an object');
  if (value['format'] !== 'lattice-hashring') fail(`unknown format ${JSON.stringify(value['format'])}`);
  const version = value['version'];
  if (typeof version === 'number' && Number.isSafeInteger(version) && version > SNAPSHOT_FORMAT_VERSION) {
    throw new UnsupportedVersionError(version, SNAPSHOT_FORMAT_VERSION, 'hashring snapshot format');
  }
  if (version !== SNAPSHOT_FORMAT_VERSION) fail(`unsupported version ${JSON.stringify(version)} (this library reads version ${SNAPSHOT_FORMAT_VERSION})`);
  const algorithm = value['algorithm'];
  if (typeof algorithm !== 'string' || !ALGORITHMS.includes(algorithm as Algorithm)) fail(`unknown algorithm ${JSON.stringify(algorithm)}`);
  const hashName = value['hash'];
  if (typeof hashName !== 'string') fail('hash must be a string');
  const custom = hashes?.find((h) => h.name === hashName);
  let hash: HashFunction;
  if (custom !== undefined) hash = custom;
  else if ((HASH_NAMES as readonly string[]).includes(hashName)) hash = createHashFunction(hashName as HashName);
  else fail(`hash function "${hashName}" is not built in; pass it in options.hashes`);
  const params = value['params'];
  if (!isRecord(params)) fail('params must be an object');
  const rawMembers = value['members'];
  if (!Array.isArray(rawMembers)) fail('members must be an array');
  const members: Member[] = rawMembers.map((m, i) => {
    if (!isRecord(m) || typeof m['id'] !== 'string' || typeof m['weight'] !== 'number') fail(`members[${i}] must be { id: string, weight: number }`);
    const out: { id: string; weight: number; zone?: string; vnodes?: number } = { id: m['id'], weight: m['weight'] };
    if (m['zone'] !== undefined) {
      if (typeof m['zone'] !== 'string') fail(`members[${i}].zone must be a string`);
      out.zone = m['zone'];
    }
    if (m['vnodes'] !== undefined) {
      if (typeof m['vnodes'] !== 'number') fail(`members[${i}].vnodes must be a number`);
      out.vnodes = m['vnodes'];
    }
    return out;
  });
  const fingerprint = value['fingerprint'];
  if (typeof fingerprint !== 'string') fail('fingerprint must be a string');

  let partitioner: Partitioner;
  try {
    switch (algorithm as Algorithm) {
      case 'ring':
        partitioner = new HashRing({ members, hash, vnodes: numberParam(params, 'vnodes') });
        break;
      case 'ketama': {
        const defaultPort = params['defaultPort'];
        const pointCounts = params['pointCounts'];
        partitioner = new KetamaRing({
          members,
          vnodes: numberParam(params, 'vnodes'),
          pointsPerHash: numberParam(params, 'pointsPerHash'),
          ...(typeof defaultPort === 'number' ? { defaultPort } : {}),
          // Snapshots written before the option existed used the `hashring` arithmetic.
          pointCounts: pointCounts === undefined ? 'hashring' : (pointCounts as KetamaPointCounts),
        });
        break;
      }
      case 'rendezvous':
        partitioner = new RendezvousHash({ members, hash });
        break;
      case 'jump':
        partitioner = new JumpHash({ members, hash });
        break;
      case 'maglev':
        partitioner = new MaglevHash({ members, hash, tableSize: numberParam(params, 'tableSize') });
        break;
      case 'multi-probe':
        partitioner = new MultiProbeHash({ members, hash, probes: numberParam(params, 'probes'), vnodes: numberParam(params, 'vnodes') });
        break;
      case 'bounded-loads':
        partitioner = new BoundedLoadRing({ members, hash, epsilon: numberParam(params, 'epsilon'), vnodes: numberParam(params, 'vnodes') });
        break;
    }
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    if (err instanceof Error && 'code' in err) fail(`its contents are rejected (${err.message})`, err);
    throw err;
  }
  const actual = partitioner.snapshot().fingerprint;
  if (actual !== fingerprint) {
    fail(`fingerprint mismatch: the snapshot records ${fingerprint}, these members place keys as ${actual} (a different hash function or library version?)`);
  }
  return partitioner;
}

