import { DecodeError, isLatticeError, UnsupportedVersionError } from '@lattice/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CoordinatorRecord,
  decodeCoordinatorRecord,
  decodeParticipantRecord,
  decodeTwoPhaseMessage,
  encodeCoordinatorRecord,
  encodeParticipantRecord,
  encodeTwoPhaseMessage,
  type ParticipantRecord,
  type TwoPhaseMessage,
} from '../src/index.js';

const gid = fc.string({ minLength: 1, maxLength: 60 });
const node = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/);
const nodes = fc.uniqueArray(node, { minLength: 1, maxLength: 5 });
const bytes = fc.uint8Array({ maxLength: 40 });
const outcome = fc.constantFrom('committed' as const, 'aborted' as const);

const message: fc.Arbitrary<TwoPhaseMessage> = fc.oneof(
  fc.record({ type: fc.constant('prepare' as const), gid, participants: nodes, ops: bytes }),
  fc.record({ type: fc.constant('vote' as const), gid, vote: fc.constantFrom('yes' as const, 'no' as const) }),
  fc.record({ type: fc.constant('decision' as const), gid, outcome }),
  fc.record({ type: fc.constant('ack' as const), gid }),
  fc.record({ type: fc.constant('status' as const), gid }),
  fc.record({ type: fc.constant('status' as const), gid, coordinator: node }),
  fc.record({ type: fc.constant('peerState' as const), gid, state: fc.constantFrom('committed' as const, 'aborted' as const, 'prepared' as const) }),
  fc.record({ type: fc.constant('forgotten' as const), gid }),
);
const coordinatorRecord: fc.Arbitrary<CoordinatorRecord> = fc.oneof(
  fc.record({ type: fc.constant('decision' as const), gid, outcome, participants: nodes }),
  fc.record({ type: fc.constant('forget' as const), gid }),
);
const participantRecord: fc.Arbitrary<ParticipantRecord> = fc.oneof(
  fc.record({ type: fc.constant('prepared' as const), gid, coordinator: node, participants: nodes, ops: bytes }),
  fc.record({ type: fc.constant('outcome' as const), gid, outcome }),
  fc.record({ type: fc.constant('outcome' as const), gid, outcome, coordinator: node }),
  fc.record({ type: fc.constant('forgotten' as const), gid }),
);

function typedFailure(decode: () => unknown): boolean {
  try {
    decode();
    return true; // some garbage happens to be a valid encoding
  } catch (error) {
    return isLatticeError(error, DecodeError.code) || isLatticeError(error, UnsupportedVersionError.code);
  }
}

describe('codec', () => {
  it('round-trips every message and record', () => {
    fc.assert(fc.property(message, (m) => {
      expect(decodeTwoPhaseMessage(encodeTwoPhaseMessage(m))).toEqual(m);
    }));
    fc.assert(fc.property(coordinatorRecord, (r) => {
      expect(decodeCoordinatorRecord(encodeCoordinatorRecord(r))).toEqual(r);
    }));
    fc.assert(fc.property(participantRecord, (r) => {
      expect(decodeParticipantRecord(encodeParticipantRecord(r))).toEqual(r);
    }));
  });

  it('turns garbage, truncation and flipped bytes into DecodeError, never another exception', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (b) => typedFailure(() => decodeTwoPhaseMessage(b)) && typedFailure(() => decodeParticipantRecord(b))));
    fc.assert(
      fc.property(message, fc.nat(), fc.integer({ min: 1, max: 255 }), (m, at, flip) => {
        const encoded = encodeTwoPhaseMessage(m);
        const cut = encoded.subarray(0, at % encoded.length);
        const flipped = encoded.slice();
        flipped[at % encoded.length]! ^= flip;
        return typedFailure(() => decodeTwoPhaseMessage(cut)) && typedFailure(() => decodeTwoPhaseMessage(flipped));
      }),
    );
  });

  it('decodes every cut and flipped byte of a forgotten message and record to DecodeError (or a valid value)', () => {
    fc.assert(
      fc.property(gid, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.uint8Array({ minLength: 1, maxLength: 8 }), (g, at, flip, tail) => {
        const checks: [Uint8Array, (b: Uint8Array) => unknown][] = [
          [encodeTwoPhaseMessage({ type: 'forgotten', gid: g }), decodeTwoPhaseMessage],
          [encodeParticipantRecord({ type: 'forgotten', gid: g }), decodeParticipantRecord],
        ];
        return checks.every(([encoded, decode]) => {
          const flipped = encoded.slice();
          flipped[at % encoded.length]! ^= flip;
          // Trailing bytes after the gid are refused, not ignored.
          expect(() => decode(new Uint8Array([...encoded, ...tail]))).toThrow(expect.objectContaining({ code: DecodeError.code }));
          return typedFailure(() => decode(encoded.subarray(0, at % encoded.length))) && typedFailure(() => decode(flipped));
        });
      }),
    );
    expect(() => decodeTwoPhaseMessage(new Uint8Array([1, 6]))).toThrow(expect.objectContaining({ code: DecodeError.code }));
    expect(() => decodeTwoPhaseMessage(new Uint8Array([1, 7, 1, 103]))).toThrow(expect.objectContaining({ code: DecodeError.code }));
    expect(() => decodeParticipantRecord(new Uint8Array([1, 2]))).toThrow(expect.objectContaining({ code: DecodeError.code }));
  });

  it('refuses a newer format version with UnsupportedVersionError, and gids over 200 bytes', () => {
    const encoded = encodeTwoPhaseMessage({ type: 'ack', gid: 'g' });
    encoded[0] = 2;
    expect(() => decodeTwoPhaseMessage(encoded)).toThrow(expect.objectContaining({ code: UnsupportedVersionError.code }));
    const long = encodeTwoPhaseMessage({ type: 'ack', gid: 'é'.repeat(101) });
    expect(() => decodeTwoPhaseMessage(long)).toThrow(expect.objectContaining({ code: DecodeError.code }));
  });
});
