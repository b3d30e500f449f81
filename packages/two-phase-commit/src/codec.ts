import { ByteReader, ByteWriter, type Codec, isNodeId, type NodeId, UnsupportedVersionError } from '@lattice/core';
import { encodeChecked } from './encode-checked.js';
import { gidProblem } from './gid.js';
import type { CoordinatorRecord, Gid, ParticipantRecord, PeerState, TransactionOutcome, TwoPhaseMessage, Vote } from './types.js';

/** Format version of messages and records; a reader refuses newer ones with core's `UnsupportedVersionError`. */
export const TWO_PHASE_FORMAT_VERSION = 1;

/** Most participants one transaction may have (a prepare names them all). */
export const MAX_PARTICIPANTS = 1024;

// Wire tags are positions in these tables (append-only: never reorder).
const MESSAGE_TYPES: readonly TwoPhaseMessage['type'][] = ['prepare', 'vote', 'decision', 'ack', 'status', 'peerState', 'forgotten'];
const COORDINATOR_RECORD_TYPES: readonly CoordinatorRecord['type'][] = ['decision', 'forget'];
const PARTICIPANT_RECORD_TYPES: readonly ParticipantRecord['type'][] = ['prepared', 'outcome', 'forgotten'];
const OUTCOMES: readonly TransactionOutcome[] = ['committed', 'aborted'];
const VOTES: readonly Vote[] = ['yes', 'no'];
const PEER_STATES: readonly PeerState[] = ['committed', 'aborted', 'prepared'];

function header(w: ByteWriter, table: readonly string[], type: string): void {
  w.byte(TWO_PHASE_FORMAT_VERSION);
  w.byte(table.indexOf(type));
}

function readHeader<T extends string>(r: ByteReader, table: readonly T[]): T {
  const version = r.byte();
  if (version > TWO_PHASE_FORMAT_VERSION) throw new UnsupportedVersionError(version, TWO_PHASE_FORMAT_VERSION, 'Two-phase commit format');
  if (version === 0) r.fail('format version 0');
  return readEnum(r, table, 'type');
}

function readEnum<T extends string>(r: ByteReader, table: readonly T[], what: string): T {
  const tag = r.byte();
  const value = table[tag];
  if (value === undefined) r.fail(`unknown ${what} ${tag}`);
  return value;
}

function readGid(r: ByteReader): Gid {
  const gid = r.string();
  const problem = gidProblem(gid);
  if (problem !== undefined) r.fail(problem);
  return gid;
}

function readNode(r: ByteReader): NodeId {
  const id = r.string();
  if (!isNodeId(id)) r.fail('invalid node id');
  return id;
}

function writeNodes(w: ByteWriter, nodes: readonly NodeId[]): void {
  w.uint(nodes.length);
  for (const node of nodes) w.string(node);
}

function readNodes(r: ByteReader): NodeId[] {
  const count = r.uint();
  if (count === 0 || count > MAX_PARTICIPANTS || count > r.remaining) r.fail(`${count} participants claimed`);
  const nodes: NodeId[] = [];
  for (let i = 0; i < count; i++) nodes.push(readNode(r));
  if (new Set(nodes).size !== nodes.length) r.fail('a participant is named twice');
  return nodes;
}

/** Encodes one message; a value that is not one, or whose fields cannot be written, is an `InvalidArgumentError`. */
export function encodeTwoPhaseMessage(m: TwoPhaseMessage): Uint8Array {
  return encodeChecked('encodeTwoPhaseMessage', MESSAGE_TYPES, m, writeTwoPhaseMessage);
}

function writeTwoPhaseMessage(m: TwoPhaseMessage): Uint8Array {
  const w = new ByteWriter();
  header(w, MESSAGE_TYPES, m.type);
  w.string(m.gid);
  switch (m.type) {
    case 'prepare':
      writeNodes(w, m.participants);
      w.bytes(m.ops);
      break;
    case 'vote':
      w.byte(VOTES.indexOf(m.vote));
      break;
    case 'decision':
      w.byte(OUTCOMES.indexOf(m.outcome));
      break;
    case 'peerState':
      w.byte(PEER_STATES.indexOf(m.state));
      break;
    case 'status':
      if (m.coordinator !== undefined) w.string(m.coordinator);
      break;
    case 'ack':
    case 'forgotten':
      break;
  }
  return w.finish();
}

