import { DecodeError, isLatticeError, ProtocolViolationError, seededRandom, UnsupportedVersionError } from '@lattice/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSwimMessage, encodeSwimMessage, MAX_META_BYTES, SWIM_FORMAT_VERSION, SwimCore, type SwimMessage, type Update } from '../src/index.js';

const id = fc.stringMatching(/^[a-z0-9-]{1,12}$/);
const inc = fc.nat({ max: 2 ** 40 });
const meta = fc.uint8Array({ maxLength: 40 });
const update: fc.Arbitrary<Update> = fc.oneof(
  fc.record({ kind: fc.constant('alive' as const), id, incarnation: inc, meta }),
  fc.record({ kind: fc.constantFrom('suspect' as const, 'dead' as const), id, incarnation: inc, from: id }),
);
const updates = fc.array(update, { maxLength: 6 });
const message: fc.Arbitrary<SwimMessage> = fc.oneof(
  fc.record({ type: fc.constantFrom('ping' as const, 'pingReq' as const), seq: inc, target: id, updates }),
  fc.record({ type: fc.constant('ack' as const), seq: inc, updates }),
  fc.record({ type: fc.constant('nack' as const), seq: inc }),
  fc.record({ type: fc.constant('gossip' as const), updates }),
  fc.record({
    type: fc.constant('pushPull' as const),
    join: fc.boolean(),
    reply: fc.boolean(),
    members: fc.uniqueArray(fc.record({ id, incarnation: inc, state: fc.constantFrom('alive' as const, 'suspect' as const, 'dead' as const, 'left' as const), meta }), { selector: (m) => m.id, maxLength: 5 }),
  }),
);

describe('codec', () => {
  it('round-trips every message', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeSwimMessage(encodeSwimMessage(m))).toEqual(m);
      }),
    );
  });

  it('garbage is a DecodeError, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeSwimMessage(bytes);
        } catch (error) {
          expect(isLatticeError(error)).toBe(true);
          expect([DecodeError.code, UnsupportedVersionError.code]).toContain((error as DecodeError).code);
        }
      }),
    );
  });

  it('every truncation of a valid message is refused', () => {
    fc.assert(
      fc.property(message, (m) => {
        const bytes = encodeSwimMessage(m);
        for (let cut = 0; cut < bytes.length; cut++) expect(() => decodeSwimMessage(bytes.subarray(0, cut))).toThrow(DecodeError);
      }),
      { numRuns: 50 },
    );
  });

  it('a newer format version is UnsupportedVersionError', () => {
    const bytes = encodeSwimMessage({ type: 'nack', seq: 1 });
    bytes[1] = SWIM_FORMAT_VERSION + 1;
    expect(() => decodeSwimMessage(bytes)).toThrow(expect.objectContaining({ code: UnsupportedVersionError.code }));
  });

  it('oversized metadata is refused on the wire', () => {
    const bytes = encodeSwimMessage({ type: 'gossip', updates: [{ kind: 'alive', id: 'x', incarnation: 1, meta: new Uint8Array(MAX_META_BYTES + 1) }] });
    expect(() => decodeSwimMessage(bytes)).toThrow(expect.objectContaining({ code: DecodeError.code }));
  });
});

describe('forged messages', () => {
  const forged: [string, unknown][] = [
    ['a ping for someone else', { type: 'ping', seq: 1, target: 'other', updates: [] }],
    ['a negative incarnation', { type: 'gossip', updates: [{ kind: 'alive', id: 'b', incarnation: -1, meta: new Uint8Array() }] }],
    ['a fractional seq', { type: 'ack', seq: 1.5, updates: [] }],
    ['an unknown update kind', { type: 'gossip', updates: [{ kind: 'zombie', id: 'b', incarnation: 1, from: 'c' }] }],
    ['a suspect without reporter', { type: 'gossip', updates: [{ kind: 'suspect', id: 'b', incarnation: 1 }] }],
    ['an invalid member id', { type: 'gossip', updates: [{ kind: 'dead', id: '', incarnation: 1, from: 'c' }] }],
    ['a member listed twice', { type: 'pushPull', join: false, reply: true, members: [0, 1].map(() => ({ id: 'b', incarnation: 1, state: 'alive', meta: new Uint8Array() })) }],
    ['an unknown message type', { type: 'hello' }],
    ['a valid update before an invalid one', { type: 'gossip', updates: [{ kind: 'alive', id: 'z', incarnation: 1, meta: new Uint8Array() }, { kind: 'alive', id: 'y', incarnation: Number.NaN, meta: new Uint8Array() }] }],
  ];

  for (const [what, m] of forged) {
    it(`${what}: ProtocolViolationError, nothing changes`, () => {
      const core = new SwimCore({ id: 'a', now: 0, random: seededRandom(1) });
      core.step('b', { type: 'gossip', updates: [{ kind: 'alive', id: 'b', incarnation: 0, meta: new Uint8Array() }] });
      core.advance(core.ready());
      const before = JSON.stringify([core.members(), core.stats(), core.wakeAt()]);
      expect(() => core.step('b', m as SwimMessage)).toThrow(expect.objectContaining({ code: ProtocolViolationError.code }));
      expect(JSON.stringify([core.members(), core.stats(), core.wakeAt()])).toBe(before);
      expect(core.hasReady()).toBe(false);
    });
  }
});
