import { ByteReader, ByteWriter, type Codec, DecodeError, describeValue, InvalidArgumentError, isBytes, isLatticeError, UnsupportedVersionError } from '@lattice/core';
import { checkSwimMessage } from './message-check.js';
import type { Member, MemberState, SwimMessage, Update } from './types.js';

/** Wire format version; a reader refuses newer ones with core's `UnsupportedVersionError`. */
export const SWIM_FORMAT_VERSION = 1;
/** First byte of every SWIM datagram, so other protocols on one endpoint can be told apart. */
export const SWIM_MAGIC = 0x53;

// One table per enumeration: the wire tag is the position (append-only, never reorder).
const MESSAGE_TYPES: readonly SwimMessage['type'][] = ['ping', 'ack', 'pingReq', 'nack', 'gossip', 'pushPull'];
const UPDATE_KINDS: readonly Update['kind'][] = ['alive', 'suspect', 'dead'];
const STATES: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left'];
/** Magic, version, message type. */
const HEADER_BYTES = 3;
/** Shared by every decoded update without metadata: most have none, and a view each is garbage. */
const NO_META = new Uint8Array(0);

function writeUpdates(w: ByteWriter, updates: readonly Update[]): void {
  w.uint(updates.length);
  for (const u of updates) {
    w.byte(UPDATE_KINDS.indexOf(u.kind));
    w.string(u.id);
    w.uint(u.incarnation);
    if (u.kind === 'alive') w.bytes(u.meta);
    else w.string(u.from);
  }
}

function readMeta(r: ByteReader): Uint8Array {
  const meta = r.bytes();
  return meta.length === 0 ? NO_META : meta;
}

function readUpdates(r: ByteReader, intern: Intern): Update[] {
  const count = r.uint();
  // An update takes at least 4 bytes: a larger count is a lie, not an allocation.
  if (count > r.remaining / 4) r.fail(`${count} updates claimed in ${r.remaining} bytes`);
  const updates: Update[] = [];
  for (let i = 0; i < count; i++) {
    const kind = UPDATE_KINDS[r.byte()] ?? r.fail('unknown update kind');
    const id = intern(r.string());
    const incarnation = r.uint();
    if (kind === 'alive') updates.push({ kind, id, incarnation, meta: readMeta(r) });
    else updates.push({ kind, id, incarnation, from: intern(r.string()) });
  }
  return updates;
}

/**
 * Encodes a message. Its fields are not checked on the way (the core's own messages are well
 * formed; {@link decodeSwimMessage} checks what arrives): a value that is not a SWIM message,
 * or one whose fields cannot be written, is an `InvalidArgumentError` saying what is wrong.
 */
export function encodeSwimMessage(message: SwimMessage): Uint8Array {
  if (typeof message !== 'object' || message === null || !MESSAGE_TYPES.includes(message.type)) {
    throw new InvalidArgumentError(`encodeSwimMessage needs a SWIM message (type ${MESSAGE_TYPES.join(', ')}), got ${describeValue(message)}`);
  }
  try {
    return writeMessage(message);
  } catch (error) {
    if (isLatticeError(error, InvalidArgumentError.code)) throw error;
    let problem: unknown = error;
    try {
      checkSwimMessage(message);
    } catch (found) {
      problem = found;
    }
    throw new InvalidArgumentError(`encodeSwimMessage: the ${message.type} message cannot be encoded: ${(problem as Error).message}`, { cause: problem });
  }
}

function writeMessage(message: SwimMessage): Uint8Array {
  // Sized up front: a full datagram would otherwise grow the buffer five times from 64 bytes.
  const w = new ByteWriter(sizeHint(message));
  w.byte(SWIM_MAGIC);
  w.byte(SWIM_FORMAT_VERSION);
  w.byte(MESSAGE_TYPES.indexOf(message.type));
  switch (message.type) {
    case 'ping':
    case 'pingReq':
      w.uint(message.seq);
      w.string(message.target);
      writeUpdates(w, message.updates);
      break;
    case 'ack':
      w.uint(message.seq);
      writeUpdates(w, message.updates);
      break;
    case 'nack':
      w.uint(message.seq);
      break;
    case 'gossip':
      writeUpdates(w, message.updates);
      break;
    case 'pushPull':
      w.byte((message.join ? 1 : 0) | (message.reply ? 2 : 0));
      w.uint(message.members.length);
      for (const m of message.members) {
        w.string(m.id);
        w.uint(m.incarnation);
        w.byte(STATES.indexOf(m.state));
        w.bytes(m.meta);
      }
      break;
  }
  return w.finish();
}

