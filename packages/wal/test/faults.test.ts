import { spawnSync } from 'node:child_process';
import { readdir, readFile, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isLatticeError, UnsupportedVersionError } from '@lattice/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FRAME_HEADER_SIZE, frameSize, SEGMENT_HEADER_SIZE } from '../src/format.js';
import { openWal, WalCorruptionError, WalLockedError, WalMissingSegmentError, type WriteAheadLog } from '../src/index.js';
import { payloadFor, sameBytes, tempDir } from './helpers.js';

const SEGMENT_SIZE = 8192;

let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('faults'));
});
afterEach(async () => {
  await cleanup();
});

async function segments(): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.wal')).sort();
}

/** Writes records with the given tags and closes the log; returns each record's frame offset in its segment. */
async function writeLog(tags: number[], maxLength = 300): Promise<number[]> {
  const wal = await openWal(dir, { segmentSize: SEGMENT_SIZE });
  await wal.append(tags.map((tag) => payloadFor(tag, maxLength)));
  await wal.close();
  const offsets: number[] = [];
  let at = SEGMENT_HEADER_SIZE;
  for (const tag of tags) {
    const size = frameSize(payloadFor(tag, maxLength).length);
    if (at + size > SEGMENT_SIZE) at = SEGMENT_HEADER_SIZE;
    offsets.push(at);
    at += size;
  }
  return offsets;
}

async function expectRecords(wal: WriteAheadLog, tags: number[], maxLength = 300): Promise<void> {
  expect(wal.lastIndex - wal.firstIndex + 1).toBe(tags.length);
  let i = 0;
  for await (const { data } of wal.entries()) {
    expect(sameBytes(data, payloadFor(tags[i]!, maxLength))).toBe(true);
    i++;
  }
  expect(i).toBe(tags.length);
}

async function openError(): Promise<unknown> {
  try {
    const wal = await openWal(dir, { segmentSize: SEGMENT_SIZE });
    await wal.close();
  } catch (error) {
    return error;
  }
  throw new Error('open succeeded on a damaged log');
}

async function flipBit(file: string, offset: number, bit = 0): Promise<void> {
  const path = join(dir, file);
  const bytes = await readFile(path);
  bytes[offset]! ^= 1 << bit;
  await writeFile(path, bytes);
}

describe('torn final record', () => {
  // A final record of 40..80 bytes keeps "every byte offset" to about a hundred reopens.
  let finalTag = 5;
  while (payloadFor(finalTag, 300).length < 40 || payloadFor(finalTag, 300).length > 80) finalTag++;
  const tags = [1, 2, 3, 4, finalTag];

  it('file cut at every byte offset of the final frame: opens at the last complete record', async () => {
    const offsets = await writeLog(tags);
    const [name] = await segments();
    const path = join(dir, name!);
    const original = await readFile(path);
    const start = offsets[4]!;
    const recordEnd = start + FRAME_HEADER_SIZE + payloadFor(finalTag, 300).length;
    const paddedEnd = start + frameSize(payloadFor(finalTag, 300).length);
    for (let cut = start; cut <= paddedEnd; cut++) {
      await writeFile(path, original);
      await truncate(path, cut);
      const wal = await openWal(dir, { segmentSize: SEGMENT_SIZE });
      try {
        // Cut inside the frame: the record is torn. Cut in its zero padding: it is whole.
        const complete = cut >= recordEnd;
        expect(wal.lastIndex).toBe(complete ? 5 : 4);
        await expectRecords(wal, complete ? tags : tags.slice(0, 4));
        if (complete) await wal.truncateSuffix(4);
      } finally {
        await wal.close();
      }
    }
    // After the last repair the log takes new records and keeps them.
    const wal = await openWal(dir, { segmentSize: SEGMENT_SIZE });
    expect(await wal.append(payloadFor(99, 300))).toBe(5);
    await wal.close();
    const again = await openWal(dir, { segmentSize: SEGMENT_SIZE });
    await expectRecords(again, [1, 2, 3, 4, 99]);
    await again.close();
  });

  it('final frame written only up to every byte offset (rest still preallocated zeros): opens at the last complete record', async () => {
    const offsets = await writeLog(tags);
    const [name] = await segments();
    const path = join(dir, name!);
    const original = await readFile(path);
    const start = offsets[4]!;
    const end = start + FRAME_HEADER_SIZE + payloadFor(finalTag, 300).length;
    for (let written = start; written < end; written++) {
      const torn = Buffer.from(original);
      torn.fill(0, written, end);
      await writeFile(path, torn);
      const wal = await openWal(dir, { segmentSize: SEGMENT_SIZE });
      try {
        expect(wal.lastIndex).toBe(4);
        await expectRecords(wal, tags.slice(0, 4));
        expect(await wal.append(payloadFor(42, 300))).toBe(5);
      } finally {
        await wal.close();
      }
      const reopened = await openWal(dir, { segmentSize: SEGMENT_SIZE });
      await expectRecords(reopened, [1, 2, 3, 4, 42]);
      await reopened.close();
    }
  });

  it('a bit flip inside the final record is indistinguishable from a torn write and is cut off', async () => {
    const offsets = await writeLog(tags);
    const [name] = await segments();
    await flipBit(name!, offsets[4]! + FRAME_HEADER_SIZE + 3);
    const wal = await openWal(dir, { segmentSize: SEGMENT_SIZE });
    expect(wal.lastIndex).toBe(4);
    await wal.close();
  });
});

