import { ClosedError, InvalidArgumentError, type LatticeError } from '@lattice/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crc32c, MemoryWal, MemoryWalStorage, openWal, type WriteAheadLog } from '../src/index.js';
import { tempDir } from './helpers.js';
import { codeOf } from '@lattice/test-kit';


/** The code an async call rejects with (a non-Lattice error fails the test). */
async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toHaveProperty('code');
    return (error as LatticeError).code;
  }
  throw new Error('expected a rejection');
}

const wrongOptions: [string, unknown][] = [
  ['options that are not an object', 5],
  ['null options', null],
  ['segmentSize NaN', { segmentSize: Number.NaN }],
  ['segmentSize a string', { segmentSize: '1048576' }],
  ['maxRecordSize negative', { maxRecordSize: -1 }],
  ['maxBatchBytes Infinity', { maxBatchBytes: Number.POSITIVE_INFINITY }],
  ['recycleSegments a fraction', { recycleSegments: 0.5 }],
  ['writerThread unknown', { writerThread: 'sometimes' }],
  ['fs that is not a FileSystem', { fs: {} }],
  ['fs without lock', { fs: { open() {}, readFile() {}, rename() {}, remove() {}, list() {}, mkdir() {}, stat() {}, syncDirectory() {} } }],
  ['signal that is not an AbortSignal', { signal: 'x' }],
];

/** Wrong calls on an open log: each must reject with an InvalidArgumentError and change nothing. */
const wrongCalls: [string, (wal: WriteAheadLog) => Promise<unknown>][] = [
  ['append of a string', (wal) => wal.append('abc' as never)],
  ['append of undefined', (wal) => wal.append(undefined as never)],
  ['append of an array of numbers', (wal) => wal.append([1, 2] as never)],
  ['append of a DataView', (wal) => wal.append(new DataView(new ArrayBuffer(4)) as never)],
  ['append with options that are not an object', (wal) => wal.append(new Uint8Array(1), 5 as never)],
  ['append with a signal that is not an AbortSignal', (wal) => wal.append(new Uint8Array(1), { signal: {} as never })],
  ['read of NaN', (wal) => wal.read(Number.NaN)],
  ['read of a string', (wal) => wal.read('1' as never)],
  ['truncateSuffix of -1', (wal) => wal.truncateSuffix(-1)],
  ['dropPrefix of a fraction', (wal) => wal.dropPrefix(1.5)],
  ['setMetadata of a string', (wal) => wal.setMetadata('meta' as never)],
  ['entries from a string', async (wal) => wal.entries('a' as never).next()],
  ['entries to NaN', async (wal) => wal.entries(1, Number.NaN).next()],
];

describe('openWal: bad arguments get a typed error', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('bad-arguments'));
  });
  afterEach(async () => cleanup());

  it('refuses a dir that is not a path', async () => {
    expect(await rejection(openWal(5 as never))).toBe(InvalidArgumentError.code);
    expect(await rejection(openWal(''))).toBe(InvalidArgumentError.code);
  });

  it.each(wrongOptions)('refuses %s', async (_name, options) => {
    expect(await rejection(openWal(dir, options as never))).toBe(InvalidArgumentError.code);
  });

  it.each(wrongCalls)('%s is refused and changes nothing', async (_name, call) => {
    const wal = await openWal(dir, { writerThread: 'never' });
    try {
      await wal.append(new Uint8Array([1]));
      expect(await rejection(call(wal))).toBe(InvalidArgumentError.code);
      expect([wal.firstIndex, wal.lastIndex]).toEqual([1, 1]);
      expect(await wal.read(1)).toEqual(new Uint8Array([1]));
    } finally {
      await wal.close();
    }
  });

  it('refuses use after close with ClosedError', async () => {
    const wal = await openWal(dir, { writerThread: 'never' });
    await wal.close();
    expect(await rejection(wal.append(new Uint8Array(1)))).toBe(ClosedError.code);
    expect(await rejection(wal.read(1))).toBe(ClosedError.code);
  });
});

describe('MemoryWal: bad arguments get a typed error', () => {
  it('refuses bad options', () => {
    expect(codeOf(() => new MemoryWal(5 as never))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => new MemoryWal({ storage: {} as never }))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => new MemoryWal({ maxRecordSize: Number.NaN }))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => new MemoryWalStorage(5 as never))).toBe(InvalidArgumentError.code);
  });

  it.each(wrongCalls)('%s is refused and changes nothing', async (_name, call) => {
    const wal = new MemoryWal();
    await wal.append(new Uint8Array([1]));
    expect(await rejection(call(wal))).toBe(InvalidArgumentError.code);
    expect([wal.firstIndex, wal.lastIndex]).toEqual([1, 1]);
    await wal.close();
  });

  it('refuses use after close with ClosedError', async () => {
    const wal = new MemoryWal();
    await wal.close();
    expect(await rejection(wal.append(new Uint8Array(1)))).toBe(ClosedError.code);
  });
});

describe('crc32c', () => {
  it('refuses what is not bytes, indices outside them and a crc that is not 32 bits', () => {
    const bytes = new TextEncoder().encode('123456789');
    for (const call of [
      () => crc32c(undefined as never),
      () => crc32c('123456789' as never),
      () => crc32c([1, 2, 3] as never),
      () => crc32c(bytes, -1),
      () => crc32c(bytes, 0, 10),
      () => crc32c(bytes, 5, 4),
      () => crc32c(bytes, 0.5),
      () => crc32c(bytes, 0, bytes.length, 2 ** 32),
      () => crc32c(bytes, 0, bytes.length, Number.NaN),
    ]) {
      expect(codeOf(call)).toBe(InvalidArgumentError.code);
    }
    expect(crc32c(bytes).toString(16)).toBe('e3069283');
    expect(crc32c(bytes, 4, 9, crc32c(bytes, 0, 4))).toBe(crc32c(bytes));
  });
});
