import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '@lattice/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWal } from '../src/index.js';
import { WriterThread } from '../src/writer-thread.js';
import { payloadFor, sameBytes, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('thread'));
});
afterEach(async () => {
  await cleanup();
});

describe('WriterThread', () => {
  it('writes requests in order, from shared and unshared memory', async () => {
    const thread = new WriterThread();
    const path = join(dir, 'file');
    const fd = openSync(path, 'w+');
    try {
      const shared = new Uint8Array(new SharedArrayBuffer(8)).fill(1);
      const done = [thread.write(fd, [shared.subarray(0, 4), new Uint8Array([2, 2])], 0, true), thread.write(fd, [new Uint8Array([3])], 5, false)];
      await Promise.all(done);
      expect([...readFileSync(path)]).toEqual([1, 1, 1, 1, 2, 3]);
    } finally {
      closeSync(fd);
      await thread.close();
    }
  });

  it('after a failed write it writes nothing more: every later request fails with the same error', async () => {
    const thread = new WriterThread();
    const path = join(dir, 'file');
    const fd = openSync(path, 'w+');
    const readOnly = openSync(path, 'r'); // writing through it fails with EBADF
    try {
      const [failed, after] = await Promise.allSettled([
        thread.write(readOnly, [new Uint8Array([9])], 0, false),
        thread.write(fd, [new Uint8Array([1])], 0, false),
      ]);
      expect(failed).toMatchObject({ status: 'rejected', reason: { code: 'EBADF' } });
      expect(after).toMatchObject({ status: 'rejected', reason: { code: 'EBADF' } });
      expect(readFileSync(path).length).toBe(0);
    } finally {
      closeSync(readOnly);
      closeSync(fd);
      await thread.close();
    }
  });
});

describe('openWal with the writer thread', () => {
  it('closed-loop writers through rotations, a compaction and a truncation keep every record in place', async () => {
    const wal = await openWal(dir, { segmentSize: 16 * 1024, writerThread: 'always' });
    const tags = new Map<number, number>();
    let next = 0;
    const writer = async (rounds: number): Promise<void> => {
      for (let r = 0; r < rounds; r++) {
        const tag = next++;
        tags.set(await wal.append(payloadFor(tag, 200)), tag);
      }
    };
    await Promise.all(Array.from({ length: 32 }, () => writer(20)));
    expect(wal.lastIndex).toBe(640);
    await wal.dropPrefix(300);
    await Promise.all([...Array.from({ length: 32 }, () => writer(10)), wal.truncateSuffix(900)]);
    const last = wal.lastIndex;
    await wal.close();
    const again = await openWal(dir, { segmentSize: 16 * 1024 });
    expect([again.firstIndex, again.lastIndex]).toEqual([300, last]);
    for await (const { index, data } of again.entries()) expect(sameBytes(data, payloadFor(tags.get(index)!, 200))).toBe(true);
    await again.close();
  });

  it('rejects an unknown writerThread setting', async () => {
    await expect(openWal(dir, { writerThread: 'sometimes' as never })).rejects.toMatchObject({ code: InvalidArgumentError.code });
  });
});