/** Decodes one message; throws `DecodeError` on anything malformed, `UnsupportedVersionError` on a newer format. */
export function decodeTwoPhaseMessage(bytes: Uint8Array): TwoPhaseMessage {
  const r = new ByteReader(bytes, 'two-phase commit message');
  const type = readHeader(r, MESSAGE_TYPES);
  const gid = readGid(r);
  let message: TwoPhaseMessage;
  switch (type) {
    case 'prepare': {
      const participants = readNodes(r);
      message = { type, gid, participants, ops: r.bytes() };
      break;
    }
    case 'vote':
      message = { type, gid, vote: readEnum(r, VOTES, 'vote') };
      break;
    case 'decision':
      message = { type, gid, outcome: readEnum(r, OUTCOMES, 'outcome') };
      break;
    case 'peerState':
      message = { type, gid, state: readEnum(r, PEER_STATES, 'peer state') };
      break;
    case 'status':
      // The coordinator is an optional trailing field (absent in messages of earlier versions).
      message = r.remaining > 0 ? { type, gid, coordinator: readNode(r) } : { type, gid };
      break;
    case 'ack':
    case 'forgotten':
      message = { type, gid };
      break;
  }
  r.end();
  return message;
}

/** The message codec for `ProtocolDriver`. */
export function twoPhaseMessageCodec(): Codec<TwoPhaseMessage> {
  return { encode: encodeTwoPhaseMessage, decode: decodeTwoPhaseMessage };
}

/** Encodes one coordinator record; a value that is not one, or whose fields cannot be written, is an `InvalidArgumentError`. */
export function encodeCoordinatorRecord(record: CoordinatorRecord): Uint8Array {
  return encodeChecked('encodeCoordinatorRecord', COORDINATOR_RECORD_TYPES, record, writeCoordinatorRecord);
}

function writeCoordinatorRecord(record: CoordinatorRecord): Uint8Array {
  const w = new ByteWriter();
  header(w, COORDINATOR_RECORD_TYPES, record.type);
  w.string(record.gid);
  if (record.type === 'decision') {
    w.byte(OUTCOMES.indexOf(record.outcome));
    writeNodes(w, record.participants);
  }
  return w.finish();
}

/** Decodes one coordinator record; throws `DecodeError` on corruption. */
export function decodeCoordinatorRecord(bytes: Uint8Array): CoordinatorRecord {
  const r = new ByteReader(bytes, 'two-phase commit coordinator record');
  const type = readHeader(r, COORDINATOR_RECORD_TYPES);
  const gid = readGid(r);
  let record: CoordinatorRecord;
  if (type === 'decision') {
    const outcome = readEnum(r, OUTCOMES, 'outcome');
    record = { type, gid, outcome, participants: readNodes(r) };
  } else {
    record = { type, gid };
  }
  r.end();
  return record;
}

/** Encodes one participant record; a value that is not one, or whose fields cannot be written, is an `InvalidArgumentError`. */
export function encodeParticipantRecord(record: ParticipantRecord): Uint8Array {
  return encodeChecked('encodeParticipantRecord', PARTICIPANT_RECORD_TYPES, record, writeParticipantRecord);
}

function writeParticipantRecord(record: ParticipantRecord): Uint8Array {
  const w = new ByteWriter();
  header(w, PARTICIPANT_RECORD_TYPES, record.type);
  w.string(record.gid);
  if (record.type === 'prepared') {
    w.string(record.coordinator);
    writeNodes(w, record.participants);
    w.bytes(record.ops);
  } else if (record.type === 'outcome') {
    w.byte(OUTCOMES.indexOf(record.outcome));
    if (record.coordinator !== undefined) w.string(record.coordinator);
  }
  return w.finish();
}

/** Decodes one participant record; throws `DecodeError` on corruption. */
export function decodeParticipantRecord(bytes: Uint8Array): ParticipantRecord {
  const r = new ByteReader(bytes, 'two-phase commit participant record');
  const type = readHeader(r, PARTICIPANT_RECORD_TYPES);
  const gid = readGid(r);
  let record: ParticipantRecord;
  if (type === 'prepared') {
    const coordinator = readNode(r);
    const participants = readNodes(r);
    record = { type, gid, coordinator, participants, ops: r.bytes() };
  } else if (type === 'outcome') {
    const outcome = readEnum(r, OUTCOMES, 'outcome');
    // The coordinator is an optional trailing field (absent in records of earlier versions).
    record = r.remaining > 0 ? { type, gid, outcome, coordinator: readNode(r) } : { type, gid, outcome };
  } else {
    record = { type, gid };
  }
  r.end();
  return record;
}

/** Record codec of the coordinator's log. */
export function coordinatorRecordCodec(): Codec<CoordinatorRecord> {
  return { encode: encodeCoordinatorRecord, decode: decodeCoordinatorRecord };
}

/** Record codec of a participant's log. */
export function participantRecordCodec(): Codec<ParticipantRecord> {
  return { encode: encodeParticipantRecord, decode: decodeParticipantRecord };
}
