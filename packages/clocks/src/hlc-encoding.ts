import { assertNodeId, DecodeError, isNodeId, type NodeId } from '@lattice/core';
import { assertHlcTimestamp, HLC_MAX_WALL_TIME, type HlcTimestamp } from './hlc.js';

const TWO_16 = 0x1_0000;
const MAX_PACKED = (1n << 64n) - 1n;

/**
 * Packs the wall time (48 bits, ms) and logical counter (16 bits) of a timestamp into one
 * unsigned 64-bit integer whose numeric order is the timestamps' order, ignoring the node id
 * (store the node id beside it where ties between nodes matter).
 *
 * @example
 * ```ts
 * hlcToBigInt({ wallTime: 1, logical: 2, node: 'a' }); // 0x10002n
 * ```
 */
export function hlcToBigInt(timestamp: HlcTimestamp): bigint {
  assertHlcTimestamp(timestamp);
  return (BigInt(timestamp.wallTime) << 16n) | BigInt(timestamp.logical);
}

/**
 * Unpacks {@link hlcToBigInt}'s integer, stamping it with `node`.
 *
 * @example
 * ```ts
 * hlcFromBigInt(0x10002n, 'a'); // { wallTime: 1, logical: 2, node: 'a' }
 * ```
 *
 * @throws `DecodeError` if `packed` is not a bigint in [0, 2^64).
 */
export function hlcFromBigInt(packed: bigint, node: NodeId): HlcTimestamp {
  assertNodeId(node);
  if (typeof packed !== 'bigint' || packed < 0n || packed > MAX_PACKED) {
    throw new DecodeError(`packed HLC timestamp must be a bigint in [0, 2^64), got ${String(packed)}`);
  }
  return { wallTime: Number(packed >> 16n), logical: Number(packed & 0xffffn), node };
}

/**
 * Writes the 64-bit packing as 8 big-endian bytes, so comparing the bytes lexicographically
 * (as key-value stores do with keys) orders by time. Writes into `target` at `offset` when
 * given, else into a new array; returns the array written.
 *
 * @example
 * ```ts
 * const bytes = hlcToBytes(clock.now()); // Uint8Array(8), usable as a sortable key prefix
 * ```
 */
export function hlcToBytes(timestamp: HlcTimestamp, target?: Uint8Array, offset = 0): Uint8Array {
  assertHlcTimestamp(timestamp);
  const out = target ?? new Uint8Array(8);
  if (!Number.isInteger(offset) || offset < 0 || offset + 8 > out.length) {
    throw new DecodeError(`no room for 8 bytes at offset ${offset} of a ${out.length}-byte array`);
  }
  const { wallTime, logical } = timestamp;
  const high = Math.floor(wallTime / TWO_16);
  const low = wallTime % TWO_16;
  out[offset] = high >>> 24;
  out[offset + 1] = (high >>> 16) & 0xff;
  out[offset + 2] = (high >>> 8) & 0xff;
  out[offset + 3] = high & 0xff;
  out[offset + 4] = low >>> 8;
  out[offset + 5] = low & 0xff;
  out[offset + 6] = logical >>> 8;
  out[offset + 7] = logical & 0xff;
  return out;
}

/**
 * Reads 8 bytes written by {@link hlcToBytes} (at `offset`), stamping the result with `node`.
 *
 * @example
 * ```ts
 * const key = hlcToBytes(ts);
 * hlcFromBytes(key, ts.node); // equal to ts
 * ```
 *
 * @throws `DecodeError` if fewer than 8 bytes are available.
 */
export function hlcFromBytes(bytes: Uint8Array, node: NodeId, offset = 0): HlcTimestamp {
  assertNodeId(node);
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('HLC bytes must be a Uint8Array');
  if (!Number.isInteger(offset) || offset < 0 || offset + 8 > bytes.length) {
    throw new DecodeError(`truncated HLC timestamp: need 8 bytes at offset ${offset}, have ${bytes.length}`);
  }
  const high = ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
  const wallTime = high * TWO_16 + ((bytes[offset + 4]! << 8) | bytes[offset + 5]!);
  const logical = (bytes[offset + 6]! << 8) | bytes[offset + 7]!;
  return { wallTime, logical, node };
}

// Char codes of '0'-'9', 'a'-'f'. Formatting by hand is 4-5x faster than toString(16) + padStart.
const HEX_CODES: readonly number[] = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102];
const TWO_24 = 0x100_0000;

/**
 * Formats a timestamp as a fixed-width string, `wwwwwwwwwwww-llll-node` (12 lowercase hex digits
 * of wall time, 4 of logical counter, then the node id), whose lexicographic order is exactly
 * {@link compareHlc}'s order. {@link parseHlc} reverses it.
 *
 * @example
 * ```ts
 * formatHlc({ wallTime: 1_700_000_000_000, logical: 1, node: 'a' }); // '018bcfe56800-0001-a'
 * ```
 */
export function formatHlc(timestamp: HlcTimestamp): string {
  assertHlcTimestamp(timestamp);
  const { wallTime, logical } = timestamp;
  const high = Math.floor(wallTime / TWO_24);
  const low = wallTime % TWO_24;
  const h = HEX_CODES;
  return (
    String.fromCharCode(
      h[high >>> 20]!,
      h[(high >>> 16) & 15]!,
      h[(high >>> 12) & 15]!,
      h[(high >>> 8) & 15]!,
      h[(high >>> 4) & 15]!,
      h[high & 15]!,
      h[low >>> 20]!,
      h[(low >>> 16) & 15]!,
      h[(low >>> 12) & 15]!,
      h[(low >>> 8) & 15]!,
      h[(low >>> 4) & 15]!,
      h[low & 15]!,
      45,
      h[logical >>> 12]!,
      h[(logical >>> 8) & 15]!,
      h[(logical >>> 4) & 15]!,
      h[logical & 15]!,
      45,
    ) + timestamp.node
  );
}

function hexValue(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    let digit: number;
    if (code >= 48 && code <= 57) digit = code - 48;
    else if (code >= 97 && code <= 102) digit = code - 87;
    else return -1;
    value = value * 16 + digit;
  }
  return value;
}

/**
 * Parses {@link formatHlc}'s string back into a timestamp.
 *
 * @example
 * ```ts
 * parseHlc('018bcfe56800-0001-a'); // { wallTime: 1_700_000_000_000, logical: 1, node: 'a' }
 * ```
 *
 * @throws `DecodeError` if `text` is not in that exact format (uppercase hex is refused, so each
 *   timestamp has exactly one string form).
 */
export function parseHlc(text: string): HlcTimestamp {
  if (typeof text !== 'string' || text.length < 19 || text.charCodeAt(12) !== 45 || text.charCodeAt(17) !== 45) {
    throw new DecodeError(`not an HLC timestamp string: ${JSON.stringify(text)}`);
  }
  const wallTime = hexValue(text, 0, 12);
  const logical = hexValue(text, 13, 17);
  if (wallTime < 0 || logical < 0 || wallTime >= HLC_MAX_WALL_TIME) {
    throw new DecodeError(`not an HLC timestamp string: ${JSON.stringify(text)}`);
  }
  const node = text.slice(18);
  if (!isNodeId(node)) throw new DecodeError(`HLC timestamp string has an invalid node id: ${JSON.stringify(text)}`);
  return { wallTime, logical, node };
}
