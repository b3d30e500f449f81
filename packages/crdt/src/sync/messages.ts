import { DecodeError, InvalidArgumentError, isLatticeError, UnsupportedVersionError } from '@lattice/core';
import { joinWithTable, Reader, Writer } from '../binary.js';
import { decodeCrdt, encodeCrdt } from '../codec.js';
import { assertCrdt, type Crdt } from '../crdt.js';
import { DotContext, readContext, writeContext } from '../dot-context.js';
import { CrdtEncodeError } from '../errors.js';
import type { DeltaEntry, SyncMessage } from './protocol.js';

/** The sync message format version this build writes and the newest it reads. */
export const SYNC_FORMAT_VERSION = 1;

const MAGIC_0 = 0x4c; // 'L'
const MAGIC_1 = 0x53; // 'S'
const TYPES = { digest: 1, deltas: 2, state: 3 } as const;

/**
 * Encodes a sync message for `topic`: magic `LS`, version, message type, topic, a table of node
 * ids, then the body, with every state or delta in the CRDT binary format.
 */
export function encodeSyncMessage<C extends Crdt>(topic: string, message: SyncMessage<C>): Uint8Array {
  if (typeof topic !== 'string') throw new InvalidArgumentError(`topic must be a string, got ${typeof topic}`);
  checkMessage(message);
  try {
    return writeMessage(topic, message);
  } catch (error) {
    if (isLatticeError(error, CrdtEncodeError.code)) throw error;
    throw new CrdtEncodeError(`Could not encode a sync ${message.type} message`, { cause: error });
  }
}

function checkMessage(message: unknown): asserts message is SyncMessage<Crdt> {
  if (typeof message !== 'object' || message === null) throw new InvalidArgumentError('a sync message must be an object');
  const { type } = message as { type?: unknown };
  if (type === 'digest' || type === 'state') {
    if (!((message as { have?: unknown }).have instanceof DotContext)) throw new InvalidArgumentError(`a ${type} message needs a DotContext \`have\``);
    if (type === 'state') assertCrdt((message as { state?: unknown }).state, 'the state of a state message');
    return;
  }
  if (type !== 'deltas') throw new InvalidArgumentError(`unknown sync message type ${String(type)}`);
  const entries = (message as { entries?: unknown }).entries;
  if (!Array.isArray(entries)) throw new InvalidArgumentError('a deltas message needs an array of entries');
  for (const entry of entries as unknown[]) {
    if (typeof entry !== 'object' || entry === null) throw new InvalidArgumentError('a delta entry must be an object');
    const { origin, seq, delta } = entry as DeltaEntry<Crdt>;
    if (typeof origin !== 'string' || origin.length === 0) throw new InvalidArgumentError('a delta origin must be a non-empty string');
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) throw new InvalidArgumentError(`delta seq must be a positive safe integer, got ${String(seq)}`);
    assertCrdt(delta, 'delta');
  }
}

function writeMessage<C extends Crdt>(topic: string, message: SyncMessage<C>): Uint8Array {
  const body = new Writer();
  switch (message.type) {
    case 'digest':
      body.byte(message.reply ? 1 : 0);
      writeContext(body, message.have);
      break;
    case 'deltas':
      body.uint(message.entries.length);
      for (const entry of message.entries) {
        body.ref(entry.origin);
        body.uint(entry.seq);
        body.bytes(encodeCrdt(entry.delta));
      }
      break;
    case 'state':
      writeContext(body, message.have);
      body.bytes(encodeCrdt(message.state));
      break;
  }
  const head = new Writer();
  head.byte(MAGIC_0);
  head.byte(MAGIC_1);
  head.uint(SYNC_FORMAT_VERSION);
  head.byte(TYPES[message.type]);
  head.string(topic);
  return joinWithTable(head, body);
}

interface SyncHeader {
  readonly type: number;
  readonly topic: string;
}

function readHeader(r: Reader, length: number): SyncHeader {
  if (length < 4 || r.byte() !== MAGIC_0 || r.byte() !== MAGIC_1) throw new DecodeError('Not a Lattice CRDT sync message (bad magic)');
  const version = r.uint();
  if (version > SYNC_FORMAT_VERSION) throw new UnsupportedVersionError(version, SYNC_FORMAT_VERSION, 'CRDT sync message format');
  if (version < 1) throw new DecodeError(`Invalid sync format version ${version}`);
  const type = r.byte();
  return { type, topic: r.string() };
}

function checkBytes(bytes: unknown): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError(`a sync message must be a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
}

function rethrow(error: unknown): never {
  if (isLatticeError(error)) throw error;
  throw new DecodeError('Malformed CRDT sync message', { cause: error });
}

/**
 * Reads only the topic of a sync message, from its header: several replicated objects (of
 * different CRDT types) can share one endpoint, so a receiver filters on the topic before it
 * decodes a body that may hold another type.
 *
 * @example
 * ```ts
 * const bytes = encodeSyncMessage('carts', { type: 'digest', have: new DotContext(), reply: false });
 * readSyncTopic(bytes); // 'carts'
 * ```
 *
 * @throws `DecodeError` on a malformed header, `UnsupportedVersionError` (from `@lattice/core`) on a newer version.
 */
export function readSyncTopic(bytes: Uint8Array): string {
  checkBytes(bytes);
  try {
    return readHeader(new Reader(bytes, 'CRDT sync message'), bytes.length).topic;
  } catch (error) {
    rethrow(error);
  }
}

/**
 * Decodes a sync message; states and deltas must be of `like`'s type.
 *
 * @throws `DecodeError` on malformed input, {@link CrdtTypeMismatchError} on a state or delta
 *   of another CRDT type, `UnsupportedVersionError` (from `@lattice/core`) on a newer version.
 */
export function decodeSyncMessage<C extends Crdt>(bytes: Uint8Array, like: C): { topic: string; message: SyncMessage<C> } {
  checkBytes(bytes);
  assertCrdt(like, 'like');
  try {
    const r = new Reader(bytes, 'CRDT sync message');
    const { type, topic } = readHeader(r, bytes.length);
    r.table();
    let message: SyncMessage<C>;
    switch (type) {
      case TYPES.digest: {
        const reply = r.byte();
        if (reply > 1) throw new DecodeError(`Invalid reply flag ${reply}`);
        message = { type: 'digest', reply: reply === 1, have: readContext(r) };
        break;
      }
      case TYPES.deltas: {
        const entries: DeltaEntry<C>[] = [];
        const n = r.count(3);
        for (let i = 0; i < n; i++) {
          const origin = r.ref();
          const seq = r.counter();
          entries.push({ origin, seq, delta: decodeCrdt(r.bytes(), like) });
        }
        message = { type: 'deltas', entries };
        break;
      }
      case TYPES.state: {
        const have = readContext(r);
        message = { type: 'state', have, state: decodeCrdt(r.bytes(), like) };
        break;
      }
      default:
        throw new DecodeError(`Unknown sync message type ${type}`);
    }
    r.end();
    return { topic, message };
  } catch (error) {
    rethrow(error);
  }
}
