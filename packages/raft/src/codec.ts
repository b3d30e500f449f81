import { ByteReader, ByteWriter, type Codec, DecodeError, describeValue, InvalidArgumentError, InvariantViolationError, isLatticeError, UnsupportedVersionError } from '@lattice/core';
import type { ConfState, Entry, HardState, RaftMessage, RaftMessageType, RaftRecord, Snapshot, SnapshotMeta } from './types.js';

/** Format version of messages and records; a reader refuses newer ones with core's `UnsupportedVersionError`. */
export const RAFT_FORMAT_VERSION = 1;

// One table of message kinds: the wire tag is the position (append-only: never reorder).
export const MESSAGE_TYPES: readonly RaftMessageType[] = [
  'vote',
  'preVote',
  'voteResp',
  'preVoteResp',
  'append',
  'appendResp',
  'heartbeat',
  'heartbeatResp',
  'snapshot',
  'timeoutNow',
  'propose',
  'readIndex',
  'readIndexResp',
];
const MESSAGE_TAG = new Map(MESSAGE_TYPES.map((type, tag) => [type, tag]));
const APPEND_TAG = MESSAGE_TYPES.indexOf('append');
const APPEND_RESP_TAG = MESSAGE_TYPES.indexOf('appendResp');
const RECORD_TYPES: readonly RaftRecord['type'][] = ['entries', 'hardState', 'snapshot'];
const ENTRIES_TAG = RECORD_TYPES.indexOf('entries');

/** Bytes of `ByteWriter.uint(value)` (unsigned LEB128, shortest form). */
export function uintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

function entriesSize(entries: readonly Entry[]): number {
  let size = uintSize(entries.length);
  for (const entry of entries) {
    const length = entry.data.byteLength;
    size += uintSize(entry.term) + uintSize(entry.index) + 1 + uintSize(length) + length;
  }
  return size;
}

/**
 * Writes into a buffer allocated at the exact size, in `ByteWriter`'s format: the messages and
 * records that carry entries (most of the bytes a node encodes) are neither grown nor copied.
 * The caller has checked every value (the core's own entries and indexes).
 * @internal
 */
export class ExactWriter {
  readonly buffer: Uint8Array;
  #at = 0;

  constructor(size: number) {
    this.buffer = new Uint8Array(size);
  }

