import { type Codec, DecodeError, InvalidArgumentError, isLatticeError, UnsupportedVersionError } from '@lattice/core';
import { joinWithTable, Reader, Writer } from './binary.js';
import type { CausalCrdt, CausalKind } from './causal.js';
import { CausalCounter } from './causal-counter.js';
import { assertCrdt, type Crdt, type CrdtTypeDescriptor, describeType, MAX_TYPE_NESTING, sameType } from './crdt.js';
import { DotContext, readContext } from './dot-context.js';
import { CrdtEncodeError, CrdtTypeMismatchError } from './errors.js';
import { GCounter } from './g-counter.js';
import { GSet } from './g-set.js';
import { LWWMap } from './lww-map.js';
import { LWWRegister } from './lww-register.js';
import { MVRegister } from './mv-register.js';
import { mapKind } from './or-map.js';
import { checkDotsCovered, ORSet } from './or-set.js';
import { PNCounter } from './pn-counter.js';
import { TwoPhaseSet } from './two-phase-set.js';
import { describeArgument, expect } from './values.js';

/** The format version this build writes and the newest it reads. */
export const CRDT_FORMAT_VERSION = 1;

const MAGIC_0 = 0x4c; // 'L'
const MAGIC_1 = 0x43; // 'C'
const MAX_NESTING = MAX_TYPE_NESTING;

const TAGS = {
  'g-counter': 1,
  'pn-counter': 2,
  'lww-register': 3,
  'mv-register': 4,
  'g-set': 5,
  '2p-set': 6,
  'or-set': 7,
  'lww-map': 8,
  'or-map': 9,
  'causal-counter': 10,
} as const;

const NAMES = new Map<number, CrdtTypeDescriptor['name']>(Object.entries(TAGS).map(([name, tag]) => [tag, name as CrdtTypeDescriptor['name']]));

/** The JSON encoding of a state or delta. */
export interface CrdtJson {
  readonly format: 'lattice-crdt';
  readonly version: number;
  readonly type: CrdtTypeDescriptor;
  readonly state: unknown;
}

type AnyKind = CausalKind<unknown, CausalCrdt<unknown, unknown>>;

function causalKind(type: CrdtTypeDescriptor): AnyKind | undefined {
  switch (type.name) {
    case 'or-set':
      return ORSet.kind as unknown as AnyKind;
    case 'mv-register':
      return MVRegister.kind as unknown as AnyKind;
    case 'causal-counter':
      return CausalCounter.kind as unknown as AnyKind;
    case 'or-map': {
      const inner = causalKind(type.value);
      if (inner === undefined) throw new DecodeError(`An or-map cannot hold ${describeType(type.value)} values`);
      return mapKind(inner) as unknown as AnyKind;
    }
    default:
      return undefined;
  }
}

function writeType(w: Writer, type: CrdtTypeDescriptor): void {
  w.byte(TAGS[type.name]);
  if (type.name === 'or-map') writeType(w, type.value);
}

function readType(r: Reader, depth = 0): CrdtTypeDescriptor {
  if (depth > MAX_NESTING) throw new DecodeError(`Type nesting deeper than ${MAX_NESTING}`);
  const tag = r.byte();
  const name = NAMES.get(tag);
  if (name === undefined) throw new DecodeError(`Unknown CRDT type tag ${tag}`);
  if (name === 'or-map') return { name, value: readType(r, depth + 1) };
  return { name } as CrdtTypeDescriptor;
}

function checkType(type: CrdtTypeDescriptor, depth = 0): CrdtTypeDescriptor {
  if (depth > MAX_NESTING) throw new DecodeError(`Type nesting deeper than ${MAX_NESTING}`);
  const fields = expect.object(type, 'type');
  const name = expect.string(fields['name'], 'type name');
  if (!(name in TAGS)) throw new DecodeError(`Unknown CRDT type "${name}"`);
  if (name === 'or-map') return { name, value: checkType(fields['value'] as CrdtTypeDescriptor, depth + 1) };
  return { name } as CrdtTypeDescriptor;
}

