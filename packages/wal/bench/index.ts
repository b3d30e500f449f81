/**
 * `npm run bench -w @lattice/wal`: durable appends per second and MB/s for 100-byte and
 * 4 KiB records with 1, 16 and 256 concurrent writers, against classic-level (LevelDB)
 * batches written with `sync: true`, and against the disk's own limit: a plain loop of
 * write + fdatasync writing the same bytes in batches of the same size. Each pair runs side
 * by side in alternating rounds (bench-kit). Writes bench/results.json.
 */
import { closeSync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchResult, opsPerSecond, report, result } from '@lattice/bench-kit';
import { ClassicLevel } from 'classic-level';
import { wasmCrcBuffer } from '../src/crc32c-wasm.js';
import { crc32c, openWal, type WriteAheadLog } from '../src/index.js';

const require = (await import('node:module')).createRequire(import.meta.url);
const classicVersion = (JSON.parse(readFileSync(require.resolve('classic-level/package.json'), 'utf8')) as { version: string }).version;
const CLASSIC = `classic-level@${classicVersion}`;
const RAW = 'raw-fsync';

const sizes = [100, 4096];
const writerCounts = [1, 16, 256];
const only = process.env['WAL_BENCH_ONLY']; // e.g. "4096x256" to run one case

function recordOf(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (seed * 31 + i * 7) & 0xff;
  return out;
}

/** Runs `iterations` operations spread over `writers` concurrent closed-loop writers. */
async function concurrently(iterations: number, writers: number, op: (n: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < iterations) await op(next++);
  };
  await Promise.all(Array.from({ length: Math.min(writers, iterations) }, worker));
}

/**
 * Iterations per timed batch: each workload runs once briefly, and the batch is sized so the
 * slower one takes about `targetSeconds` (the disk here is shared, so rates vary a lot).
 */
async function calibrate(writers: number, workloads: ((n: number) => unknown)[], targetSeconds = 1): Promise<number> {
  let slowest = Number.POSITIVE_INFINITY;
  for (const workload of workloads) {
    await workload(writers * 8); // warm-up, untimed
    const n = writers * 32;
    const start = process.hrtime.bigint();
    await workload(n);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    slowest = Math.min(slowest, n / seconds);
  }
  return Math.max(writers * 4, Math.round((slowest * targetSeconds) / writers) * writers);
}

const root = await mkdtemp(join(tmpdir(), 'lattice-wal-bench-'));
const results: BenchResult[] = [];

