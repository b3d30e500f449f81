import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '@lattice/core';
import type { TestSetup } from '@lattice/core/compliance';
import { SimFileSystem } from '@lattice/sim';
import { runWalTests, type WalTestTarget } from '../src/testing/compliance.js';
import { MemoryWal, MemoryWalStorage, openWal, type WalOptions } from '../src/index.js';

/** A fresh temporary directory per test, removed after it. */
function onDisk(options: WalOptions): TestSetup<WalTestTarget> {
  let dir: string | undefined;
  return {
    setup: async () => {
      const created = await mkdtemp(join(tmpdir(), 'lattice-wal-compliance-'));
      dir = created;
      return { open: (open) => openWal(created, { ...options, ...open }) };
    },
    teardown: async () => {
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
      dir = undefined;
    },
  };
}

runWalTests('MemoryWal', {
  setup: async () => {
    const storage = new MemoryWalStorage();
    return { open: async (options) => new MemoryWal({ storage, ...options }) };
  },
  teardown: async () => {},
});

runWalTests('openWal (8 KiB segments)', onDisk({ segmentSize: 8192 }));

runWalTests('openWal (1 MiB segments)', onDisk({ segmentSize: 1024 * 1024 }));

runWalTests('openWal (8 KiB segments, writer thread from the start)', onDisk({ segmentSize: 8192, writerThread: 'always' }));

// The same FileWal code on the simulator's disk (no crash here: crashes are in sim-crash.test.ts).
runWalTests('openWal on SimFileSystem (8 KiB segments)', {
  setup: async () => {
    const fs = new SimFileSystem(seededRandom(7), { tornWrites: true });
    return { open: (open) => openWal('wal', { segmentSize: 8192, fs, ...open }) };
  },
  teardown: async () => {},
});

runWalTests('openWal on SimFileSystem (1 MiB segments, nothing recycled)', {
  setup: async () => {
    const fs = new SimFileSystem(seededRandom(8));
    return { open: (open) => openWal('/data/wal', { segmentSize: 1024 * 1024, recycleSegments: 0, fs, ...open }) };
  },
  teardown: async () => {},
});
