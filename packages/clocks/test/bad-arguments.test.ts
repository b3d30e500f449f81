import { DecodeError, InvalidArgumentError, } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import { describe, expect, it } from 'vitest';
import {
  AppliedWatermark,
  checkShivizLog,
  ClientSession,
  compareHlc,
  compareLamport,
  DottedVersionVector,
  DottedVersionVectorSet,
  formatHlc,
  hlcFromBigInt,
  hlcFromBytes,
  hlcToBigInt,
  hlcToBytes,
  HybridLogicalClock,
  LamportClock,
  MatrixClock,
  parseHlc,
  ShivizLog,
  VectorClock,
} from '../src/index.js';
import { codeOf } from '@lattice/test-kit';


const ts = { wallTime: 1, logical: 0, node: 'a' };
const hlc = (options: object): HybridLogicalClock => new HybridLogicalClock({ node: 'a', clock: new ManualClock(), ...options });
const persistence = { load: () => undefined, save: () => undefined };

// Each entry is one wrong call; every one must be refused with an InvalidArgumentError at the call.
const wrongCalls: [string, () => unknown][] = [
  ['new HybridLogicalClock without options', () => new HybridLogicalClock(undefined as never)],
  ['new HybridLogicalClock with null options', () => new HybridLogicalClock(null as never)],
  ['new HybridLogicalClock without a node', () => new HybridLogicalClock({} as never)],
  ['new HybridLogicalClock with a numeric node', () => new HybridLogicalClock({ node: 1 as never })],
  ['HybridLogicalClock maxOffsetMs NaN', () => hlc({ maxOffsetMs: Number.NaN })],
  ['HybridLogicalClock maxOffsetMs negative', () => hlc({ maxOffsetMs: -1 })],
  ['HybridLogicalClock maxOffsetMs a string', () => hlc({ maxOffsetMs: '5' })],
  ['HybridLogicalClock maxLogical 0', () => hlc({ maxLogical: 0 })],
  ['HybridLogicalClock maxLogical a fraction', () => hlc({ maxLogical: 1.5 })],
  ['HybridLogicalClock clock without now', () => hlc({ clock: {} })],
  ['HybridLogicalClock clock a function', () => hlc({ clock: () => 0 })],
  ['HybridLogicalClock timers without clearTimeout', () => hlc({ timers: { setTimeout: () => 0 } })],
  ['HybridLogicalClock persistence without save', () => hlc({ persistence: { load: () => undefined } })],
  ['HybridLogicalClock persistWindowMs 0', () => hlc({ persistence, persistWindowMs: 0 })],
  ['HybridLogicalClock persistWindowMs NaN without persistence', () => hlc({ persistWindowMs: Number.NaN })],
  ['HybridLogicalClock.update with undefined', () => hlc({}).update(undefined as never)],
  ['HybridLogicalClock.update with a string', () => hlc({}).update('1' as never)],
  ['HybridLogicalClock.update with a NaN wall time', () => hlc({}).update({ ...ts, wallTime: Number.NaN })],
  ['HybridLogicalClock.update with a negative logical', () => hlc({}).update({ ...ts, logical: -1 })],
  ['compareHlc with undefined', () => compareHlc(undefined as never, ts)],
  ['hlcToBigInt with a malformed timestamp', () => hlcToBigInt({ ...ts, wallTime: -1 })],
  ['hlcFromBigInt with a bad node', () => hlcFromBigInt(5n, '')],
  ['hlcToBytes with a malformed timestamp', () => hlcToBytes({ ...ts, logical: 1.5 })],
  ['hlcFromBytes with a bad node', () => hlcFromBytes(new Uint8Array(8), 5 as never)],
  ['formatHlc with a malformed timestamp', () => formatHlc({ ...ts, node: '' })],
  ['new LamportClock without a node', () => new LamportClock(undefined as never)],
  ['new LamportClock with a negative time', () => new LamportClock('a', -1)],
  ['new LamportClock with a NaN time', () => new LamportClock('a', Number.NaN)],
  ['LamportClock.receive with a string', () => new LamportClock('a').receive('5' as never)],
  ['LamportClock.receive with undefined', () => new LamportClock('a').receive(undefined as never)],
  ['compareLamport with undefined', () => compareLamport(undefined as never, { time: 1, node: 'a' })],
  ['VectorClock.from with a number', () => VectorClock.from(5 as never)],
  ['VectorClock.from with a negative count', () => VectorClock.from({ a: -1 })],
  ['VectorClock.get with a number', () => new VectorClock().get(5 as never)],
  ['VectorClock.increment with an empty node', () => new VectorClock().increment('')],
  ['VectorClock.set with NaN', () => new VectorClock().set('a', Number.NaN)],
  ['VectorClock.merge with a plain object', () => new VectorClock().merge({ a: 1 } as never)],
  ['VectorClock.merge with undefined', () => new VectorClock().merge(undefined as never)],
  ['VectorClock.compare with undefined', () => new VectorClock().compare(undefined as never)],
  ['VectorClock.join with a plain object', () => VectorClock.join(new VectorClock(), {} as never)],
  ['VectorClock.prune without a policy', () => new VectorClock().prune(undefined as never)],
  ['VectorClock.decode with options that are not an object', () => VectorClock.decode(new VectorClock().encode(), 5 as never)],
  ['new DottedVersionVector without a dot', () => new DottedVersionVector(undefined as never)],
  ['new DottedVersionVector with a context that is not a clock', () => new DottedVersionVector({ node: 'a', counter: 1 }, {} as never)],
  ['DottedVersionVectorSet.put with a bad server', () => new DottedVersionVectorSet().put('', 1)],
  ['DottedVersionVectorSet.put with a context that is not a clock', () => new DottedVersionVectorSet().put('a', 1, {} as never)],
  ['DottedVersionVectorSet.discard with undefined', () => new DottedVersionVectorSet().discard(undefined as never)],
  ['DottedVersionVectorSet.sync with a plain object', () => new DottedVersionVectorSet().sync({} as never)],
  ['DottedVersionVector.happenedBefore with a plain object', () => new DottedVersionVector({ node: 'a', counter: 1 }).happenedBefore({} as never)],
  ['DottedVersionVector.compare with undefined', () => new DottedVersionVector({ node: 'a', counter: 1 }).compare(undefined as never)],
  ['VectorClock.delete with a number', () => new VectorClock().delete(5 as never)],
  ['VectorClock.prune with departed that is not iterable', () => new VectorClock().prune({ departed: 5 } as never)],
  ['checkShivizLog with a number', () => checkShivizLog(5 as never)],
  ['new MatrixClock without a node', () => new MatrixClock(undefined as never)],
  ['new MatrixClock with members that are not iterable', () => new MatrixClock('a', 5 as never)],
  ['new MatrixClock with a bad member', () => new MatrixClock('a', [''])],
  ['MatrixClock.addMember with a number', () => new MatrixClock('a').addMember(5 as never)],
  ['MatrixClock.isStable with NaN', () => new MatrixClock('a').isStable('a', Number.NaN)],
  ['MatrixClock.row of an unknown node type', () => new MatrixClock('a').row(undefined as never)],
  ['ClientSession.observe with undefined', () => new ClientSession().observe(undefined as never)],
  ['new AppliedWatermark with options that are not an object', () => new AppliedWatermark(5 as never)],
  ['new AppliedWatermark with timers that are not timers', () => new AppliedWatermark({ timers: {} as never })],
  ['new AppliedWatermark with a malformed applied timestamp', () => new AppliedWatermark({ applied: { ...ts, wallTime: -1 } })],
  ['AppliedWatermark.advance with a malformed timestamp', () => new AppliedWatermark().advance({ ...ts, logical: -1 })],
  ['new ShivizLog with options that are not an object', () => new ShivizLog(5 as never)],
  ['ShivizLog.process with an empty host', () => new ShivizLog().process('')],
  ['ShivizProcess.event with a number', () => new ShivizLog().process('a').event(5 as never)],
];

