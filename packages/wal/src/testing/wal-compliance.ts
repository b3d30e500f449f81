import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AbortError, ClosedError, InvalidArgumentError } from '@lattice/core';
import type { TestSetup } from '@lattice/core/compliance';
import { IndexOutOfRangeError, RecordTooLargeError, WalLockedError } from '../errors.js';
import type { WriteAheadLog } from '../wal.js';

/** Options the compliance suite passes when it opens a log. */
export interface WalTestOpenOptions {
  /** The log must reject records larger than this with `ERR_RECORD_TOO_LARGE`. */
  maxRecordSize?: number;
}

/**
 * One place a log lives for the length of one test; `open` may be called again after `close`
 * to reopen it. What the place holds (a temporary directory) is removed by the setup's
 * `teardown`.
 */
export interface WalTestTarget {
  /** Opens (or, after the previous instance was closed, reopens) the log at this place. */
  open(options?: WalTestOpenOptions): Promise<WriteAheadLog>;
}

const encoder = new TextEncoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);

function record(i: number, size = (i * 37) % 300): Uint8Array {
  const out = new Uint8Array(size);
  for (let k = 0; k < size; k++) out[k] = (i * 131 + k * 7) & 0xff;
  return out;
}

async function collect(wal: WriteAheadLog, from?: number, to?: number): Promise<[number, Uint8Array][]> {
  const out: [number, Uint8Array][] = [];
  for await (const { index, data } of wal.entries(from, to)) out.push([index, data]);
  return out;
}

/** Byte-for-byte equality, fast enough for megabytes (deep equality of typed arrays is not). */
function expectBytes(actual: Uint8Array | undefined, expected: Uint8Array | undefined): void {
  if (expected === undefined || actual === undefined) {
    expect(actual).toBe(expected);
    return;
  }
  expect(actual).toBeInstanceOf(Uint8Array);
  let same = actual.length === expected.length;
  for (let i = 0; same && i < actual.length; i++) same = actual[i] === expected[i];
  if (!same) expect(Array.from(actual)).toEqual(Array.from(expected));
}

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

/**
 * The compliance suite every {@link WriteAheadLog} implementation runs (under vitest): indexes
 * and bytes of appends (single, batched, concurrent), reads and range iteration, suffix
 * truncation and prefix compaction with their edge cases, metadata, order of operations,
 * persistence across reopen, the open-twice lock, closing, aborts and typed errors.
 *
 * @example
 * ```ts
 * import { mkdtemp, rm } from 'node:fs/promises';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { openWal } from '@lattice/wal';
 * import { runWalTests } from '@lattice/wal/compliance';
 *
 * let dir = '';
 * runWalTests('openWal', {
 *   setup: async () => {
 *     dir = await mkdtemp(join(tmpdir(), 'wal-'));
 *     return { open: (options) => openWal(dir, { segmentSize: 64 * 1024, ...options }) };
 *   },
 *   teardown: () => rm(dir, { recursive: true, force: true }),
 * });
 * ```
 */
