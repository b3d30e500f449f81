import { ByteWriter, DecodeError, UnsupportedVersionError } from '@lattice/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRaftMessage, decodeRaftRecord, encodeRaftMessage, encodeRaftRecord, RAFT_FORMAT_VERSION, type RaftMessage, type RaftRecord } from '../src/index.js';

const uint = fc.nat({ max: Number.MAX_SAFE_INTEGER });
const bytes = fc.uint8Array({ maxLength: 40 });
const node = fc.string({ minLength: 1, maxLength: 8 });
const entry = fc.record({ term: uint, index: uint, type: fc.constantFrom('normal' as const, 'config' as const), data: bytes });
const conf = fc.record({
  voters: fc.array(node, { minLength: 1, maxLength: 4 }),
  learners: fc.array(node, { maxLength: 3 }),
  outgoing: fc.array(node, { maxLength: 3 }),
  learnersNext: fc.array(node, { maxLength: 3 }),
  autoLeave: fc.boolean(),
});
const meta = fc.record({ index: uint, term: uint, conf });

const message: fc.Arbitrary<RaftMessage> = fc.oneof(
  fc.record({ type: fc.constantFrom('vote' as const, 'preVote' as const), term: uint, lastIndex: uint, lastTerm: uint, transfer: fc.boolean() }),
  fc.record({ type: fc.constantFrom('voteResp' as const, 'preVoteResp' as const), term: uint, reject: fc.boolean() }),
  fc.record({ type: fc.constant('append' as const), term: uint, prevIndex: uint, prevTerm: uint, entries: fc.array(entry, { maxLength: 5 }), commit: uint }),
  fc.record({ type: fc.constant('appendResp' as const), term: uint, index: uint, reject: fc.boolean(), hintIndex: uint, hintTerm: uint }),
  fc.record({ type: fc.constant('heartbeat' as const), term: uint, commit: uint, round: uint, context: bytes }),
  fc.record({ type: fc.constant('heartbeatResp' as const), term: uint, round: uint, context: bytes }),
  fc.record({ type: fc.constant('readIndex' as const), term: uint, context: bytes }),
  fc.record({ type: fc.constant('snapshot' as const), term: uint, meta, offset: uint, chunk: bytes, size: uint }),
  fc.record({ type: fc.constant('timeoutNow' as const), term: uint }),
  fc.record({ type: fc.constant('propose' as const), term: uint, entries: fc.array(entry, { maxLength: 5 }) }),
  fc.record({ type: fc.constant('readIndexResp' as const), term: uint, index: uint, context: bytes }),
);

const record: fc.Arbitrary<RaftRecord> = fc.oneof(
  fc.record({ type: fc.constant('entries' as const), entries: fc.array(entry, { maxLength: 5 }) }),
  fc.record({ type: fc.constant('hardState' as const), hardState: fc.record({ term: uint, vote: fc.string({ maxLength: 8 }), commit: uint }) }),
  fc.record({ type: fc.constant('snapshot' as const), snapshot: fc.record({ meta, data: bytes }) }),
);

describe('Raft binary codec', () => {
  it('round-trips every message and record', () => {
    fc.assert(fc.property(message, (m) => {
        expect(decodeRaftMessage(encodeRaftMessage(m))).toEqual(m);
      }), { numRuns: 500 });
    fc.assert(fc.property(record, (r) => {
        expect(decodeRaftRecord(encodeRaftRecord(r))).toEqual(r);
      }), { numRuns: 300 });
  });

  it('writes appends, their answers and entry records, encoded at their exact size, byte for byte in ByteWriter format', () => {
    const writeEntries = (w: ByteWriter, entries: readonly { term: number; index: number; type: string; data: Uint8Array }[]) => {
      w.uint(entries.length);
      for (const e of entries) {
        w.uint(e.term);
        w.uint(e.index);
        w.byte(e.type === 'config' ? 1 : 0);
        w.bytes(e.data);
      }
    };
    fc.assert(
      fc.property(uint, uint, uint, uint, fc.array(entry, { maxLength: 6 }), (term, prevIndex, prevTerm, commit, entries) => {
        const w = new ByteWriter();
        for (const value of [RAFT_FORMAT_VERSION, 4]) w.byte(value);
        for (const value of [term, prevIndex, prevTerm, commit]) w.uint(value);
        writeEntries(w, entries);
        expect(encodeRaftMessage({ type: 'append', term, prevIndex, prevTerm, commit, entries })).toEqual(w.finish());
        const r = new ByteWriter();
        for (const value of [RAFT_FORMAT_VERSION, 0]) r.byte(value);
        writeEntries(r, entries);
        expect(encodeRaftRecord({ type: 'entries', entries })).toEqual(r.finish());
        const a = new ByteWriter();
        for (const value of [RAFT_FORMAT_VERSION, 5]) a.byte(value);
        a.uint(term);
        a.uint(prevIndex);
        a.byte(entries.length % 2);
        a.uint(prevTerm);
        a.uint(commit);
        expect(encodeRaftMessage({ type: 'appendResp', term, index: prevIndex, reject: entries.length % 2 === 1, hintIndex: prevTerm, hintTerm: commit })).toEqual(a.finish());
      }),
      { numRuns: 300 },
    );
  });

  it('refuses every truncation, trailing bytes and garbage with a DecodeError, a newer version with an UnsupportedVersionError', () => {
    fc.assert(
      fc.property(message, (m) => {
        const encoded = encodeRaftMessage(m);
        for (let cut = 0; cut < encoded.length; cut++) {
          expect(() => decodeRaftMessage(encoded.subarray(0, cut))).toThrow(DecodeError);
        }
        expect(() => decodeRaftMessage(new Uint8Array([...encoded, 0]))).toThrow(DecodeError);
        const newer = encoded.slice();
        newer[0] = 2;
        expect(() => decodeRaftMessage(newer)).toThrow(expect.objectContaining({ code: UnsupportedVersionError.code, version: 2, supported: RAFT_FORMAT_VERSION }));
        const never = encoded.slice();
        never[0] = 0;
        expect(() => decodeRaftMessage(never)).toThrow(expect.objectContaining({ code: DecodeError.code }));
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (garbage) => {
        try {
          decodeRaftMessage(garbage);
        } catch (error) {
          expect((error as DecodeError).code).toBe((garbage[0] ?? 0) > RAFT_FORMAT_VERSION ? UnsupportedVersionError.code : DecodeError.code);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses a count of entries the bytes cannot hold, without allocating it', () => {
    const lie = new Uint8Array([1, 4, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(() => decodeRaftMessage(lie)).toThrow(DecodeError);
  });
});
