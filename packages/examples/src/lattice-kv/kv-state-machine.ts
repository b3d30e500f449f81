/**
 * The lattice-kv state machine: Redis strings with TTLs, deterministic on every node. Time is
 * never read from a local clock: each command carries the stamp the leader put on it as it
 * appended it to the log (its hybrid logical clock), the machine's time is the largest stamp
 * applied so far, and expiry is judged against that time — so every replica expires the same
 * keys at the same log index.
 */
import type { StateMachine } from '@lattice/raft';
import { KvCommandDecodeError } from './errors.js';
import { bulk, errorReply, integer, OK, type Reply } from './resp.js';

/** A write, as it travels through the Raft log. Keys and values are byte strings (latin1). */
export type KvCommand =
  | { op: 'set'; key: string; value: string; expireMs?: number; nx?: boolean; xx?: boolean; keepTtl?: boolean; get?: boolean }
  | { op: 'mset'; pairs: [string, string][] }
  | { op: 'del'; keys: string[] }
  | { op: 'incrby'; key: string; by: string }
  | { op: 'expire'; key: string; ms: number }
  | { op: 'flushdb' }
  | { op: 'tick' };

/** A command with the stamp (the leader's HLC: wall ms since the epoch, and a logical counter) put on it. */
export interface StampedKvCommand {
  /** The leader's wall time, in ms since the epoch; 0 for a command no leader has stamped. */
  readonly at: number;
  /** The HLC's logical counter: orders entries stamped within the same millisecond. */
  readonly logical: number;
  readonly command: KvCommand;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

export const NOT_INTEGER = 'ERR value is not an integer or out of range';

// An entry: a version byte, the stamp (float64 wall ms, uint16 logical, little-endian) and the
// command as JSON. The stamp has a fixed place so that the leader can stamp without re-encoding.
const FORMAT = 2;
const HEADER = 11;
// A plain `SET key value` (no options: what most writes are) skips JSON: after the header, the
// key's UTF-8 length (uint32, little-endian), the key, then the value, both UTF-8. JSON's
// stringify and parse were a seventh of the leader's CPU under a SET benchmark.
const FORMAT_SET = 3;
// Strings that UTF-8 would not carry exactly (a lone surrogate) keep to JSON, which escapes them.
const SURROGATE = /[\uD800-\uDFFF]/;

function isPlainSet(command: KvCommand): command is { op: 'set'; key: string; value: string } {
  if (command.op !== 'set') return false;
  const { expireMs, nx, xx, keepTtl, get } = command;
  return expireMs === undefined && nx !== true && xx !== true && keepTtl !== true && get !== true && !SURROGATE.test(command.key) && !SURROGATE.test(command.value);
}

/**
 * Encodes a command for `RaftNode.propose` with the stamp `at` (0: unstamped, for the leader to
 * stamp with {@link stampKvCommand} as it appends it).
 */
export function encodeKvCommand(at: number, command: KvCommand, logical = 0): Uint8Array {
  if (isPlainSet(command)) {
    const keyLength = Buffer.byteLength(command.key, 'utf8');
    const bytes = Buffer.allocUnsafe(HEADER + 4 + keyLength + Buffer.byteLength(command.value, 'utf8'));
    bytes[0] = FORMAT_SET;
    bytes.writeDoubleLE(at, 1);
    bytes.writeUInt16LE(logical, 9);
    bytes.writeUInt32LE(keyLength, HEADER);
    bytes.write(command.key, HEADER + 4, 'utf8');
    bytes.write(command.value, HEADER + 4 + keyLength, 'utf8');
    return bytes;
  }
  const body = encoder.encode(JSON.stringify(command));
  const bytes = new Uint8Array(HEADER + body.byteLength);
  bytes[0] = FORMAT;
  const view = new DataView(bytes.buffer);
  view.setFloat64(1, at, true);
  view.setUint16(9, logical, true);
  bytes.set(body, HEADER);
  return bytes;
}

/** A copy of an encoded command carrying the stamp `(at, logical)`; anything else is returned as it is. */
export function stampKvCommand(bytes: Uint8Array, at: number, logical: number): Uint8Array {
  if (bytes.byteLength < HEADER || (bytes[0] !== FORMAT && bytes[0] !== FORMAT_SET)) return bytes;
  // A copy (not `slice`: on a Node Buffer from the network that would share the bytes).
  const stamped = new Uint8Array(bytes.byteLength);
  stamped.set(bytes);
  const view = new DataView(stamped.buffer);
  view.setFloat64(1, at, true);
  view.setUint16(9, logical, true);
  return stamped;
}

/** Decodes a log entry; a foreign entry is a {@link KvCommandDecodeError}. */
export function decodeKvCommand(bytes: Uint8Array): StampedKvCommand {
  if (bytes.byteLength >= HEADER + 4 && bytes[0] === FORMAT_SET) return decodePlainSet(bytes);
  if (bytes.byteLength < HEADER || bytes[0] !== FORMAT) throw new KvCommandDecodeError('log entry is not a lattice-kv command');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = view.getFloat64(1, true);
  const logical = view.getUint16(9, true);
  let command: unknown;
  try {
    command = JSON.parse(decoder.decode(bytes.subarray(HEADER)));
  } catch (error) {
    throw new KvCommandDecodeError('log entry is not JSON', { cause: error });
  }
  if (!Number.isFinite(at) || at < 0 || typeof command !== 'object' || command === null || typeof (command as { op?: unknown }).op !== 'string') {
    throw new KvCommandDecodeError('log entry is not a stamped lattice-kv command');
  }
  return { at, logical, command: command as KvCommand };
}

function decodePlainSet(bytes: Uint8Array): StampedKvCommand {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = buffer.readDoubleLE(1);
  const logical = buffer.readUInt16LE(9);
  const keyEnd = HEADER + 4 + buffer.readUInt32LE(HEADER);
  if (!Number.isFinite(at) || at < 0 || keyEnd > buffer.length) throw new KvCommandDecodeError('log entry is not a stamped lattice-kv SET');
  return { at, logical, command: { op: 'set', key: buffer.toString('utf8', HEADER + 4, keyEnd), value: buffer.toString('utf8', keyEnd) } };
}

interface Entry {
  value: string;
  /** Absolute expiry in the machine's time, or undefined for none. */
  expireAt: number | undefined;
}

/** Parses a Redis integer argument (signed 64-bit) or returns undefined. */
export function parseInt64(text: string): bigint | undefined {
  if (!/^-?(0|[1-9]\d{0,18})$/.test(text)) return undefined;
  const value = BigInt(text);
  return value > INT64_MAX || value < INT64_MIN ? undefined : value;
}

/** Redis strings with TTLs as a Raft state machine; `apply` returns the command's reply. */
export class KvStateMachine implements StateMachine<Reply> {
  #entries = new Map<string, Entry>();
  #time = 0;
  #logical = 0;
  #volatile = 0;

