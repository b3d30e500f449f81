import { readdir } from 'node:fs/promises';
import { AbortError, InvalidArgumentError } from '@lattice/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWal, RecordTooLargeError } from '../src/index.js';
import { payloadFor, sameBytes, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('file'));
});
afterEach(async () => {
  await cleanup();
});

describe('openWal options and batching', () => {
  it('rejects invalid options with typed errors', async () => {
    await expect(openWal(dir, { segmentSize: 1024 })).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(openWal(dir, { segmentSize: 4096, maxRecordSize: 4096 })).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(openWal(dir, { maxBatchBytes: 0 })).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(openWal('')).rejects.toMatchObject({ code: InvalidArgumentError.code });
    const controller = new AbortController();
    controller.abort();
    await expect(openWal(dir, { signal: controller.signal })).rejects.toMatchObject({ code: AbortError.code });
  });

  it('accepts the largest record a segment can hold, in a segment of its own', async () => {
    const wal = await openWal(dir, { segmentSize: 4096 });
    const largest = new Uint8Array(4096 - 48).fill(9);
    expect(await wal.append(new Uint8Array(10))).toBe(1);
    expect(await wal.append(largest)).toBe(2);
    await expect(wal.append(new Uint8Array(4096 - 47))).rejects.toMatchObject({ code: RecordTooLargeError.code });
    await wal.close();
    const again = await openWal(dir, { segmentSize: 4096 });
    expect(sameBytes(await again.read(2), largest)).toBe(true);
    expect((await readdir(dir)).filter((n) => n.endsWith('.wal')).length).toBe(2);
    await again.close();
  });

  it('splits concurrent appends into batches of at most maxBatchBytes, and writes one larger append whole', async () => {
    const wal = await openWal(dir, { segmentSize: 64 * 1024, maxBatchBytes: 2048 });
    const big = Array.from({ length: 40 }, (_, i) => payloadFor(1000 + i, 400));
    const singles = Array.from({ length: 100 }, (_, i) => wal.append(payloadFor(i, 400)));
    const whole = wal.append(big);
    const indexes = await Promise.all(singles);
    expect(indexes).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(await whole).toEqual(Array.from({ length: 40 }, (_, i) => 101 + i));
    await wal.close();
    const again = await openWal(dir, { segmentSize: 64 * 1024 });
    for (let i = 0; i < 100; i++) expect(sameBytes(await again.read(i + 1), payloadFor(i, 400))).toBe(true);
    for (let i = 0; i < 40; i++) expect(sameBytes(await again.read(101 + i), big[i]!)).toBe(true);
    await again.close();
  });

  it('an append aborted while queued behind other work writes nothing', async () => {
    const wal = await openWal(dir, { segmentSize: 8192 });
    const controller = new AbortController();
    const first = wal.setMetadata(new Uint8Array([1])); // queued work ahead of the append
    const aborted = wal.append(new Uint8Array([2]), { signal: controller.signal }).then(
      () => 'written',
      (error: { code?: string }) => error.code,
    );
    controller.abort();
    await first;
    expect(await aborted).toBe(AbortError.code);
    expect(await wal.append(new Uint8Array([3]))).toBe(1);
    expect(await wal.read(1)).toEqual(new Uint8Array([3]));
    await wal.close();
  });

  it('re-frames queued records whose index moved (a truncation or an abort queued ahead of them)', async () => {
    const wal = await openWal(dir, { segmentSize: 8192 });
    expect(await wal.append([payloadFor(1, 50), payloadFor(2, 50), payloadFor(3, 50)])).toEqual([1, 2, 3]);
    const controller = new AbortController();
    // Framed for indexes 4, 5 and 6..7 when called; they land at 2, 3 and 4..5.
    const cut = wal.truncateSuffix(1);
    const aborted = wal.append(payloadFor(9, 50), { signal: controller.signal }).catch((error: { code?: string }) => error.code);
    const a = wal.append(payloadFor(4, 50));
    const b = wal.append(payloadFor(5, 50));
    const c = wal.append([payloadFor(6, 50), payloadFor(7, 50)]);
    controller.abort();
    await cut;
    expect(await aborted).toBe(AbortError.code);
    expect([await a, await b, await c]).toEqual([2, 3, [4, 5]]);
    await wal.close();
    const again = await openWal(dir, { segmentSize: 8192 });
    expect(again.lastIndex).toBe(5);
    const expected = [1, 4, 5, 6, 7].map((tag) => payloadFor(tag, 50));
    for (let i = 0; i < expected.length; i++) expect(sameBytes(await again.read(i + 1), expected[i]!)).toBe(true);
    await again.close();
  });

  it('writes a batch of more pieces than one writev takes, and an array append that spans segments', async () => {
    const wal = await openWal(dir, { segmentSize: 64 * 1024 });
    const singles = Array.from({ length: 1500 }, (_, i) => wal.append(payloadFor(i, 20)));
    expect(await Promise.all(singles)).toEqual(Array.from({ length: 1500 }, (_, i) => i + 1));
    const spanning = Array.from({ length: 40 }, (_, i) => payloadFor(5000 + i, 3000));
    const lead = wal.append(payloadFor(4999, 20));
    const whole = wal.append(spanning);
    expect(await lead).toBe(1501);
    expect(await whole).toEqual(Array.from({ length: 40 }, (_, i) => 1502 + i));
    await wal.close();
    const again = await openWal(dir, { segmentSize: 64 * 1024 });
    expect((await readdir(dir)).filter((n) => n.endsWith('.wal')).length).toBeGreaterThan(1);
    for (let i = 0; i < 1500; i++) expect(sameBytes(await again.read(i + 1), payloadFor(i, 20))).toBe(true);
    for (let i = 0; i < 40; i++) expect(sameBytes(await again.read(1502 + i), spanning[i]!)).toBe(true);
    await again.close();
  });

  it('writes the bytes a record held when append was called, even if the caller reuses the buffer', async () => {
    const wal = await openWal(dir, { segmentSize: 8192 });
    const reused = new Uint8Array([1, 2, 3]);
    const first = wal.append(reused);
    reused.fill(7);
    const second = wal.append(reused);
    expect([await first, await second]).toEqual([1, 2]);
    expect(await wal.read(1)).toEqual(new Uint8Array([1, 2, 3]));
    expect(await wal.read(2)).toEqual(new Uint8Array([7, 7, 7]));
    await wal.close();
  });
});