// Decoders (and the encoders' byte-range checks) refuse what they cannot read with a DecodeError.
const undecodable: [string, () => unknown][] = [
  ['hlcFromBigInt with a number', () => hlcFromBigInt(5 as never, 'a')],
  ['hlcToBytes with a target that is too small', () => hlcToBytes(ts, new Uint8Array(4))],
  ['hlcToBytes with a negative offset', () => hlcToBytes(ts, new Uint8Array(16), -1)],
  ['hlcFromBytes with a string', () => hlcFromBytes('abcdefgh' as never, 'a')],
  ['hlcFromBytes with a fractional offset', () => hlcFromBytes(new Uint8Array(16), 'a', 0.5)],
  ['parseHlc with a number', () => parseHlc(5 as never)],
  ['new ClientSession with a number', () => new ClientSession(5 as never)],
];

describe('bad arguments get a typed error where they are passed', () => {
  it.each(wrongCalls)('%s', (_name, call) => {
    expect(codeOf(call)).toBe(InvalidArgumentError.code);
  });

  it.each(undecodable)('%s', (_name, call) => {
    expect(codeOf(call)).toBe(DecodeError.code);
  });

  it('AppliedWatermark.waitFor with options that are not an object rejects with a typed error', async () => {
    const watermark = new AppliedWatermark();
    await expect(watermark.waitFor(ts, 5 as never)).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(watermark.waitFor(ts, { timeoutMs: Number.NaN })).rejects.toMatchObject({ code: InvalidArgumentError.code });
    watermark.close();
  });

  it('HybridLogicalClock.nowAsync with a signal that is not an AbortSignal rejects with a typed error', async () => {
    await expect(hlc({}).nowAsync({ signal: 'x' as never })).rejects.toMatchObject({ code: InvalidArgumentError.code });
  });
});