describe('corruption before the tail', () => {
  it('a bit flip in any non-final record (payload, length, index or checksum) is a typed error naming the file and offset', async () => {
    const tags = [11, 12, 13, 14, 15, 16];
    const offsets = await writeLog(tags);
    const [name] = await segments();
    const path = join(dir, name!);
    const original = await readFile(path);
    for (let record = 0; record < tags.length - 1; record++) {
      for (const field of [0, 4, 8, FRAME_HEADER_SIZE + 1]) {
        await writeFile(path, original);
        await flipBit(name!, offsets[record]! + field, 5);
        const error = (await openError()) as WalCorruptionError;
        expect(isLatticeError(error, WalCorruptionError.code)).toBe(true);
        expect(error.segment).toBe(name);
        expect(error.offset).toBe(offsets[record]);
        expect(error.message).toContain(name);
      }
    }
  });

  it('a bit flip in a record of an older segment is a typed error naming that segment', async () => {
    const tags = Array.from({ length: 150 }, (_, i) => i + 1);
    await writeLog(tags);
    const names = await segments();
    expect(names.length).toBeGreaterThan(2);
    await flipBit(names[1]!, SEGMENT_HEADER_SIZE + FRAME_HEADER_SIZE);
    const error = (await openError()) as WalCorruptionError;
    expect(error.code).toBe(WalCorruptionError.code);
    expect(error.segment).toBe(names[1]);
    expect(error.offset).toBe(SEGMENT_HEADER_SIZE);
  });

  it('a damaged segment header is a typed error at offset 0', async () => {
    await writeLog([1, 2, 3]);
    const [name] = await segments();
    await flipBit(name!, 9);
    const error = (await openError()) as WalCorruptionError;
    expect(error.code).toBe(WalCorruptionError.code);
    expect([error.segment, error.offset]).toEqual([name, 0]);
  });

  it('a refused open releases the lock: once the file is restored, the next open succeeds', async () => {
    await writeLog(Array.from({ length: 150 }, (_, i) => i + 1));
    const names = await segments();
    const path = join(dir, names[1]!);
    const original = await readFile(path);
    await flipBit(names[1]!, SEGMENT_HEADER_SIZE + 2);
    expect(isLatticeError(await openError(), WalCorruptionError.code)).toBe(true);
    await writeFile(path, original);
    const wal = await openWal(dir, { segmentSize: SEGMENT_SIZE });
    expect(wal.lastIndex).toBe(150);
    await wal.close();
  });

  it('a damaged metadata file is a typed error naming it', async () => {
    const wal = await openWal(dir, { segmentSize: SEGMENT_SIZE });
    await wal.setMetadata(new TextEncoder().encode('term 7'));
    await wal.close();
    await flipBit('meta', 25);
    const error = (await openError()) as WalCorruptionError;
    expect(error.code).toBe(WalCorruptionError.code);
    expect(error.segment).toBe('meta');
  });

  it('a metadata file of a newer format version is an UnsupportedVersionError, not corruption', async () => {
    const wal = await openWal(dir, { segmentSize: SEGMENT_SIZE });
    await wal.setMetadata(new TextEncoder().encode('term 7'));
    await wal.close();
    const path = join(dir, 'meta');
    const bytes = await readFile(path);
    new DataView(bytes.buffer, bytes.byteOffset, bytes.length).setUint32(4, 2, true);
    await writeFile(path, bytes);
    expect(await openError()).toMatchObject({ code: UnsupportedVersionError.code, version: 2, supported: 1 });
  });

  it('damage found by a read after open is a typed error, not wrong bytes', async () => {
    const offsets = await writeLog([1, 2, 3]);
    const wal = await openWal(dir, { segmentSize: SEGMENT_SIZE });
    try {
      const [name] = await segments();
      await flipBit(name!, offsets[1]! + FRAME_HEADER_SIZE);
      await expect(wal.read(2)).rejects.toMatchObject({ code: WalCorruptionError.code, segment: name, offset: offsets[1] });
      expect(sameBytes(await wal.read(1), payloadFor(1, 300))).toBe(true);
    } finally {
      await wal.close();
    }
  });
});

