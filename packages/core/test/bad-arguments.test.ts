import { describe, expect, it } from 'vitest';
import {
  assertDelay,
  assertInteger,
  assertNodeId,
  assertNumber,
  assertOptionalClock,
  assertOptionalRandom,
  ByteReader,
  ByteWriter,
  CachedClock,
  DecodeError,
  emptyReady,
  type Endpoint,
  Inbox,
  InvalidArgumentError,
  joinPath,
  jsonCodec,
  type LatticeError,
  Observable,
  ProtocolDriver,
  type ProtocolCore,
  raceAbort,
  seededRandom,
  sleep,
  systemTimers,
} from '../src/index.js';
import { codeOf } from '@lattice/test-kit';
import { ManualClock } from '../src/testing/index.js';


// Each entry is one wrong call; every one must be refused with a typed error at the call.
const wrongCalls: [string, () => unknown][] = [
  ['ManualClock with null options', () => new ManualClock(null as never)],
  ['ManualClock with a wallStart that is not a number', () => new ManualClock({ wallStart: '0' as never })],
  ['joinPath with a directory that is not a string', () => joinPath(undefined as never, 'a')],
  ['joinPath with a name that is not a string', () => joinPath('dir', 5 as never)],
  ['sleep without timers', () => sleep(undefined as never, 1)],
  ['sleep with a string delay', () => sleep(systemTimers, '5' as never)],
  ['sleep with a NaN delay', () => sleep(systemTimers, Number.NaN)],
  ['sleep with options that are not an object', () => sleep(systemTimers, 1, 'x' as never)],
  ['sleep with a signal that is not an AbortSignal', () => sleep(systemTimers, 1, { signal: {} as never })],
  ['raceAbort with a signal that is not an AbortSignal', () => raceAbort(Promise.resolve(1), 'x' as never)],
  ['seededRandom with a fraction', () => seededRandom(1.5)],
  ['seededRandom with a string', () => seededRandom('1' as never)],
  ['Random.int with 0', () => seededRandom(1).int(0)],
  ['Random.int with Infinity', () => seededRandom(1).int(Number.POSITIVE_INFINITY)],
  ['jsonCodec with options that are not an object', () => jsonCodec(5 as never)],
  ['jsonCodec with a validate that is not a function', () => jsonCodec({ validate: true as never })],
  ['jsonCodec.encode of undefined', () => jsonCodec().encode(undefined)],
  ['jsonCodec.encode of a BigInt', () => jsonCodec().encode(1n)],
  ['new ByteWriter with a negative capacity', () => new ByteWriter(-1)],
  ['ByteWriter.byte with 256', () => new ByteWriter().byte(256)],
  ['ByteWriter.uint with a negative number', () => new ByteWriter().uint(-1)],
  ['ByteWriter.uint with a string', () => new ByteWriter().uint('5' as never)],
  ['ByteWriter.int with a fraction', () => new ByteWriter().int(0.5)],
  ['ByteWriter.f64 with a string', () => new ByteWriter().f64('1' as never)],
  ['ByteWriter.raw with a string', () => new ByteWriter().raw('abc' as never)],
  ['ByteWriter.bytes with an array', () => new ByteWriter().bytes([1, 2] as never)],
  ['ByteWriter.string with a number', () => new ByteWriter().string(5 as never)],
  ['new ByteReader with a what that is not a string', () => new ByteReader(new Uint8Array(1), 5 as never)],
  ['ByteReader.raw with a negative length', () => new ByteReader(new Uint8Array(1)).raw(-1)],
  ['new CachedClock with null options', () => new CachedClock(null as never)],
  ['new CachedClock with a NaN resolution', () => new CachedClock({ resolutionMs: Number.NaN })],
  ['new CachedClock with a string resolution', () => new CachedClock({ resolutionMs: '1' as never })],
  ['new Inbox with options that are not an object', () => new Inbox(1 as never)],
  ['new Inbox with a negative buffer limit', () => new Inbox({ iteratorBufferLimit: -1 })],
  ['new Inbox with a fractional buffer limit', () => new Inbox({ iteratorBufferLimit: 1.5 })],
  ['Inbox.onMessage with a non-function', () => new Inbox().onMessage('x' as never)],
  ['Inbox.onError with a non-function', () => new Inbox().onError(undefined as never)],
  ['Observable.on with a non-function', () => new Observable<{ error: LatticeError }>().on('error', null as never)],
  ['assertNodeId with an empty string', () => assertNodeId('')],
  ['assertNodeId with a number', () => assertNodeId(1)],
  ['new ProtocolDriver without options', () => new ProtocolDriver(undefined as never)],
  ['assertInteger with Infinity', () => assertInteger(Number.POSITIVE_INFINITY, 'n', 0)],
  ['assertNumber with NaN', () => assertNumber(Number.NaN, 'n', 0)],
  ['assertDelay above the timer limit', () => assertDelay(2 ** 31, 'delayMs')],
  ['assertOptionalClock with an object without now', () => assertOptionalClock({})],
  ['assertOptionalRandom with a function', () => assertOptionalRandom(() => 0)],
];

