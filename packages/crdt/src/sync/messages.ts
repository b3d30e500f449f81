import { DecodeError, isLatticeError } from '@lattice/core';
import { joinWithTable, Reader, Writer } from '../binary.js';
import { decodeCrdt, encodeCrdt } from '../codec.js';
import type { Crdt } from '../crdt.js';
import { DotContext } from '../dot-context.js';
import { UnsupportedFormatVersionError } from '../errors.js';
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
  const body = new Writer();
  switch (message.type) {
    case 'digest':
      body.byte(message.reply ? 1 : 0);
      message.have.write(body);
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
      message.have.write(body);
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

/**
 * Decodes a sync message; states and deltas must be of `like`'s type.
 *
 * @throws `DecodeError` on malformed input or a foreign CRDT type, {@link UnsupportedFormatVersionError} on a newer version.
 */
export function decodeSyncMessage<C extends Crdt>(bytes: Uint8Array, like: C): { topic: string; message: SyncMessage<C> } {
  try {
    const r = new Reader(bytes, 'CRDT sync message');
    if (bytes.length < 4 || r.byte() !== MAGIC_0 || r.byte() !== MAGIC_1) throw new DecodeError('Not a Lattice CRDT sync message (bad magic)');
    const version = r.uint();
    if (version > SYNC_FORMAT_VERSION) throw new UnsupportedFormatVersionError(version, SYNC_FORMAT_VERSION);
    if (version < 1) throw new DecodeError(`Invalid sync format version ${version}`);
    const type = r.byte();
    const topic = r.string();
    r.table();
    let message: SyncMessage<C>;
    switch (type) {
      case TYPES.digest: {
        const reply = r.byte();
        if (reply > 1) throw new DecodeError(`Invalid reply flag ${reply}`);
        message = { type: 'digest', reply: reply === 1, have: DotContext.read(r) };
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
        const have = DotContext.read(r);
        message = { type: 'state', have, state: decodeCrdt(r.bytes(), like) };
        break;
      }
      default:
        throw new DecodeError(`Unknown sync message type ${type}`);
    }
    r.end();
    return { topic, message };
  } catch (error) {
    if (isLatticeError(error)) throw error;
    throw new DecodeError('Malformed CRDT sync message', { cause: error });
  }
}