export function runWalTests(name: string, common: TestSetup<WalTestTarget>): void {
  describe(`WriteAheadLog compliance: ${name}`, () => {
    let target: WalTestTarget;
    let open: WriteAheadLog[] = [];

    const openLog = async (options?: WalTestOpenOptions): Promise<WriteAheadLog> => {
      const wal = await target.open(options);
      open.push(wal);
      return wal;
    };
    const reopen = async (wal: WriteAheadLog): Promise<WriteAheadLog> => {
      await wal.close();
      return openLog();
    };

    beforeEach(async () => {
      target = await common.setup();
      open = [];
    });

    afterEach(async () => {
      try {
        for (const wal of open) await wal.close();
      } finally {
        await common.teardown();
      }
    });

    it('starts empty at index 1 with no metadata', async () => {
      const wal = await openLog();
      expect(wal.firstIndex).toBe(1);
      expect(wal.lastIndex).toBe(0);
      expect(wal.getMetadata()).toBeUndefined();
      expect(await collect(wal)).toEqual([]);
    });

    it('appends single records at consecutive indexes and reads back the exact bytes', async () => {
      const wal = await openLog();
      const values = [bytes('a'), new Uint8Array(0), new Uint8Array([0, 255, 0, 1]), record(9, 1000)];
      const indexes: number[] = [];
      for (const value of values) indexes.push(await wal.append(value));
      expect(indexes).toEqual([1, 2, 3, 4]);
      expect(wal.lastIndex).toBe(4);
      for (let i = 0; i < values.length; i++) expectBytes(await wal.read(indexes[i]!), values[i]);
    });

    it('appends a batch as consecutive indexes; an empty batch appends nothing', async () => {
      const wal = await openLog();
      expect(await wal.append([bytes('x'), bytes('y'), bytes('z')])).toEqual([1, 2, 3]);
      expect(await wal.append([])).toEqual([]);
      expect(await wal.append([bytes('w')])).toEqual([4]);
      expect((await collect(wal)).map(([i, d]) => [i, new TextDecoder().decode(d)])).toEqual([
        [1, 'x'],
        [2, 'y'],
        [3, 'z'],
        [4, 'w'],
      ]);
    });

    it('gives concurrent appends indexes in call order', async () => {
      const wal = await openLog();
      const indexes = await Promise.all(Array.from({ length: 200 }, (_, i) => wal.append(record(i))));
      expect(indexes).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      for (let i = 0; i < 200; i++) expectBytes(await wal.read(i + 1), record(i));
    });

    it('iterates a range, inclusive, and rejects ranges outside the log', async () => {
      const wal = await openLog();
      await wal.append(Array.from({ length: 20 }, (_, i) => record(i)));
      expect((await collect(wal, 5, 9)).map(([i]) => i)).toEqual([5, 6, 7, 8, 9]);
      expect((await collect(wal, 20)).map(([i]) => i)).toEqual([20]);
      expect(await collect(wal, 9, 5)).toEqual([]);
      const all = await collect(wal);
      expect(all.map(([i]) => i)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      for (const [i, data] of all) expectBytes(data, record(i - 1));
      await rejectsWithCode(collect(wal, 0, 3), IndexOutOfRangeError.code);
      await rejectsWithCode(collect(wal, 18, 21), IndexOutOfRangeError.code);
    });

    it('rejects reads outside the log and invalid indexes with typed errors', async () => {
      const wal = await openLog();
      await rejectsWithCode(wal.read(1), IndexOutOfRangeError.code);
      await wal.append(bytes('one'));
      await rejectsWithCode(wal.read(0), IndexOutOfRangeError.code);
      await rejectsWithCode(wal.read(2), IndexOutOfRangeError.code);
      await rejectsWithCode(wal.read(-1), InvalidArgumentError.code);
      await rejectsWithCode(wal.read(1.5), InvalidArgumentError.code);
      await rejectsWithCode(wal.truncateSuffix(Number.NaN), InvalidArgumentError.code);
      await rejectsWithCode(wal.dropPrefix(-3), InvalidArgumentError.code);
    });

    it('rejects records that are not bytes', async () => {
      const wal = await openLog();
      await rejectsWithCode(wal.append('text' as unknown as Uint8Array), InvalidArgumentError.code);
      await rejectsWithCode(wal.append([bytes('ok'), 7 as unknown as Uint8Array]), InvalidArgumentError.code);
      await rejectsWithCode(wal.setMetadata({} as Uint8Array), InvalidArgumentError.code);
      expect(wal.lastIndex).toBe(0);
    });

    it('rejects a record larger than maxRecordSize and accepts one of exactly that size', async () => {
      const wal = await openLog({ maxRecordSize: 1024 });
      await rejectsWithCode(wal.append(new Uint8Array(1025)), RecordTooLargeError.code);
      await rejectsWithCode(wal.append([new Uint8Array(1), new Uint8Array(1025)]), RecordTooLargeError.code);
      expect(wal.lastIndex).toBe(0);
      expect(await wal.append(new Uint8Array(1024).fill(3))).toBe(1);
      expectBytes(await wal.read(1), new Uint8Array(1024).fill(3));
    });

    it('keeps records and metadata across close and reopen', async () => {
      let wal = await openLog();
      await wal.append(Array.from({ length: 50 }, (_, i) => record(i)));
      await wal.setMetadata(bytes('term=3 vote=b'));
      wal = await reopen(wal);
      expect(wal.firstIndex).toBe(1);
      expect(wal.lastIndex).toBe(50);
      expectBytes(wal.getMetadata(), bytes('term=3 vote=b'));
      for (const [i, data] of await collect(wal)) expectBytes(data, record(i - 1));
      expect(await wal.append(bytes('after'))).toBe(51);
    });

    it('truncates the suffix after an index, durably, and appends continue from there', async () => {
      let wal = await openLog();
      await wal.append(Array.from({ length: 30 }, (_, i) => record(i)));
      await wal.truncateSuffix(12);
      expect(wal.lastIndex).toBe(12);
      await rejectsWithCode(wal.read(13), IndexOutOfRangeError.code);
      expect(await wal.append(bytes('new 13'))).toBe(13);
      wal = await reopen(wal);
      expect(wal.lastIndex).toBe(13);
      expectBytes(await wal.read(13), bytes('new 13'));
      expectBytes(await wal.read(12), record(11));
    });

    it('treats truncateSuffix at or past the end as a no-op, and below the start as an error', async () => {
      const wal = await openLog();
      await wal.append(Array.from({ length: 10 }, (_, i) => record(i)));
      await wal.truncateSuffix(10);
      await wal.truncateSuffix(99);
      expect(wal.lastIndex).toBe(10);
      await wal.dropPrefix(5);
      await rejectsWithCode(wal.truncateSuffix(3), IndexOutOfRangeError.code);
      await wal.truncateSuffix(4); // everything goes; the next record is 5
      expect(wal.firstIndex).toBe(5);
      expect(wal.lastIndex).toBe(4);
      expect(await wal.append(bytes('five'))).toBe(5);
    });

    it('can truncate everything and start again at index 1', async () => {
      let wal = await openLog();
      await wal.append([bytes('a'), bytes('b')]);
      await wal.truncateSuffix(0);
      expect(wal.lastIndex).toBe(0);
      wal = await reopen(wal);
      expect(wal.lastIndex).toBe(0);
      expect(await wal.append(bytes('c'))).toBe(1);
      expectBytes(await wal.read(1), bytes('c'));
    });

    it('drops the prefix before an index, durably', async () => {
      let wal = await openLog();
      await wal.append(Array.from({ length: 40 }, (_, i) => record(i)));
      await wal.dropPrefix(25);
      expect(wal.firstIndex).toBe(25);
      expect(wal.lastIndex).toBe(40);
      await rejectsWithCode(wal.read(24), IndexOutOfRangeError.code);
      expectBytes(await wal.read(25), record(24));
      await wal.dropPrefix(10); // no-op
      expect(wal.firstIndex).toBe(25);
      wal = await reopen(wal);
      expect(wal.firstIndex).toBe(25);
      expect(wal.lastIndex).toBe(40);
      expect((await collect(wal)).map(([i]) => i)).toEqual(Array.from({ length: 16 }, (_, i) => i + 25));
    });

    it('drops the whole log up to last + 1, and past the end (installing a snapshot)', async () => {
      let wal = await openLog();
      await wal.append(Array.from({ length: 5 }, (_, i) => record(i)));
      await wal.dropPrefix(6);
      expect([wal.firstIndex, wal.lastIndex]).toEqual([6, 5]);
      await wal.dropPrefix(100);
      expect([wal.firstIndex, wal.lastIndex]).toEqual([100, 99]);
      wal = await reopen(wal);
      expect([wal.firstIndex, wal.lastIndex]).toEqual([100, 99]);
      expect(await wal.append(bytes('hundred'))).toBe(100);
      const rest = await collect(wal);
      expect(rest.map(([i]) => i)).toEqual([100]);
      expectBytes(rest[0]![1], bytes('hundred'));
    });

    it('applies operations in call order without awaiting in between', async () => {
      const wal = await openLog();
      const a = wal.append([bytes('1'), bytes('2'), bytes('3')]);
      const t = wal.truncateSuffix(1);
      const b = wal.append(bytes('2b'));
      const m = wal.setMetadata(bytes('meta'));
      const d = wal.dropPrefix(2);
      const c = wal.append(bytes('3c'));
      expect(await a).toEqual([1, 2, 3]);
      await t;
      expect(await b).toBe(2);
      await m;
      await d;
      expect(await c).toBe(3);
      expect((await collect(wal)).map(([i, v]) => [i, new TextDecoder().decode(v)])).toEqual([
        [2, '2b'],
        [3, '3c'],
      ]);
      expectBytes(wal.getMetadata(), bytes('meta'));
    });

    it('stores metadata atomically and returns copies', async () => {
      let wal = await openLog();
      const value = bytes('v1');
      await wal.setMetadata(value);
      value[0] = 0;
      expectBytes(wal.getMetadata(), bytes('v1'));
      const got = wal.getMetadata()!;
      got[0] = 0;
      expectBytes(wal.getMetadata(), bytes('v1'));
      await wal.setMetadata(new Uint8Array(0));
      wal = await reopen(wal);
      expectBytes(wal.getMetadata(), new Uint8Array(0));
      await wal.setMetadata(bytes('v3'));
      await wal.dropPrefix(1);
      wal = await reopen(wal);
      expectBytes(wal.getMetadata(), bytes('v3'));
    });

    it('is not changed by mutating buffers after an append or a read', async () => {
      const wal = await openLog();
      const value = bytes('stable');
      await wal.append(value);
      value.fill(0);
      const read = await wal.read(1);
      expectBytes(read, bytes('stable'));
      read.fill(1);
      expectBytes(await wal.read(1), bytes('stable'));
    });

    it('refuses to open a log that is already open, and reopens after close', async () => {
      const wal = await openLog();
      await rejectsWithCode(openLog(), WalLockedError.code);
      await wal.close();
      const again = await openLog();
      expect(again.lastIndex).toBe(0);
    });

    it('rejects use after close; close is idempotent; asyncDispose closes', async () => {
      const wal = await openLog();
      const pending = wal.append(bytes('in flight'));
      await wal.close();
      expect(await pending).toBe(1);
      await wal.close();
      await rejectsWithCode(wal.append(bytes('late')), ClosedError.code);
      await rejectsWithCode(wal.read(1), ClosedError.code);
      const other = await openLog();
      await other[Symbol.asyncDispose]();
      await rejectsWithCode(other.append(bytes('late')), ClosedError.code);
      const third = await openLog();
      expect(third.lastIndex).toBe(1);
    });

    it('rejects an append whose signal is already aborted, writing nothing', async () => {
      const wal = await openLog();
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      await rejectsWithCode(wal.append(bytes('no'), { signal: controller.signal }), AbortError.code);
      await rejectsWithCode(wal.truncateSuffix(0, { signal: controller.signal }), AbortError.code);
      expect(wal.lastIndex).toBe(0);
      expect(await wal.append(bytes('yes'))).toBe(1);
    });

    it('holds thousands of records of mixed sizes across reopen', async () => {
      let wal = await openLog();
      const expected: Uint8Array[] = [];
      for (let round = 0; round < 10; round++) {
        const batch = Array.from({ length: 150 }, (_, k) => record(round * 150 + k, ((round * 150 + k) * 53) % 700));
        expected.push(...batch);
        await Promise.all([wal.append(batch.slice(0, 50)), ...batch.slice(50).map((r) => wal.append(r))]);
      }
      wal = await reopen(wal);
      const all = await collect(wal);
      expect(all.length).toBe(expected.length);
      for (const [i, data] of all) expectBytes(data, expected[i - 1]);
    });
  });
}
