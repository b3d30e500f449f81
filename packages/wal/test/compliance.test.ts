import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryWal, MemoryWalStorage, openWal } from '../src/index.js';
import { runWalTests } from '../src/testing/index.js';

runWalTests('MemoryWal', () => {
  const storage = new MemoryWalStorage();
  return { open: async (options) => new MemoryWal({ storage, ...options }) };
});

runWalTests('openWal (8 KiB segments)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lattice-wal-compliance-'));
  return {
    open: (options) => openWal(dir, { segmentSize: 8192, ...options }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

runWalTests('openWal (1 MiB segments)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lattice-wal-compliance-'));
  return {
    open: (options) => openWal(dir, { segmentSize: 1024 * 1024, ...options }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

runWalTests('openWal (8 KiB segments, writer thread from the start)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lattice-wal-compliance-'));
  return {
    open: (options) => openWal(dir, { segmentSize: 8192, writerThread: 'always', ...options }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
