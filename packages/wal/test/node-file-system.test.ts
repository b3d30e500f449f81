import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileLockedError, FileNotFoundError, isLatticeError, StorageIoError } from '@lattice/core';
import { runStorageTests } from '@lattice/core/compliance';
import { describe, expect, it } from 'vitest';
import { nodeFileSystem } from '../src/index.js';
import { tempDir } from './helpers.js';

let dir: string | undefined;
runStorageTests('nodeFileSystem', {
  setup: async () => {
    dir = await mkdtemp(join(tmpdir(), 'lattice-node-fs-'));
    return { fs: nodeFileSystem(), dir };
  },
  teardown: async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  },
});

describe('nodeFileSystem', () => {
  it('keeps the operating system error as the cause of the typed one', async () => {
    const { dir, cleanup } = await tempDir('node-fs');
    try {
      const error = await nodeFileSystem()
        .open(join(dir, 'missing'))
        .catch((caught: unknown) => caught);
      expect(isLatticeError(error, FileNotFoundError.code)).toBe(true);
      expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe('ENOENT');
      await (await nodeFileSystem().open(join(dir, 'file'), { create: true })).close();
      const notADir = await nodeFileSystem()
        .list(join(dir, 'file'))
        .catch((caught: unknown) => caught);
      expect(isLatticeError(notADir, StorageIoError.code)).toBe(true);
      expect(((notADir as Error).cause as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    } finally {
      await cleanup();
    }
  });

  it('names the live process holding a lock, and takes over a lock whose process is gone', async () => {
    const { dir, cleanup } = await tempDir('node-fs-lock');
    try {
      const fs = nodeFileSystem();
      const lock = await fs.lock(join(dir, 'LOCK'));
      const error = await fs.lock(join(dir, 'LOCK')).catch((caught: unknown) => caught);
      expect(isLatticeError(error, FileLockedError.code)).toBe(true);
      expect((error as FileLockedError).holder).toBe(process.pid);
      await lock.release();
      // A lock file left by a process that no longer exists (pid far above any live one).
      const stale = await fs.open(join(dir, 'LOCK'), { create: true });
      await stale.write(new TextEncoder().encode('2147483646\n'), 0);
      await stale.close();
      const taken = await fs.lock(join(dir, 'LOCK'));
      await taken.release();
    } finally {
      await cleanup();
    }
  });
});
