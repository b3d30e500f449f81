import { InvalidArgumentError } from '@lattice/core';
import { codeOf, untypedThrows } from '@lattice/test-kit';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import {
  decodeCoordinatorRecord,
  decodeKvOps,
  encodeCoordinatorRecord,
  encodeDecisionRecords,
  encodeKvOps,
  encodeParticipantRecord,
  encodeSagaMessage,
  encodeSagaRecord,
  encodeTwoPhaseMessage,
  MemoryKv,
} from '../src/index.js';

/** Calls with deliberately wrong types, as JavaScript callers (or generated data) would. */
// biome-ignore lint/suspicious/noExplicitAny: the point is to pass what the types forbid
type Loose = any;

const INVALID = InvalidArgumentError.code;

describe('every exported function and class, called wrongly', () => {
  it('is a typed error or a normal return, never a TypeError from inside', async () => {
    const { called, untyped } = await untypedThrows(api);
    expect(called).toBeGreaterThan(20);
    expect(untyped).toEqual([]);
  });
});

describe('encoders', () => {
  const wrong: [string, Loose][] = [
    ['nothing', undefined],
    ['null', null],
    ['a string', 'prepare'],
    ['an object without a type', {}],
    ['an unknown type', { type: 'hello', gid: 'g1' }],
  ];

  it.each(wrong)('every message and record encoder refuses %s with InvalidArgumentError', (_, value) => {
    for (const encode of [encodeTwoPhaseMessage, encodeCoordinatorRecord, encodeParticipantRecord, encodeSagaMessage, encodeSagaRecord]) {
      expect(codeOf(() => encode(value)), encode.name).toBe(INVALID);
    }
  });

  it('refuses a value of a known type whose fields cannot be written', () => {
    expect(codeOf(() => encodeCoordinatorRecord({ type: 'decision', gid: 'g1', outcome: 'committed', participants: 5 } as Loose))).toBe(INVALID);
    expect(codeOf(() => encodeSagaRecord({ type: 'begun', gid: 'g1', steps: 'abc' } as Loose))).toBe(INVALID);
    expect(codeOf(() => encodeTwoPhaseMessage({ type: 'prepare', gid: 5 } as Loose))).toBe(INVALID);
  });

  it('encodeDecisionRecords refuses records that are not a list', () => {
    expect(codeOf(() => encodeDecisionRecords(1, 5 as Loose))).toBe(INVALID);
    expect(codeOf(() => encodeDecisionRecords(1, [null] as Loose))).toBe(INVALID);
  });

  it('still encodes well-formed values', () => {
    const record = { type: 'decision', gid: 'g1', outcome: 'committed', participants: ['p1', 'p2'] } as const;
    expect(decodeCoordinatorRecord(encodeCoordinatorRecord(record))).toEqual(record);
  });
});

describe('MemoryKv and its operations', () => {
  it('refuses initial values that are not an object of safe integers', () => {
    expect(codeOf(() => new MemoryKv(null as Loose))).toBe(INVALID);
    expect(codeOf(() => new MemoryKv('x' as Loose))).toBe(INVALID);
    expect(codeOf(() => new MemoryKv({ a: 1.5 }))).toBe(INVALID);
    expect(codeOf(() => new MemoryKv({ a: '1' as Loose }))).toBe(INVALID);
    expect(new MemoryKv({ a: 3 }).get('a')).toBe(3);
  });

  it('encodeKvOps refuses what is not a list of add or set operations', () => {
    expect(codeOf(() => encodeKvOps(undefined as Loose))).toBe(INVALID);
    expect(codeOf(() => encodeKvOps('ops' as Loose))).toBe(INVALID);
    expect(codeOf(() => encodeKvOps([{ op: 'mul', key: 'a', value: 2 } as Loose]))).toBe(INVALID);
    expect(codeOf(() => encodeKvOps([{ op: 'add', key: 'a', amount: 0.5 }]))).toBe(INVALID);
    expect(decodeKvOps(encodeKvOps([{ op: 'add', key: 'a', amount: 2 }]))).toEqual([{ op: 'add', key: 'a', amount: 2 }]);
  });
});