  /** The time agreed through the log: the largest stamp applied so far. */
  get time(): number {
    return this.#time;
  }

  /** The largest stamp applied so far, with its logical counter (a new leader's clock starts above it). */
  get stamp(): { readonly wallTime: number; readonly logical: number } {
    return { wallTime: this.#time, logical: this.#logical };
  }

  /** How many stored keys carry a TTL (expired ones included until the next applied entry purges them). */
  get volatileCount(): number {
    return this.#volatile;
  }

  /** Whether some key carries a TTL (then the leader keeps time moving with ticks). */
  get hasVolatileKeys(): boolean {
    return this.#volatile > 0;
  }

  apply(bytes: Uint8Array): Reply {
    const { at, logical, command } = decodeKvCommand(bytes);
    if (at > this.#time || (at === this.#time && logical > this.#logical)) {
      this.#time = at;
      this.#logical = logical;
    }
    this.#purgeExpired();
    return this.#run(command);
  }

  #run(command: KvCommand): Reply {
    switch (command.op) {
      case 'set': {
        const old = this.#live(command.key);
        if ((command.nx === true && old !== undefined) || (command.xx === true && old === undefined)) return command.get === true ? bulk(old?.value ?? null) : bulk(null);
        const expireAt = command.expireMs !== undefined ? this.#time + command.expireMs : command.keepTtl === true ? old?.expireAt : undefined;
        this.#put(command.key, { value: command.value, expireAt });
        return command.get === true ? bulk(old?.value ?? null) : OK;
      }
      case 'mset':
        for (const [key, value] of command.pairs) this.#put(key, { value, expireAt: undefined });
        return OK;
      case 'del': {
        let removed = 0;
        for (const key of command.keys) {
          if (this.#live(key) !== undefined) {
            this.#remove(key);
            removed++;
          }
        }
        return integer(removed);
      }
      case 'incrby': {
        const old = this.#live(command.key);
        const current = old === undefined ? 0n : parseInt64(old.value);
        const by = parseInt64(command.by);
        if (current === undefined || by === undefined) return errorReply(NOT_INTEGER);
        const next = current + by;
        if (next > INT64_MAX || next < INT64_MIN) return errorReply('ERR increment or decrement would overflow');
        this.#put(command.key, { value: next.toString(), expireAt: old?.expireAt });
        return integer(next);
      }
      case 'expire': {
        const old = this.#live(command.key);
        if (old === undefined) return integer(0);
        if (command.ms <= 0) this.#remove(command.key);
        else this.#put(command.key, { value: old.value, expireAt: this.#time + command.ms });
        return integer(1);
      }
      case 'flushdb':
        this.#entries.clear();
        this.#volatile = 0;
        return OK;
      case 'tick':
        return OK;
      default:
        return errorReply(`ERR unknown log command ${(command as { op: string }).op}`);
    }
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    return entry.expireAt !== undefined && entry.expireAt <= this.#time ? undefined : entry;
  }

