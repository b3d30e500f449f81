import { readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWal } from '../src/index.js';
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
    await expect(openWal(dir, { segmentSize: 1024 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(openWal(dir, { segmentSize: 4096, maxRecordSize: 4096 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(openWal(dir, { maxBatchBytes: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(openWal('')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    const controller = new AbortController();
    controller.abort();
    await expect(openWal(dir, { signal: controller.signal })).rejects.toMatchObject({ code: 'ERR_ABORTED' });
  });

  it('accepts the largest record a segment can hold, in a segment of its own', async () => {
    const wal = await openWal(dir, { segmentSize: 4096 });
    const largest = new Uint8Array(4096 - 48).fill(9);
    expect(await wal.append(new Uint8Array(10))).toBe(1);
    expect(await wal.append(largest)).toBe(2);
    await expect(wal.append(new Uint8Array(4096 - 47))).rejects.toMatchObject({ code: 'ERR_RECORD_TOO_LARGE' });
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
    expect(await aborted).toBe('ERR_ABORTED');
    expect(await wal.append(new Uint8Array([3]))).toBe(1);
    expect(await wal.read(1)).toEqual(new Uint8Array([3]));
    await wal.close();
  });
});
