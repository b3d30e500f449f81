import { InvalidArgumentError, seededRandom } from '@lattice/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimDisk } from '../src/index.js';

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

describe('SimDisk', () => {
  it('keeps synced writes and loses unsynced ones on crash', () => {
    const disk = new SimDisk();
    disk.write('term', bytes(1));
    disk.append('log', bytes(1, 2));
    disk.sync();
    disk.write('term', bytes(2));
    disk.append('log', bytes(3));
    disk.write('new', bytes(9));
    disk.delete('log');
    expect(disk.read('log')).toBeUndefined();
    expect(disk.unsynced).toBe(4);
    const loss = disk.crash(seededRandom(1));
    expect(loss).toEqual({ lost: 4 });
    expect(disk.read('term')).toEqual(bytes(1));
    expect(disk.read('log')).toEqual(bytes(1, 2));
    expect(disk.read('new')).toBeUndefined();
    expect(disk.keys()).toEqual(['log', 'term']);
  });

  it('returns copies, so callers cannot change stored bytes', () => {
    const disk = new SimDisk();
    const data = bytes(1, 2, 3);
    disk.write('a', data);
    data[0] = 99;
    const read = disk.read('a')!;
    read[1] = 99;
    expect(disk.read('a')).toEqual(bytes(1, 2, 3));
  });

  it('with tornWrites, lands a strict prefix of the last unsynced append', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer(), (durable, appended, seed) => {
        const disk = new SimDisk({ tornWrites: true });
        disk.append('wal', durable);
        disk.sync();
        disk.append('wal', appended);
        const loss = disk.crash(seededRandom(seed));
        expect(loss.torn?.key).toBe('wal');
        const landed = loss.torn!.bytesWritten;
        expect(landed).toBeLessThan(appended.length);
        expect(disk.read('wal')).toEqual(new Uint8Array([...durable, ...appended.subarray(0, landed)]));
      }),
    );
  });

  it('with tornWrites, a torn overwrite keeps the old bytes past the landed prefix', () => {
    const disk = new SimDisk({ tornWrites: true });
    disk.write('meta', bytes(1, 1, 1, 1, 1, 1, 1, 1));
    disk.sync();
    disk.write('meta', bytes(2, 2, 2, 2));
    const loss = disk.crash(seededRandom(3));
    const landed = loss.torn!.bytesWritten;
    const expected = bytes(1, 1, 1, 1, 1, 1, 1, 1);
    expected.fill(2, 0, landed);
    expect(disk.read('meta')).toEqual(expected);
  });

  it('rejects bad keys and non-byte data with typed errors', () => {
    const disk = new SimDisk();
    expect(() => disk.write('', bytes(1))).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
    expect(() => disk.append('a', [1, 2] as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
  });
});