  byte(value: number): void {
    this.buffer[this.#at++] = value;
  }

  uint(value: number): void {
    const buffer = this.buffer;
    let at = this.#at;
    while (value >= 0x80) {
      buffer[at++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    buffer[at++] = value;
    this.#at = at;
  }

  bytes(value: Uint8Array): void {
    this.uint(value.byteLength);
    this.buffer.set(value, this.#at);
    this.#at += value.byteLength;
  }

  entries(entries: readonly Entry[]): void {
    this.uint(entries.length);
    for (const entry of entries) {
      this.uint(entry.term);
      this.uint(entry.index);
      this.byte(entry.type === 'config' ? 1 : 0);
      this.bytes(entry.data);
    }
  }

  finish(): Uint8Array {
    if (this.#at !== this.buffer.byteLength) throw new InvariantViolationError(`encoded ${this.#at} bytes into a buffer of ${this.buffer.byteLength}`);
    return this.buffer;
  }
}

// An append's answer: one per append, the most frequent message after appends.
function encodeAppendResp(m: Extract<RaftMessage, { type: 'appendResp' }>): Uint8Array {
  const w = new ExactWriter(3 + uintSize(m.term) + uintSize(m.index) + uintSize(m.hintIndex) + uintSize(m.hintTerm));
  w.byte(RAFT_FORMAT_VERSION);
  w.byte(APPEND_RESP_TAG);
  w.uint(m.term);
  w.uint(m.index);
  w.byte(m.reject ? 1 : 0);
  w.uint(m.hintIndex);
  w.uint(m.hintTerm);
  return w.finish();
}

function encodeAppend(m: Extract<RaftMessage, { type: 'append' }>): Uint8Array {
  const w = new ExactWriter(2 + uintSize(m.term) + uintSize(m.prevIndex) + uintSize(m.prevTerm) + uintSize(m.commit) + entriesSize(m.entries));
  w.byte(RAFT_FORMAT_VERSION);
  w.byte(APPEND_TAG);
  w.uint(m.term);
  w.uint(m.prevIndex);
  w.uint(m.prevTerm);
  w.uint(m.commit);
  w.entries(m.entries);
  return w.finish();
}

function writeEntries(w: ByteWriter, entries: readonly Entry[]): void {
  w.uint(entries.length);
  for (const entry of entries) {
    w.uint(entry.term);
    w.uint(entry.index);
    w.byte(entry.type === 'config' ? 1 : 0);
    w.bytes(entry.data);
  }
}

function readEntries(r: ByteReader): Entry[] {
  const count = r.uint();
  // Each entry takes at least 4 bytes: a count beyond that is a lie, not an allocation.
  if (count > r.remaining / 4) r.fail(`${count} entries claimed in ${r.remaining} bytes`);
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const term = r.uint();
    const index = r.uint();
    const kind = r.byte();
    if (kind > 1) r.fail(`unknown entry type ${kind}`);
    entries.push({ term, index, type: kind === 1 ? 'config' : 'normal', data: r.bytes() });
  }
  return entries;
}

function writeNodes(w: ByteWriter, nodes: readonly string[]): void {
  w.uint(nodes.length);
  for (const node of nodes) w.string(node);
}

function readNodes(r: ByteReader): string[] {
  const count = r.uint();
  if (count > r.remaining) r.fail(`${count} node ids claimed in ${r.remaining} bytes`);
  const nodes: string[] = [];
  for (let i = 0; i < count; i++) nodes.push(r.string());
  return nodes;
}

function writeMeta(w: ByteWriter, meta: SnapshotMeta): void {
  w.uint(meta.index);
  w.uint(meta.term);
  writeNodes(w, meta.conf.voters);
  writeNodes(w, meta.conf.learners);
  writeNodes(w, meta.conf.outgoing);
  writeNodes(w, meta.conf.learnersNext);
  w.byte(meta.conf.autoLeave ? 1 : 0);
}

function readMeta(r: ByteReader): SnapshotMeta {
  const index = r.uint();
  const term = r.uint();
  const conf: ConfState = {
    voters: readNodes(r),
    learners: readNodes(r),
    outgoing: readNodes(r),
    learnersNext: readNodes(r),
    autoLeave: r.byte() === 1,
  };
  return { index, term, conf };
}

function writeHeader(w: ByteWriter, tag: number): void {
  w.byte(RAFT_FORMAT_VERSION);
  w.byte(tag);
}

function readHeader(r: ByteReader): number {
  const version = r.byte();
  if (version > RAFT_FORMAT_VERSION) throw new UnsupportedVersionError(version, RAFT_FORMAT_VERSION, 'Raft format');
  if (version === 0) throw new DecodeError('Raft format version 0 was never written: not a Raft message or record');
  return r.byte();
}

/**
 * Encodes one Raft message. A value that is not a Raft message, or one whose fields cannot be
 * written, is an `InvalidArgumentError` (the driver's codec writes the core's own messages
 * without these checks).
 */
export function encodeRaftMessage(m: RaftMessage): Uint8Array {
  if (typeof m !== 'object' || m === null || !MESSAGE_TAG.has(m.type)) {
    throw new InvalidArgumentError(`encodeRaftMessage needs a Raft message (type ${MESSAGE_TYPES.join(', ')}), got ${describeValue(m)}`);
  }
  return encodeChecked('encodeRaftMessage', m.type, () => writeRaftMessage(m));
}

/** Runs an encoder on a caller's value: a field it cannot write is an `InvalidArgumentError`, not a `TypeError`. */
function encodeChecked(what: string, type: string, write: () => Uint8Array): Uint8Array {
  try {
    return write();
  } catch (error) {
    if (isLatticeError(error)) throw error;
    throw new InvalidArgumentError(`${what}: the ${type} value cannot be encoded (a field is missing or of the wrong type): ${(error as Error).message}`, { cause: error });
  }
}

/** Encodes one Raft message, unchecked: the core's own messages. */
function writeRaftMessage(m: RaftMessage): Uint8Array {
  if (m.type === 'append') return encodeAppend(m);
  if (m.type === 'appendResp') return encodeAppendResp(m);
  const w = new ByteWriter(m.type === 'propose' ? 16 + entriesSize(m.entries) : 32);
  writeHeader(w, MESSAGE_TAG.get(m.type)!);
  w.uint(m.term);
  switch (m.type) {
    case 'vote':
    case 'preVote':
      w.uint(m.lastIndex);
      w.uint(m.lastTerm);
      w.byte(m.transfer ? 1 : 0);
      break;
    case 'voteResp':
    case 'preVoteResp':
      w.byte(m.reject ? 1 : 0);
      break;
    case 'heartbeat':
      w.uint(m.commit);
      w.uint(m.round);
      w.bytes(m.context);
      break;
    case 'heartbeatResp':
      w.uint(m.round);
      w.bytes(m.context);
      break;
    case 'readIndex':
      w.bytes(m.context);
      break;
    case 'snapshot':
      writeMeta(w, m.meta);
      w.uint(m.offset);
      w.uint(m.size);
      w.bytes(m.chunk);
      break;
    case 'timeoutNow':
      break;
    case 'propose':
      writeEntries(w, m.entries);
      break;
    case 'readIndexResp':
      w.uint(m.index);
      w.bytes(m.context);
      break;
  }
  return w.finish();
}

function flag(r: ByteReader): boolean {
  const value = r.byte();
  if (value > 1) r.fail(`flag byte ${value}`);
  return value === 1;
}

/** Decodes one Raft message; throws `DecodeError` on anything malformed or truncated, `UnsupportedVersionError` on a newer format version. */
export function decodeRaftMessage(bytes: Uint8Array): RaftMessage {
  const r = new ByteReader(bytes, 'Raft message');
  const tag = readHeader(r);
  const type = MESSAGE_TYPES[tag];
  if (type === undefined) return r.fail(`unknown message type ${tag}`);
  const term = r.uint();
  let m: RaftMessage;
  switch (type) {
    case 'vote':
    case 'preVote':
      m = { type, term, lastIndex: r.uint(), lastTerm: r.uint(), transfer: flag(r) };
      break;
    case 'voteResp':
    case 'preVoteResp':
      m = { type, term, reject: flag(r) };
      break;
    case 'append':
      m = { type, term, prevIndex: r.uint(), prevTerm: r.uint(), commit: r.uint(), entries: readEntries(r) };
      break;
    case 'appendResp':
      m = { type, term, index: r.uint(), reject: flag(r), hintIndex: r.uint(), hintTerm: r.uint() };
      break;
    case 'heartbeat':
      m = { type, term, commit: r.uint(), round: r.uint(), context: r.bytes() };
      break;
    case 'heartbeatResp':
      m = { type, term, round: r.uint(), context: r.bytes() };
      break;
    case 'readIndex':
      m = { type, term, context: r.bytes() };
      break;
    case 'snapshot':
      m = { type, term, meta: readMeta(r), offset: r.uint(), size: r.uint(), chunk: r.bytes() };
      break;
    case 'timeoutNow':
      m = { type, term };
      break;
    case 'propose':
      m = { type, term, entries: readEntries(r) };
      break;
    case 'readIndexResp':
      m = { type, term, index: r.uint(), context: r.bytes() };
      break;
  }
  r.end();
  return m;
}

/** The `Codec` of Raft messages, for `ProtocolDriver`. */
export function raftMessageCodec(): Codec<RaftMessage> {
  return { encode: writeRaftMessage, decode: decodeRaftMessage };
}

function writeHardState(w: ByteWriter, hard: HardState): void {
  w.uint(hard.term);
  w.string(hard.vote);
  w.uint(hard.commit);
}

/**
 * Encodes one durable record (a WAL record of a Raft node). A value that is not a record, or
 * one whose fields cannot be written, is an `InvalidArgumentError`.
 */
export function encodeRaftRecord(record: RaftRecord): Uint8Array {
  if (typeof record !== 'object' || record === null || !RECORD_TYPES.includes(record.type)) {
    throw new InvalidArgumentError(`encodeRaftRecord needs a Raft record (type ${RECORD_TYPES.join(', ')}), got ${describeValue(record)}`);
  }
  return encodeChecked('encodeRaftRecord', record.type, () => writeRaftRecord(record));
}

/** Encodes one durable record, unchecked: the node's own records. @internal */
export function writeRaftRecord(record: RaftRecord): Uint8Array {
  if (record.type === 'entries') {
    const w = new ExactWriter(2 + entriesSize(record.entries));
    w.byte(RAFT_FORMAT_VERSION);
    w.byte(ENTRIES_TAG);
    w.entries(record.entries);
    return w.finish();
  }
  const w = new ByteWriter(record.type === 'snapshot' ? 64 + record.snapshot.data.byteLength : 32);
  writeHeader(w, RECORD_TYPES.indexOf(record.type));
  if (record.type === 'hardState') writeHardState(w, record.hardState);
  else {
    writeMeta(w, record.snapshot.meta);
    w.bytes(record.snapshot.data);
  }
  return w.finish();
}

/** Decodes one durable record; throws `DecodeError` on anything malformed. */
export function decodeRaftRecord(bytes: Uint8Array): RaftRecord {
  const r = new ByteReader(bytes, 'Raft record');
  const tag = readHeader(r);
  let record: RaftRecord;
  if (tag === 0) record = { type: 'entries', entries: readEntries(r) };
  else if (tag === 1) record = { type: 'hardState', hardState: { term: r.uint(), vote: r.string(), commit: r.uint() } };
  else if (tag === 2) {
    const meta = readMeta(r);
    const snapshot: Snapshot = { meta, data: r.bytes() };
    record = { type: 'snapshot', snapshot };
  } else return r.fail(`unknown record type ${tag}`);
  r.end();
  return record;
}

/** The `Codec` of durable records. */
export function raftRecordCodec(): Codec<RaftRecord> {
  return { encode: writeRaftRecord, decode: decodeRaftRecord };
}