function readBody(r: Reader, type: CrdtTypeDescriptor): Crdt {
  switch (type.name) {
    case 'g-counter':
      return GCounter.readState(r);
    case 'pn-counter':
      return PNCounter.readState(r);
    case 'g-set':
      return GSet.readState(r);
    case '2p-set':
      return TwoPhaseSet.readState(r);
    case 'lww-register':
      return LWWRegister.readState(r);
    case 'lww-map':
      return LWWMap.readState(r);
    default: {
      const kind = causalKind(type)!;
      const context = readContext(r);
      const store = kind.read(r);
      checkDotsCovered((visit) => kind.dots(store, visit), context);
      return kind.wrap(store, context, undefined);
    }
  }
}

function bodyFromJSON(json: unknown, type: CrdtTypeDescriptor): Crdt {
  switch (type.name) {
    case 'g-counter':
      return GCounter.stateFromJSON(json);
    case 'pn-counter':
      return PNCounter.stateFromJSON(json);
    case 'g-set':
      return GSet.stateFromJSON(json);
    case '2p-set':
      return TwoPhaseSet.stateFromJSON(json);
    case 'lww-register':
      return LWWRegister.stateFromJSON(json);
    case 'lww-map':
      return LWWMap.stateFromJSON(json);
    default: {
      const kind = causalKind(type)!;
      const fields = expect.object(json, 'causal state');
      const context = DotContext.fromJSON(fields['context']);
      const store = kind.fromJSON(fields['store']);
      checkDotsCovered((visit) => kind.dots(store, visit), context);
      return kind.wrap(store, context, undefined);
    }
  }
}

function checkExpected<C extends Crdt>(decoded: Crdt, expected: C | undefined): C {
  if (expected !== undefined && !sameType(decoded.type, expected.type)) {
    throw new CrdtTypeMismatchError(describeType(expected.type), describeType(decoded.type));
  }
  return decoded as C;
}

/** Wraps unexpected failures of a decoder (a bug or a hostile input) as a `DecodeError`. */
function guard<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (isLatticeError(error)) throw error;
    throw new DecodeError('Malformed CRDT encoding', { cause: error });
  }
}

/**
 * Encodes a state or delta (deltas are states) in the compact, versioned binary format:
 * magic `LC`, format version, type tags, a table of node ids, then the body.
 *
 * @example
 * ```ts
 * const set = new ORSet<string>('a');
 * set.add('x');
 * const copy = decodeCrdt(encodeCrdt(set), set); // an ORSet holding 'x'
 * ```
 */
export function encodeCrdt(crdt: Crdt): Uint8Array {
  assertCrdt(crdt, 'encodeCrdt argument');
  const body = new Writer();
  try {
    crdt.writeState(body);
  } catch (cause) {
    throw new CrdtEncodeError(`Could not encode a ${describeType(crdt.type)} state`, { cause });
  }
  const head = new Writer();
  head.byte(MAGIC_0);
  head.byte(MAGIC_1);
  head.uint(CRDT_FORMAT_VERSION);
  writeType(head, crdt.type);
  return joinWithTable(head, body);
}

/**
 * Decodes what {@link encodeCrdt} wrote into a new, read-only state (join it into a replica).
 * With `expected`, the state must be of the same type as `expected`.
 *
 * @throws `DecodeError` (code `ERR_DECODE`) on malformed input,
 *   `UnsupportedVersionError` (from `@lattice/core`) on a newer format version,
 *   {@link CrdtTypeMismatchError} when the type differs from `expected`'s,
 *   `ValueTooDeepError` or `ValueTooLargeError` on a register or map value beyond
 *   the limits local writes have (`MAX_VALUE_DEPTH`, `MAX_VALUE_BYTES`), and
 *   `InvalidArgumentError` when `bytes` is not a `Uint8Array` or `expected` not a CRDT state.
 */
