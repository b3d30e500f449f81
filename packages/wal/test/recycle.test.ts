import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, isLatticeError, UnsupportedVersionError } from '@lattice/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crc32c } from '../src/crc32c.js';
import { END_MARKER_SIZE, FRAME_HEADER_SIZE, frameSize, SEGMENT_HEADER_SIZE } from '../src/format.js';
import { openWal, WalCorruptionError, type WriteAheadLog } from '../src/index.js';
import { payloadFor, sameBytes, tempDir } from './helpers.js';

const SEGMENT_SIZE = 8192;
const MAX_LENGTH = 300;

let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('recycle'));
});
afterEach(async () => {
  await cleanup();
});

async function files(pattern: RegExp): Promise<string[]> {
  return (await readdir(dir)).filter((name) => pattern.test(name)).sort();
}

async function expectTags(wal: WriteAheadLog, first: number, tags: number[]): Promise<void> {
  expect([wal.firstIndex, wal.lastIndex]).toEqual([first, first + tags.length - 1]);
  let i = 0;
  for await (const { index, data } of wal.entries()) {
    expect(index).toBe(first + i);
    expect(sameBytes(data, payloadFor(tags[i]!, MAX_LENGTH))).toBe(true);
    i++;
  }
  expect(i).toBe(tags.length);
}

/**
 * A log whose last segment is a recycled file: records 1..200 fill several segments, a
 * compaction recycles them, and the records appended after it (tags 1000+) land in recycled
 * files full of stale frames. Returns the live tags, from index 181.
 */
async function recycledLog(extra: number): Promise<{ tags: number[]; last: string }> {
  const wal = await openWal(dir, { segmentSize: SEGMENT_SIZE });
  await wal.append(Array.from({ length: 200 }, (_, i) => payloadFor(i + 1, MAX_LENGTH)));
  await wal.dropPrefix(181);
  expect((await files(/^recycled-/)).length).toBeGreaterThan(1);
  // Fill the current segment until the log moves on to a recycled file, then `extra` more.
  const added: number[] = [];
  const before = (await files(/\.wal$/)).length;
  while ((await files(/\.wal$/)).length === before) {
    added.push(1000 + added.length);
    await wal.append(payloadFor(added[added.length - 1]!, MAX_LENGTH));
  }
  for (let i = 0; i < extra; i++) {
    added.push(1000 + added.length);
    await wal.append(payloadFor(added[added.length - 1]!, MAX_LENGTH));
  }
  await wal.close();
  const segments = await files(/\.wal$/);
  return { tags: [...Array.from({ length: 20 }, (_, i) => 181 + i), ...added], last: segments[segments.length - 1]! };
}

/** Offset of each record's frame in the segment that starts at `base`, from the file itself. */
async function frameOffsets(name: string): Promise<number[]> {
  const bytes = await readFile(join(dir, name));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const base = Number(name.slice(0, 20));
  const offsets: number[] = [];
  let at = SEGMENT_HEADER_SIZE;
  while (at + FRAME_HEADER_SIZE <= bytes.length && view.getUint32(at + 8, true) === base + offsets.length) {
    offsets.push(at);
    at += frameSize(view.getUint32(at + 4, true));
  }
  return offsets;
}