// CRC-32C throughput (no npm peer is installed here; the figure stands alone).
if (only === undefined || only === 'crc') {
  for (const size of [100, 4096, 1024 * 1024]) {
    const data = recordOf(size, 1);
    const iterations = Math.max(16, Math.round(64e6 / size));
    let sink = 0;
    const rate = await opsPerSecond(
      (n) => {
        for (let i = 0; i < n; i++) sink ^= crc32c(data);
      },
      undefined,
      { iterations, rounds: 7, warmup: 2 },
    );
    if (sink === 0.5) console.log(sink); // keeps the loop from being optimised away
    results.push(result({ case: `crc32c, ${size} B`, unit: 'MB/s', betterIs: 'higher', ours: Math.round((rate.ours * size) / 1e6), peer: null }));
    // The WebAssembly version the log uses for frames, over a slab in its own memory.
    const wasm = wasmCrcBuffer(size);
    if (wasm !== undefined) {
      wasm.bytes.set(data);
      const wasmRate = await opsPerSecond(
        (n) => {
          for (let i = 0; i < n; i++) sink ^= wasm.crc(0, size);
        },
        undefined,
        { iterations, rounds: 7, warmup: 2 },
      );
      if (sink === 0.5) console.log(sink);
      results.push(
        result({ case: `crc32c (WebAssembly, frames), ${size} B`, unit: 'MB/s', betterIs: 'higher', ours: Math.round((wasmRate.ours * size) / 1e6), peer: null }),
      );
    }
  }
}
try {
  for (const size of sizes) {
    const records = Array.from({ length: 64 }, (_, i) => recordOf(size, i));
    for (const writers of writerCounts) {
      if (only !== undefined && only !== `${size}x${writers}`) continue;
      const label = `${size} B records, ${writers} writer${writers === 1 ? '' : 's'}`;

      // ours
      let wal: WriteAheadLog = await openWal(join(root, `wal-${size}-${writers}`));
      const ours = async (n: number): Promise<void> => {
        await concurrently(n, writers, (i) => wal.append(records[i & 63]!));
        // Keep the disk footprint bounded: compaction is part of real use.
        if (wal.lastIndex - wal.firstIndex > 100_000) await wal.dropPrefix(wal.lastIndex - 1000);
      };

      // classic-level: one batch per record, sync: true (LevelDB groups concurrent batches itself)
      const db = new ClassicLevel<Uint8Array, Uint8Array>(join(root, `level-${size}-${writers}`), { keyEncoding: 'view', valueEncoding: 'view' });
      await db.open();
      let key = 0;
      const keyOf = (k: number): Uint8Array => {
        const out = new Uint8Array(8);
        new DataView(out.buffer).setFloat64(0, k);
        return out;
      };
      const classic = async (n: number): Promise<void> => {
        await concurrently(n, writers, (i) => db.batch([{ type: 'put', key: keyOf(key++), value: records[i & 63]! }], { sync: true }));
      };

      // raw: write + fdatasync of `writers` records' bytes at a time, appended to a plain file
      const rawPath = join(root, `raw-${size}-${writers}`);
      let rawFd = openSync(rawPath, 'w');
      let rawBytes = 0;
      const batch = new Uint8Array(size * writers);
      for (let w = 0; w < writers; w++) batch.set(records[w & 63]!, w * size);
      const raw = (n: number): void => {
        for (let done = 0; done < n; done += writers) {
          const count = Math.min(writers, n - done);
          writeSync(rawFd, batch, 0, count * size);
          fdatasyncSync(rawFd);
          rawBytes += count * size;
        }
        if (rawBytes > 512 * 1024 * 1024) {
          closeSync(rawFd);
          rawFd = openSync(rawPath, 'w');
          rawBytes = 0;
        }
      };

      // The same loop overwriting a zero-filled file, as the log does: the disk's limit for
      // this technique (an fdatasync that need not update the file size). Measured at 256
      // writers only, for reference.
      const preallocatedPath = join(root, `prealloc-${size}-${writers}`);
      const preallocatedSize = 64 * 1024 * 1024;
      const preallocatedFd = openSync(preallocatedPath, 'w+');
      if (writers === 256) {
        const zeros = new Uint8Array(1024 * 1024);
        for (let at = 0; at < preallocatedSize; at += zeros.length) writeSync(preallocatedFd, zeros, 0, zeros.length, at);
        fdatasyncSync(preallocatedFd);
      }
      let preallocatedAt = 0;
      const rawPreallocated = (n: number): void => {
        for (let done = 0; done < n; done += writers) {
          const count = Math.min(writers, n - done);
          if (preallocatedAt + count * size > preallocatedSize) preallocatedAt = 0;
          writeSync(preallocatedFd, batch, 0, count * size, preallocatedAt);
          fdatasyncSync(preallocatedFd);
          preallocatedAt += count * size;
        }
      };

      // Each pair gets its own batch size, so that the slower of the two takes about a second:
      // a batch sized for classic-level would time the raw loop and the log over a few
      // milliseconds, where one slow sync (or the log's background work) decides the result.
      const iterations = await calibrate(writers, [ours, classic]);
      const rawIterations = await calibrate(writers, [ours, raw]);
      console.log(`${label}: ${iterations} appends per timed batch (${rawIterations} against the raw loop)`);
      const vsClassic = await opsPerSecond(ours, classic, { iterations, rounds: 7, warmup: 1 });
      const vsRaw = await opsPerSecond(ours, raw, { iterations: rawIterations, rounds: 7, warmup: 1 });
      const mb = (perSecond: number): number => Math.round(((perSecond * size) / 1e6) * 100) / 100;
      results.push(
        result({ case: `append, ${label}`, unit: 'appends/s', betterIs: 'higher', ours: Math.round(vsClassic.ours), peer: CLASSIC, peerValue: Math.round(vsClassic.peer!) }),
        result({ case: `append, ${label}`, unit: 'MB/s', betterIs: 'higher', ours: mb(vsClassic.ours), peer: CLASSIC, peerValue: mb(vsClassic.peer!) }),
        result({
          case: `append, ${label}`,
          unit: 'MB/s',
          betterIs: 'higher',
          ours: mb(vsRaw.ours),
          peer: RAW,
          peerValue: mb(vsRaw.peer!),
          note: `raw loop: write+fdatasync of ${writers * size} B per call`,
        }),
      );
      if (writers === 256) {
        const vsPreallocated = await opsPerSecond(ours, rawPreallocated, { iterations: rawIterations, rounds: 7, warmup: 1 });
        results.push(
          result({
            case: `append, ${label}, vs the raw loop on a preallocated file`,
            unit: 'MB/s',
            betterIs: 'higher',
            ours: mb(vsPreallocated.ours),
            peer: `${RAW} (preallocated)`,
            peerValue: mb(vsPreallocated.peer!),
            note: `write+fdatasync of ${writers * size} B per call, overwriting a zero-filled 64 MiB file`,
          }),
        );
      }
      closeSync(preallocatedFd);
      await rm(preallocatedPath, { force: true });
      await wal.close();
      await db.close();
      closeSync(rawFd);
      await rm(join(root, `wal-${size}-${writers}`), { recursive: true, force: true });
      await rm(join(root, `level-${size}-${writers}`), { recursive: true, force: true });
      await rm(rawPath, { force: true });
      wal = undefined as never;
    }
  }
} finally {
  await rm(root, { recursive: true, force: true });
}

report(fileURLToPath(new URL('./results.json', import.meta.url)), results);