function driverOptions(extra: object): object {
  const core: ProtocolCore<never, never, never> = {
    step: () => undefined,
    tick: () => undefined,
    wakeAt: () => undefined,
    hasReady: () => false,
    ready: () => emptyReady(),
    advance: () => undefined,
  };
  const endpoint: Partial<Endpoint> = { send: async () => undefined, onMessage: () => () => undefined };
  return { core, endpoint, codec: jsonCodec(), ...extra };
}

describe('bad arguments get a typed error where they are passed', () => {
  it.each(wrongCalls)('%s', (_name, call) => {
    expect(codeOf(call)).toBe(InvalidArgumentError.code);
  });

  it('ProtocolDriver refuses storage, apply, accepts, clock and timers of the wrong shape', () => {
    for (const extra of [{ storage: {} }, { apply: 1 }, { accepts: 'yes' }, { clock: Date }, { timers: { setTimeout() {} } }]) {
      expect(codeOf(() => new ProtocolDriver(driverOptions(extra) as never))).toBe(InvalidArgumentError.code);
    }
  });

  it('ProtocolDriver.run with a non-function is refused and the node keeps running', () => {
    const driver = new ProtocolDriver(driverOptions({}) as never);
    expect(codeOf(() => driver.run('propose' as never))).toBe(InvalidArgumentError.code);
    expect(driver.stopped).toBe(false);
    void driver.stop();
  });

  it('decoding something that is not bytes is a DecodeError, not a TypeError', () => {
    expect(codeOf(() => jsonCodec().decode('{}' as never))).toBe(DecodeError.code);
    expect(codeOf(() => new ByteReader('abc' as never))).toBe(DecodeError.code);
  });

  it('the right calls still work', async () => {
    const writer = new ByteWriter();
    writer.f64(1.5);
    writer.raw(new Uint8Array([7]));
    writer.bytes(new Uint8Array([8]));
    writer.string('é');
    const reader = new ByteReader(writer.finish());
    expect([reader.f64(), reader.raw(1)[0], reader.bytes()[0], reader.string()]).toEqual([1.5, 7, 8, 'é']);
    const codec = jsonCodec<{ n: number }>();
    expect(codec.decode(codec.encode({ n: 1 }))).toEqual({ n: 1 });
    await expect(raceAbort(Promise.resolve(1), new AbortController().signal)).resolves.toBe(1);
    expect(new Inbox({ iteratorBufferLimit: 0 }).closed).toBe(false);
    expect([joinPath('', 'a'), joinPath('d', 'a'), joinPath('d/', 'a')]).toEqual(['a', 'd/a', 'd/a']);
  });
});