export function decodeCrdt<C extends Crdt = Crdt>(bytes: Uint8Array, expected?: C): C {
  if (expected !== undefined) assertCrdt(expected, 'decodeCrdt expected');
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError(`a CRDT encoding must be a Uint8Array, got ${describeArgument(bytes)}`);
  return guard(() => {
    const r = new Reader(bytes);
    if (bytes.length < 3 || r.byte() !== MAGIC_0 || r.byte() !== MAGIC_1) throw new DecodeError('Not a Lattice CRDT encoding (bad magic)');
    const version = r.uint();
    if (version > CRDT_FORMAT_VERSION) throw new UnsupportedVersionError(version, CRDT_FORMAT_VERSION, 'CRDT format');
    if (version < 1) throw new DecodeError(`Invalid format version ${version}`);
    const type = readType(r);
    if (expected !== undefined && !sameType(type, expected.type)) {
      throw new CrdtTypeMismatchError(describeType(expected.type), describeType(type));
    }
    r.table();
    const crdt = readBody(r, type);
    r.end();
    return checkExpected(crdt, expected);
  });
}

/**
 * The JSON encoding of a state or delta: `{ format: 'lattice-crdt', version, type, state }`,
 * canonical (sorted), so equal states give equal JSON.
 *
 * @example
 * ```ts
 * const counter = new GCounter('a');
 * counter.increment(2);
 * JSON.stringify(crdtToJSON(counter));
 * // {"format":"lattice-crdt","version":1,"type":{"name":"g-counter"},"state":{"a":2}}
 * ```
 */
export function crdtToJSON(crdt: Crdt): CrdtJson {
  assertCrdt(crdt, 'crdtToJSON argument');
  return { format: 'lattice-crdt', version: CRDT_FORMAT_VERSION, type: crdt.type, state: crdt.stateToJSON() };
}

/**
 * Reads what {@link crdtToJSON} wrote (as an object or a JSON string) into a new, read-only state.
 *
 * @throws `DecodeError`, `UnsupportedVersionError` or {@link CrdtTypeMismatchError}, as {@link decodeCrdt}.
 */
export function crdtFromJSON<C extends Crdt = Crdt>(json: unknown, expected?: C): C {
  if (expected !== undefined) assertCrdt(expected, 'crdtFromJSON expected');
  return guard(() => {
    let value = json;
    if (typeof value === 'string') {
      try {
        value = JSON.parse(value);
      } catch (cause) {
        throw new DecodeError('Invalid JSON', { cause });
      }
    }
    const fields = expect.object(value, 'CRDT JSON');
    if (fields['format'] !== 'lattice-crdt') throw new DecodeError('Not a Lattice CRDT JSON document (format field)');
    const version = expect.natural(fields['version'], 'version');
    if (version > CRDT_FORMAT_VERSION) throw new UnsupportedVersionError(version, CRDT_FORMAT_VERSION, 'CRDT format');
    if (version < 1) throw new DecodeError(`Invalid format version ${version}`);
    const type = checkType(fields['type'] as CrdtTypeDescriptor);
    if (expected !== undefined && !sameType(type, expected.type)) {
      throw new CrdtTypeMismatchError(describeType(expected.type), describeType(type));
    }
    return checkExpected(bodyFromJSON(fields['state'], type), expected);
  });
}

/**
 * Decodes `bytes` and joins them into `replica` only if decoding succeeded: on any error the
 * replica is untouched. Returns the replica.
 */
export function mergeEncoded<C extends Crdt>(replica: C, bytes: Uint8Array): C {
  assertCrdt(replica, 'mergeEncoded replica');
  const decoded = decodeCrdt(bytes, replica);
  return replica.join(decoded);
}

/** A `Codec` for states and deltas of `like`'s type in the binary format. */
export function crdtCodec<C extends Crdt>(like: C): Codec<C> {
  assertCrdt(like, 'crdtCodec like');
  return { encode: (value) => encodeCrdt(value), decode: (bytes) => decodeCrdt(bytes, like) };
}

/** A `Codec` for states and deltas of `like`'s type as UTF-8 JSON. */
export function crdtJsonCodec<C extends Crdt>(like: C): Codec<C> {
  assertCrdt(like, 'crdtJsonCodec like');
  const encoder = new TextEncoder();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return {
    encode: (value) => encoder.encode(JSON.stringify(crdtToJSON(value))),
    decode(bytes) {
      if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError(`a CRDT encoding must be a Uint8Array, got ${describeArgument(bytes)}`);
      let text: string;
      try {
        text = decoder.decode(bytes);
      } catch (cause) {
        throw new DecodeError('Invalid UTF-8', { cause });
      }
      return crdtFromJSON(text, like);
    },
  };
}
