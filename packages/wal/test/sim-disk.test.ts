import { InvalidArgumentError, isLatticeError, seededRandom } from '@lattice/core';
import { SimFileSystem } from '@lattice/sim';
import { describe, expect, it } from 'vitest';
import { openWal, WalCorruptionError, WalLockedError } from '../src/index.js';
import { recordOf } from './sim-crash-harness.js';

describe('FileWal with the fs option', () => {
  it("refuses writerThread 'always' on a file system the writer thread cannot write to, and a non-FileSystem", async () => {
    const fs = new SimFileSystem(seededRandom(1));
    await expect(openWal('wal', { fs, writerThread: 'always' })).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(openWal('wal', { fs: {} as never })).rejects.toMatchObject({ code: InvalidArgumentError.code });
    // 'auto' on the simulated disk simply never starts the thread.
    const wal = await openWal('wal', { fs, writerThread: 'auto', segmentSize: 4096 });
    await Promise.all(Array.from({ length: 64 }, (_, i) => wal.append(recordOf(i + 1, 64))));
    expect(wal.lastIndex).toBe(64);
    await wal.close();
  });

  it('holds the lock on the simulated disk until closed, and a crash frees it', async () => {
    const disk = new SimFileSystem(seededRandom(2));
    const wal = await openWal('wal', { fs: disk.view(), segmentSize: 4096 });
    const error = await openWal('wal', { fs: disk.view(), segmentSize: 4096 }).catch((caught: unknown) => caught);
    expect(isLatticeError(error, WalLockedError.code)).toBe(true);
    await wal.append(recordOf(1, 64));
    disk.crash();
    await wal.close().catch(() => undefined);
    disk.restart();
    const reopened = await openWal('wal', { fs: disk.view(), segmentSize: 4096 });
    expect(reopened.lastIndex).toBe(1);
    await reopened.close();
  });

  it('under corrupt and misdirected reads, every read returns the record written or a WalCorruptionError', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const disk = new SimFileSystem(seededRandom(seed));
      const wal = await openWal('wal', { fs: disk, segmentSize: 4096 });
      const count = 120;
      for (let i = 1; i <= count; i += 8) await wal.append(Array.from({ length: 8 }, (_, k) => recordOf(i + k, 200)));
      disk.setReadFaults({ corrupt: 0.3, misdirect: 0.3 });
      let good = 0;
      let refused = 0;
      for (let index = 1; index <= count; index++) {
        try {
          const data = await wal.read(index);
          expect([...data]).toEqual([...recordOf(index, 200)]);
          good++;
        } catch (error) {
          expect(isLatticeError(error, WalCorruptionError.code), String(error)).toBe(true);
          refused++;
        }
      }
      expect(good).toBeGreaterThan(0);
      expect(refused).toBeGreaterThan(0);
      disk.setReadFaults({});
      // Nothing stored was changed by the faulty reads.
      for (let index = 1; index <= count; index++) expect([...(await wal.read(index))]).toEqual([...recordOf(index, 200)]);
      await wal.close();
    }
  });
});
