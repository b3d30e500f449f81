import { ByteReader, ByteWriter, type Codec, isNodeId, UnsupportedVersionError } from '@lattice/core';
import { encodeChecked } from '../encode-checked.js';
import { gidProblem } from '../gid.js';
import type { Gid } from '../types.js';
import type { LoggedStep, SagaMessage, SagaOp, SagaOutcome, SagaRecord, SagaReply } from './types.js';

/** Format version of saga messages and records; a reader refuses newer ones with core's `UnsupportedVersionError`. */
export const SAGA_FORMAT_VERSION = 1;

/** Most steps one saga may have. */
export const MAX_SAGA_STEPS = 1024;

// Wire tags are positions in these tables (append-only: never reorder).
const MESSAGE_TYPES: readonly SagaMessage['type'][] = ['invoke', 'reply'];
const RECORD_TYPES: readonly SagaRecord['type'][] = ['begun', 'done', 'compensating', 'finished'];
const OPS: readonly SagaOp[] = ['action', 'compensate'];
const REPLIES: readonly SagaReply[] = ['succeeded', 'failed'];
const OUTCOMES: readonly SagaOutcome[] = ['committed', 'compensated'];

function header(w: ByteWriter, table: readonly string[], type: string, gid: Gid): void {
  w.byte(SAGA_FORMAT_VERSION);
  w.byte(table.indexOf(type));
  w.string(gid);
}

function readHeader<T extends string>(r: ByteReader, table: readonly T[]): { type: T; gid: Gid } {
  const version = r.byte();
  if (version > SAGA_FORMAT_VERSION) throw new UnsupportedVersionError(version, SAGA_FORMAT_VERSION, 'Saga format');
  if (version === 0) r.fail('format version 0');
  const type = readEnum(r, table, 'type');
  const gid = r.string();
  const problem = gidProblem(gid);
  if (problem !== undefined) r.fail(problem);
  return { type, gid };
}

function readEnum<T extends string>(r: ByteReader, table: readonly T[], what: string): T {
  const tag = r.byte();
  const value = table[tag];
  if (value === undefined) r.fail(`unknown ${what} ${tag}`);
  return value;
}

function readStep(r: ByteReader, count: number): number {
  const step = r.uint();
  if (step >= count) r.fail(`step ${step} out of range`);
  return step;
}

/** Encodes one message; a value that is not one, or whose fields cannot be written, is an `InvalidArgumentError`. */
export function encodeSagaMessage(m: SagaMessage): Uint8Array {
  return encodeChecked('encodeSagaMessage', MESSAGE_TYPES, m, writeSagaMessage);
}

function writeSagaMessage(m: SagaMessage): Uint8Array {
  const w = new ByteWriter();
  header(w, MESSAGE_TYPES, m.type, m.gid);
  w.uint(m.step);
  w.byte(OPS.indexOf(m.op));
  if (m.type === 'invoke') w.bytes(m.payload);
  else w.byte(REPLIES.indexOf(m.reply));
  return w.finish();
}

/** Decodes one message; throws `DecodeError` on anything malformed, `UnsupportedVersionError` on a newer format. */
export function decodeSagaMessage(bytes: Uint8Array): SagaMessage {
  const r = new ByteReader(bytes, 'saga message');
  const { type, gid } = readHeader(r, MESSAGE_TYPES);
  const step = readStep(r, MAX_SAGA_STEPS);
  const op = readEnum(r, OPS, 'op');
  const message: SagaMessage = type === 'invoke' ? { type, gid, step, op, payload: r.bytes() } : { type, gid, step, op, reply: readEnum(r, REPLIES, 'reply') };
  r.end();
  return message;
}

/** Encodes one log record; a value that is not one, or whose fields cannot be written, is an `InvalidArgumentError`. */
export function encodeSagaRecord(record: SagaRecord): Uint8Array {
  return encodeChecked('encodeSagaRecord', RECORD_TYPES, record, writeSagaRecord);
}

function writeSagaRecord(record: SagaRecord): Uint8Array {
  const w = new ByteWriter();
  header(w, RECORD_TYPES, record.type, record.gid);
  switch (record.type) {
    case 'begun':
      w.uint(record.steps.length);
      for (const step of record.steps) {
        w.string(step.participant);
        w.uint(step.stage);
        w.byte(step.retriable ? 1 : 0);
        w.bytes(step.action);
        w.bytes(step.compensation);
      }
      break;
    case 'done':
      w.uint(record.step);
      w.byte(OPS.indexOf(record.op));
      break;
    case 'compensating':
      w.uint(record.step);
      w.string(record.reason);
      break;
    case 'finished':
      w.byte(OUTCOMES.indexOf(record.outcome));
      w.string(record.reason);
      break;
  }
  return w.finish();
}

/** Decodes one log record; throws `DecodeError` on anything malformed, `UnsupportedVersionError` on a newer format. */
export function decodeSagaRecord(bytes: Uint8Array): SagaRecord {
  const r = new ByteReader(bytes, 'saga record');
  const { type, gid } = readHeader(r, RECORD_TYPES);
  let record: SagaRecord;
  switch (type) {
    case 'begun': {
      const count = r.uint();
      if (count === 0 || count > MAX_SAGA_STEPS || count > r.remaining) r.fail(`${count} steps claimed`);
      const steps: LoggedStep[] = [];
      let lastStage = 0;
      for (let i = 0; i < count; i++) {
        const participant = r.string();
        if (!isNodeId(participant)) r.fail('invalid participant id');
        const stage = r.uint();
        // Stages are consecutive from 0 in step order: anything else is not a log this codec wrote.
        if (i === 0 ? stage !== 0 : stage !== lastStage && stage !== lastStage + 1) r.fail(`step ${i} has stage ${stage} after stage ${lastStage}`);
        lastStage = stage;
        const flag = r.byte();
        if (flag > 1) r.fail(`bad retriable flag ${flag}`);
        steps.push({ participant, stage, retriable: flag === 1, action: r.bytes(), compensation: r.bytes() });
      }
      record = { type, gid, steps };
      break;
    }
    case 'done':
      record = { type, gid, step: readStep(r, MAX_SAGA_STEPS), op: readEnum(r, OPS, 'op') };
      break;
    case 'compensating':
      record = { type, gid, step: readStep(r, MAX_SAGA_STEPS), reason: r.string() };
      break;
    case 'finished':
      record = { type, gid, outcome: readEnum(r, OUTCOMES, 'outcome'), reason: r.string() };
      break;
  }
  r.end();
  return record;
}

/** The message codec for `ProtocolDriver`. */
export function sagaMessageCodec(): Codec<SagaMessage> {
  return { encode: encodeSagaMessage, decode: decodeSagaMessage };
}

/** The record codec for `WalRecordStorage`. */
export function sagaRecordCodec(): Codec<SagaRecord> {
  return { encode: encodeSagaRecord, decode: decodeSagaRecord };
}