describe('segment recycling', () => {
  it('reuses files released by dropPrefix; after reopen only the live records are there, never stale frames', async () => {
    const { tags, last } = await recycledLog(60);
    // The new segments were made from recycled files: past their records lie stale frames.
    const bytes = await readFile(join(dir, last));
    const offsets = await frameOffsets(last);
    const end = offsets[offsets.length - 1]! + frameSize(payloadFor(tags[tags.length - 1]!, MAX_LENGTH).length);
    expect(bytes.subarray(end, end + END_MARKER_SIZE).every((b) => b === 0)).toBe(true);
    expect(bytes.subarray(end + END_MARKER_SIZE).some((b) => b !== 0)).toBe(true);
    const wal = await openWal(dir, { segmentSize: SEGMENT_SIZE });
    await expectTags(wal, 181, tags);
    // Appends continue at the right index and survive another reopen.
    expect(await wal.append(payloadFor(5000, MAX_LENGTH))).toBe(181 + tags.length);
    await wal.close();
    const again = await openWal(dir, { segmentSize: SEGMENT_SIZE });
    await expectTags(again, 181, [...tags, 5000]);
    await again.close();
  });

  it('keeps at most recycleSegments files, keeps them across a reopen, and deletes them with 0', async () => {
    const wal = await openWal(dir, { segmentSize: SEGMENT_SIZE, recycleSegments: 2 });
    await wal.append(Array.from({ length: 200 }, (_, i) => payloadFor(i + 1, MAX_LENGTH)));
    await wal.dropPrefix(190);
    await wal.close();
    expect(await files(/^recycled-/)).toHaveLength(2);
    const reopened = await openWal(dir, { segmentSize: SEGMENT_SIZE, recycleSegments: 0 });
    expect(await files(/^recycled-/)).toHaveLength(0);
    await reopened.close();
    await expect(openWal(dir, { recycleSegments: -1 })).rejects.toMatchObject({ code: InvalidArgumentError.code });
  });

  it('a final frame torn over stale bytes (every cut point) opens at the last complete record', async () => {
    const { tags, last } = await recycledLog(12);
    const path = join(dir, last);
    const original = await readFile(path);
    const offsets = await frameOffsets(last);
    const start = offsets[offsets.length - 1]!;
    const end = start + FRAME_HEADER_SIZE + payloadFor(tags[tags.length - 1]!, MAX_LENGTH).length;
    // The bytes that were there before the final write: a stale frame's, from another place in the file.
    const stale = original.subarray(end + 64, end + 64 + (end - start) + END_MARKER_SIZE);
    for (let written = start; written < end; written += 7) {
      const torn = Buffer.from(original);
      torn.set(stale.subarray(written - start), written);
      await writeFile(path, torn);
      const wal = await openWal(dir, { segmentSize: SEGMENT_SIZE });
      try {
        await expectTags(wal, 181, tags.slice(0, -1));
        expect(await wal.append(payloadFor(77, MAX_LENGTH))).toBe(181 + tags.length - 1);
      } finally {
        await wal.close();
      }
      const reopened = await openWal(dir, { segmentSize: SEGMENT_SIZE });
      await expectTags(reopened, 181, [...tags.slice(0, -1), 77]);
      await reopened.close();
    }
  });

  it('a batch written without its end marker (stale bytes right after it) opens with every record', async () => {
    const { tags, last } = await recycledLog(12);
    const path = join(dir, last);
    const bytes = await readFile(path);
    const offsets = await frameOffsets(last);
    const end = offsets[offsets.length - 1]! + frameSize(payloadFor(tags[tags.length - 1]!, MAX_LENGTH).length);
    bytes.fill(0xa5, end, end + END_MARKER_SIZE);
    await writeFile(path, bytes);
    const wal = await openWal(dir, { segmentSize: SEGMENT_SIZE });
    await expectTags(wal, 181, tags);
    await wal.close();
  });

  it('a valid stale frame right after the records (end marker lost) ends the records and is never returned', async () => {
    // An intact frame of an older index where the next record would go: only the index
    // check tells it apart. It must end the records, not extend them.
    const { tags, last } = await recycledLog(12);
    const path = join(dir, last);
    const bytes = await readFile(path);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const offsets = await frameOffsets(last);
    const end = offsets[offsets.length - 1]! + frameSize(payloadFor(tags[tags.length - 1]!, MAX_LENGTH).length);
    const payload = payloadFor(3, MAX_LENGTH);
    view.setUint32(end + 4, payload.length, true);
    view.setUint32(end + 8, 3, true); // an index below the segment's base
    view.setUint32(end + 12, 0, true);
    bytes.set(payload, end + FRAME_HEADER_SIZE);
    view.setUint32(end, crc32c(bytes, end + 4, end + FRAME_HEADER_SIZE + payload.length), true);
    await writeFile(path, bytes);
    const wal = await openWal(dir, { segmentSize: SEGMENT_SIZE });
    await expectTags(wal, 181, tags);
    await wal.close();
  });

  it('a recycled segment whose records end less than a frame header before its end (stale bytes there) opens, with the segments after it', async () => {
    const size = 4096;
    const record = (length: number, fill: number): Uint8Array => new Uint8Array(length).fill(fill);
    const wal = await openWal(dir, { segmentSize: size, recycleSegments: 4 });
    // Index 1 fills segment 1 to its last byte (no room for an end marker): its payload lies under the file's end.
    await wal.append(record(size - SEGMENT_HEADER_SIZE - FRAME_HEADER_SIZE, 0xab));
    await wal.append(record(8, 2)); // index 2 starts segment 2
    await wal.dropPrefix(2); // segment 1's file is recycled
    expect(await files(/^recycled-/)).toHaveLength(1);
    // Index 3 does not fit in segment 2: it starts segment 3, in the recycled file, and ends 8 bytes before its end.
    const third = size - SEGMENT_HEADER_SIZE - FRAME_HEADER_SIZE - 8;
    await wal.append(record(third, 3));
    await wal.append(record(8, 4)); // index 4 does not fit in those 8 bytes: segment 4
    await wal.close();
    expect(await files(/\.wal$/)).toEqual(['00000000000000000002.wal', '00000000000000000003.wal', '00000000000000000004.wal']);
    // The 8 bytes after index 3's frame are the stale payload of index 1, not zeros.
    const bytes = await readFile(join(dir, '00000000000000000003.wal'));
    expect(bytes.length).toBe(size);
    expect([...bytes.subarray(size - 8)]).toEqual(new Array(8).fill(0xab));

    const reopened = await openWal(dir, { segmentSize: size, recycleSegments: 4 });
    try {
      expect([reopened.firstIndex, reopened.lastIndex]).toEqual([2, 4]);
      expect(sameBytes(await reopened.read(3), record(third, 3))).toBe(true);
      expect(sameBytes(await reopened.read(4), record(8, 4))).toBe(true);
      expect(await reopened.append(record(8, 5))).toBe(5);
    } finally {
      await reopened.close();
    }
  });

  it('corruption of a record in a recycled segment is still a typed error naming the segment and offset', async () => {
    const { last } = await recycledLog(12);
    const offsets = await frameOffsets(last);
    const path = join(dir, last);
    const original = await readFile(path);
    for (const record of [0, 3, offsets.length - 2]) {
      const bytes = Buffer.from(original);
      bytes[offsets[record]! + FRAME_HEADER_SIZE + 1]! ^= 0x10;
      await writeFile(path, bytes);
      const error = (await openWal(dir, { segmentSize: SEGMENT_SIZE }).then(
        (wal) => wal.close().then(() => undefined),
        (e: unknown) => e,
      )) as WalCorruptionError;
      expect(isLatticeError(error, WalCorruptionError.code)).toBe(true);
      expect([error.segment, error.offset]).toEqual([last, offsets[record]]);
    }
  });

  it('a zeroed frame header with intact records after it is corruption, not the end of the log', async () => {
    const { last } = await recycledLog(12);
    const offsets = await frameOffsets(last);
    const bytes = await readFile(join(dir, last));
    bytes.fill(0, offsets[4]!, offsets[4]! + FRAME_HEADER_SIZE);
    await writeFile(join(dir, last), bytes);
    const error = (await openWal(dir, { segmentSize: SEGMENT_SIZE }).then(
      (wal) => wal.close().then(() => undefined),
      (e: unknown) => e,
    )) as WalCorruptionError;
    expect(isLatticeError(error, WalCorruptionError.code)).toBe(true);
    expect([error.segment, error.offset]).toEqual([last, offsets[4]]);
  });

  it('reads version 1 segments (zero-filled, no end marker), refuses a newer version as UnsupportedVersionError and version 0 as corruption', async () => {
    const wal = await openWal(dir, { segmentSize: SEGMENT_SIZE });
    await wal.append([1, 2, 3].map((tag) => payloadFor(tag, MAX_LENGTH)));
    await wal.close();
    const [name] = await files(/\.wal$/);
    const path = join(dir, name!);
    const setVersion = async (version: number): Promise<void> => {
      const bytes = await readFile(path);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      view.setUint32(4, version, true);
      view.setUint32(28, crc32c(bytes, 0, 28), true);
      await writeFile(path, bytes);
    };
    await setVersion(1);
    const v1 = await openWal(dir, { segmentSize: SEGMENT_SIZE });
    await expectTags(v1, 1, [1, 2, 3]);
    await v1.close();
    await setVersion(3);
    await expect(openWal(dir, { segmentSize: SEGMENT_SIZE })).rejects.toMatchObject({ code: UnsupportedVersionError.code, version: 3, supported: 2 });
    await setVersion(0);
    await expect(openWal(dir, { segmentSize: SEGMENT_SIZE })).rejects.toMatchObject({ code: WalCorruptionError.code, segment: name, offset: 0 });
    // Refusing touched nothing: back at a version it reads, every record is there.
    await setVersion(2);
    const again = await openWal(dir, { segmentSize: SEGMENT_SIZE });
    await expectTags(again, 1, [1, 2, 3]);
    await again.close();
  });
});