  #put(key: string, entry: Entry): void {
    const old = this.#entries.get(key);
    if (old?.expireAt !== undefined) this.#volatile--;
    if (entry.expireAt !== undefined) this.#volatile++;
    this.#entries.set(key, entry);
  }

  #remove(key: string): void {
    const old = this.#entries.get(key);
    if (old === undefined) return;
    if (old.expireAt !== undefined) this.#volatile--;
    this.#entries.delete(key);
  }

  #purgeExpired(): void {
    if (this.#volatile === 0) return;
    for (const [key, entry] of this.#entries) if (entry.expireAt !== undefined && entry.expireAt <= this.#time) this.#remove(key);
  }

  /** The value of `key`, or undefined (missing or expired at the agreed time). */
  get(key: string): string | undefined {
    return this.#live(key)?.value;
  }

  /** Milliseconds left before `key` expires; -1 without a TTL, -2 when missing. */
  pttl(key: string): number {
    const entry = this.#live(key);
    if (entry === undefined) return -2;
    return entry.expireAt === undefined ? -1 : entry.expireAt - this.#time;
  }

  /** The live keys, sorted (so that SCAN's cursor is a position in a stable order). */
  keys(): string[] {
    const keys: string[] = [];
    for (const key of this.#entries.keys()) if (this.#live(key) !== undefined) keys.push(key);
    return keys.sort();
  }

  get size(): number {
    return this.keys().length;
  }

  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify({ time: this.#time, logical: this.#logical, entries: [...this.#entries].map(([k, e]) => [k, e.value, e.expireAt ?? null]) }));
  }

  restore(snapshot: Uint8Array): void {
    const parsed = JSON.parse(decoder.decode(snapshot)) as { time: number; logical?: number; entries: [string, string, number | null][] };
    this.#entries = new Map();
    this.#volatile = 0;
    this.#time = parsed.time;
    this.#logical = parsed.logical ?? 0;
    for (const [key, value, expireAt] of parsed.entries) this.#put(key, { value, expireAt: expireAt ?? undefined });
  }
}