describe('missing segments', () => {
  it('a deleted middle segment is a typed error naming the missing indexes', async () => {
    const tags = Array.from({ length: 150 }, (_, i) => i + 1);
    await writeLog(tags);
    const names = await segments();
    expect(names.length).toBeGreaterThan(2);
    await unlink(join(dir, names[1]!));
    const error = (await openError()) as WalMissingSegmentError;
    expect(error.code).toBe(WalMissingSegmentError.code);
    expect(error.missingFrom).toBe(Number(names[1]!.slice(0, 20)));
    expect(error.missingTo).toBe(Number(names[2]!.slice(0, 20)) - 1);
    expect(error.nextSegment).toBe(names[2]);
  });

  it('a deleted first segment is a typed error', async () => {
    await writeLog(Array.from({ length: 150 }, (_, i) => i + 1));
    const names = await segments();
    await unlink(join(dir, names[0]!));
    const error = (await openError()) as WalMissingSegmentError;
    expect(error.code).toBe(WalMissingSegmentError.code);
    expect(error.missingFrom).toBe(1);
  });

  it('a first segment compacted away by dropPrefix is not missing', async () => {
    const wal = await openWal(dir, { segmentSize: SEGMENT_SIZE });
    await wal.append(Array.from({ length: 80 }, (_, i) => payloadFor(i + 1, 300)));
    await wal.dropPrefix(60);
    await wal.close();
    const again = await openWal(dir, { segmentSize: SEGMENT_SIZE });
    expect([again.firstIndex, again.lastIndex]).toEqual([60, 80]);
    await again.close();
  });
});

describe('leftovers and locks', () => {
  it('ignores and removes temporary files left by a crash', async () => {
    await writeLog([1, 2]);
    await writeFile(join(dir, 'meta.tmp'), 'half a metadata file');
    await writeFile(join(dir, 'next-segment.tmp'), Buffer.alloc(100, 7));
    const wal = await openWal(dir, { segmentSize: SEGMENT_SIZE });
    await expectRecords(wal, [1, 2]);
    await wal.close();
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('takes over the lock of a process that died, and refuses one held by a live process', async () => {
    await writeLog([1]);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    await writeFile(join(dir, 'LOCK'), `${dead}\n`);
    const wal = await openWal(dir, { segmentSize: SEGMENT_SIZE });
    await wal.close();
    await writeFile(join(dir, 'LOCK'), `${process.pid}\n`);
    const error = await openError();
    expect(isLatticeError(error, WalLockedError.code)).toBe(true);
  });
});