/** Bytes the message takes, about (exact for ASCII ids); only the writer's first allocation depends on it. */
function sizeHint(message: SwimMessage): number {
  let size = 16;
  if (message.type === 'pushPull') {
    for (const m of message.members) size += 12 + m.id.length + m.meta.length;
  } else if (message.type !== 'nack') {
    if (message.type !== 'ack' && message.type !== 'gossip') size += message.target.length;
    for (const u of message.updates) size += 12 + u.id.length + (u.kind === 'alive' ? u.meta.length : u.from.length);
  }
  return size;
}

/** Decodes and checks a message; garbage throws `DecodeError`, a newer format `UnsupportedVersionError`. */
export function decodeSwimMessage(bytes: Uint8Array): SwimMessage {
  return decode(bytes, asIs);
}

/** Maps a decoded member id to the one string kept for it (or to itself). */
type Intern = (id: string) => string;
const asIs: Intern = (id) => id;
/** Ids a codec keeps one copy of, at most; past that it starts afresh (a cluster this size has bigger problems). */
const MAX_INTERNED = 65_536;

function decode(bytes: Uint8Array, intern: Intern): SwimMessage {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('A SWIM message must be a Uint8Array');
  const r = new ByteReader(bytes, 'SWIM message');
  if (r.byte() !== SWIM_MAGIC) r.fail('not a SWIM message');
  const version = r.byte();
  if (version > SWIM_FORMAT_VERSION) throw new UnsupportedVersionError(version, SWIM_FORMAT_VERSION, 'SWIM message');
  if (version < 1) r.fail(`version ${version}`);
  const type = MESSAGE_TYPES[r.byte()] ?? r.fail('unknown message type');
  let message: SwimMessage;
  switch (type) {
    case 'ping':
    case 'pingReq': {
      const seq = r.uint();
      const target = intern(r.string());
      message = { type, seq, target, updates: readUpdates(r, intern) };
      break;
    }
    case 'ack': {
      const seq = r.uint();
      message = { type, seq, updates: readUpdates(r, intern) };
      break;
    }
    case 'nack':
      message = { type, seq: r.uint() };
      break;
    case 'gossip':
      message = { type, updates: readUpdates(r, intern) };
      break;
    case 'pushPull': {
      const flags = r.byte();
      if (flags > 3) r.fail(`push/pull flags ${flags}`);
      const count = r.uint();
      if (count > r.remaining / 4) r.fail(`${count} members claimed in ${r.remaining} bytes`);
      const members: Member[] = [];
      for (let i = 0; i < count; i++) {
        const id = intern(r.string());
        const incarnation = r.uint();
        const state = STATES[r.byte()] ?? r.fail('unknown member state');
        members.push({ id, incarnation, state, meta: readMeta(r) });
      }
      message = { type, join: (flags & 1) !== 0, reply: (flags & 2) !== 0, members };
      break;
    }
  }
  r.end();
  try {
    checkSwimMessage(message);
  } catch (cause) {
    throw new DecodeError(`Malformed SWIM message: ${(cause as Error).message}`, { cause });
  }
  return message;
}

/**
 * The `Codec` of SWIM messages, for a `ProtocolDriver` or `ctx.runCore`. It remembers the
 * encoding of the last frozen member lists it saw (the core sends the same frozen full state
 * in every push/pull until something changes), so a quiet cluster's push/pulls cost a copy.
 */
export function swimMessageCodec(): Codec<SwimMessage> {
  const encodedStates = new WeakMap<readonly Member[], Uint8Array>();
  // Every message names members by id; one string per id (rather than one per message) makes the
  // core's lookups compare pointers and leaves far less garbage.
  const ids = new Map<string, string>();
  const intern: Intern = (id) => {
    const known = ids.get(id);
    if (known !== undefined) return known;
    if (ids.size >= MAX_INTERNED) ids.clear();
    ids.set(id, id);
    return id;
  };
  return {
    encode: (message) => {
      if (message.type !== 'pushPull' || !Object.isFrozen(message.members)) return encodeSwimMessage(message);
      let body = encodedStates.get(message.members);
      if (body === undefined) {
        body = encodeSwimMessage({ ...message, join: false, reply: false }).subarray(HEADER_BYTES + 1);
        encodedStates.set(message.members, body);
      }
      const bytes = new Uint8Array(HEADER_BYTES + 1 + body.length);
      bytes[0] = SWIM_MAGIC;
      bytes[1] = SWIM_FORMAT_VERSION;
      bytes[2] = MESSAGE_TYPES.indexOf('pushPull');
      bytes[3] = (message.join ? 1 : 0) | (message.reply ? 2 : 0);
      bytes.set(body, HEADER_BYTES + 1);
      return bytes;
    },
    decode: (bytes) => decode(bytes, intern),
  };
}

/** True for payloads that start like a SWIM message (the driver's `accepts`); false for anything but a Uint8Array. */
export function isSwimPayload(payload: Uint8Array): boolean {
  return isBytes(payload) && payload.length > 0 && payload[0] === SWIM_MAGIC;
}
