import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, isLatticeError } from '../errors.js';
import { FileExistsError, FileLockedError, FileNotFoundError } from '../storage/errors.js';
import { type FileHandle, type FileSystem, joinPath } from '../storage/file-system.js';
import type { TestSetup } from './test-setup.js';

/** What a storage's setup gives {@link runStorageTests}: the file system and an empty directory on it. */
export interface StorageTestTarget {
  fs: FileSystem;
  /** An existing, empty directory the tests may fill. */
  dir: string;
}

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  expect(isLatticeError(error), `expected a Lattice error with code ${code}, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code).toBe(code);
}

async function readAll(handle: FileHandle): Promise<number[]> {
  const size = await handle.size();
  const buffer = new Uint8Array(size);
  const got = await handle.read(buffer, 0, size, 0);
  return [...buffer.subarray(0, got)];
}

/**
 * The compliance suite every `FileSystem` implementation runs (under vitest): opening with
 * each flag, positional and vectored writes, appends, positional reads and short reads at the
 * end, sizes and truncation, rename replacing its target, removal, listing, nested `mkdir`,
 * `stat`, syncs, the exclusive lock, and a typed error for every misuse (missing files, taken
 * names, bad positions, writes through a read-only handle). What a crash keeps is the
 * simulator's business (its own tests crash it); a real disk cannot be crashed from a test.
 *
 * @example
 * ```ts
 * // In Node, with mkdtemp and rm from the fs promises module, tmpdir from os and join from path:
 * import { runStorageTests } from '@lattice/core/compliance';
 * import { nodeFileSystem } from '@lattice/wal';
 *
 * let dir = '';
 * runStorageTests('node', {
 *   setup: async () => ({ fs: nodeFileSystem(), dir: (dir = await mkdtemp(join(tmpdir(), 'fs-'))) }),
 *   teardown: () => rm(dir, { recursive: true, force: true }),
 * });
 * ```
 */
export function runStorageTests(name: string, common: TestSetup<StorageTestTarget>): void {
  describe(`FileSystem compliance: ${name}`, () => {
    let fs: FileSystem;
    let dir: string;
    let handles: FileHandle[] = [];
    const at = (file: string): string => joinPath(dir, file);
    const open = async (...args: Parameters<FileSystem['open']>): Promise<FileHandle> => {
      const handle = await fs.open(...args);
      handles.push(handle);
      return handle;
    };

    beforeEach(async () => {
      ({ fs, dir } = await common.setup());
    });

    afterEach(async () => {
      try {
        for (const handle of handles) await handle.close().catch(() => undefined);
        handles = [];
      } finally {
        await common.teardown();
      }
    });

    it('starts from an empty directory', async () => {
      expect(await fs.list(dir)).toEqual([]);
      expect((await fs.stat(dir)).kind).toBe('directory');
    });

    it('opens a missing file only with create, and refuses an existing one with exclusive', async () => {
      await rejectsWith(fs.open(at('a')), FileNotFoundError.code);
      await rejectsWith(fs.open(at('a'), { write: true }), FileNotFoundError.code);
      const a = await open(at('a'), { create: true });
      expect(a.path).toBe(at('a'));
      expect(await a.size()).toBe(0);
      expect(await fs.stat(at('a'))).toEqual({ kind: 'file', size: 0 });
      await rejectsWith(fs.open(at('a'), { create: true, exclusive: true }), FileExistsError.code);
      await open(at('b'), { create: true, exclusive: true });
      expect(await fs.list(dir)).toEqual(['a', 'b']);
    });

    it('writes at positions, fills gaps with zeros and reads back exactly', async () => {
      const file = await open(at('f'), { create: true });
      await file.write(bytes(1, 2, 3), 0);
      await file.write(bytes(9), 1);
      await file.write(bytes(7, 7), 6);
      expect(await file.size()).toBe(8);
      expect(await readAll(file)).toEqual([1, 9, 3, 0, 0, 0, 7, 7]);
      const into = new Uint8Array(6).fill(0xee);
      expect(await file.read(into, 2, 3, 5)).toBe(3);
      expect([...into]).toEqual([0xee, 0xee, 0, 7, 7, 0xee]);
    });

    it('writes chunks back to back in one call, and appends at the end', async () => {
      const file = await open(at('v'), { create: true });
      await file.write([bytes(1), bytes(), bytes(2, 3), bytes(4, 5, 6)], 2);
      expect(await readAll(file)).toEqual([0, 0, 1, 2, 3, 4, 5, 6]);
      await file.append(bytes(8, 9));
      expect(await readAll(file)).toEqual([0, 0, 1, 2, 3, 4, 5, 6, 8, 9]);
      await file.write([], 0);
      expect(await file.size()).toBe(10);
    });

    it('reads fewer bytes only at the end of the file, none past it', async () => {
      const file = await open(at('r'), { create: true });
      await file.write(bytes(1, 2, 3, 4), 0);
      const buffer = new Uint8Array(10);
      expect(await file.read(buffer, 0, 10, 2)).toBe(2);
      expect([...buffer.subarray(0, 2)]).toEqual([3, 4]);
      expect(await file.read(buffer, 0, 4, 4)).toBe(0);
      expect(await file.read(buffer, 0, 4, 100)).toBe(0);
      expect(await file.read(buffer, 0, 0, 0)).toBe(0);
    });

    it('keeps a large write whole (megabytes in one call)', async () => {
      const file = await open(at('big'), { create: true });
      const data = new Uint8Array(3 * 1024 * 1024 + 5);
      for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
      await file.write(data, 0);
      const back = new Uint8Array(data.length);
      expect(await file.read(back, 0, back.length, 0)).toBe(data.length);
      let same = true;
      for (let i = 0; same && i < data.length; i++) same = back[i] === data[i];
      expect(same).toBe(true);
    });

    it('truncates on open and through the handle, extending with zeros', async () => {
      const first = await open(at('t'), { create: true });
      await first.write(bytes(1, 2, 3, 4, 5), 0);
      await first.truncate(2);
      expect(await readAll(first)).toEqual([1, 2]);
      await first.truncate(4);
      expect(await readAll(first)).toEqual([1, 2, 0, 0]);
      await first.close();
      const again = await open(at('t'), { write: true, truncate: true });
      expect(await again.size()).toBe(0);
    });

    it('keeps what was written (and synced) across close and reopen', async () => {
      const file = await open(at('d'), { create: true });
      await file.write(bytes(5, 6), 0);
      await file.datasync();
      await file.write(bytes(7), 2);
      await file.sync();
      await file.close();
      await fs.syncDirectory(dir);
      expect([...(await fs.readFile(at('d')))]).toEqual([5, 6, 7]);
      const reader = await open(at('d'));
      expect(await readAll(reader)).toEqual([5, 6, 7]);
    });

    it('makes writes through a dataSync handle readable at once', async () => {
      const file = await open(at('s'), { create: true, dataSync: true });
      await file.write(bytes(1, 2), 0);
      await file.write([bytes(3), bytes(4)], 2);
      expect(await readAll(file)).toEqual([1, 2, 3, 4]);
      expect([...(await fs.readFile(at('s')))]).toEqual([1, 2, 3, 4]);
    });

    it('refuses writes through a read-only handle with a typed error', async () => {
      const writer = await open(at('ro'), { create: true });
      await writer.write(bytes(1), 0);
      const reader = await open(at('ro'));
      let error: unknown;
      try {
        await reader.write(bytes(2), 0);
      } catch (caught) {
        error = caught;
      }
      expect(isLatticeError(error)).toBe(true);
      expect([...(await fs.readFile(at('ro')))]).toEqual([1]);
    });

    it('renames a file over another atomically, and refuses a missing source', async () => {
      const a = await open(at('a'), { create: true });
      await a.write(bytes(1, 1), 0);
      const b = await open(at('b'), { create: true });
      await b.write(bytes(2, 2, 2), 0);
      await a.close();
      await b.close();
      await fs.rename(at('a'), at('b'));
      await fs.syncDirectory(dir);
      expect(await fs.list(dir)).toEqual(['b']);
      expect([...(await fs.readFile(at('b')))]).toEqual([1, 1]);
      await rejectsWith(fs.rename(at('a'), at('c')), FileNotFoundError.code);
    });

    it('a handle open across a rename still reaches the same file', async () => {
      const file = await open(at('old'), { create: true });
      await file.write(bytes(1), 0);
      await fs.rename(at('old'), at('new'));
      await file.write(bytes(2), 1);
      expect([...(await fs.readFile(at('new')))]).toEqual([1, 2]);
      await rejectsWith(fs.readFile(at('old')), FileNotFoundError.code);
    });

    it('removes files, and refuses a missing one', async () => {
      await (await open(at('x'), { create: true })).close();
      await fs.remove(at('x'));
      expect(await fs.list(dir)).toEqual([]);
      await rejectsWith(fs.remove(at('x')), FileNotFoundError.code);
      await rejectsWith(fs.stat(at('x')), FileNotFoundError.code);
      await rejectsWith(fs.readFile(at('x')), FileNotFoundError.code);
    });

    it('lists sorted names, files and directories alike, and refuses a missing directory', async () => {
      for (const name of ['c', 'a', 'b.tmp', 'B']) await (await open(at(name), { create: true })).close();
      expect(await fs.mkdir(at('sub'))).toBe(true);
      expect(await fs.list(dir)).toEqual(['B', 'a', 'b.tmp', 'c', 'sub']);
      await rejectsWith(fs.list(at('missing')), FileNotFoundError.code);
    });

    it('creates nested directories once, durably, and reports their kind', async () => {
      const nested = joinPath(at('one'), 'two/three');
      expect(await fs.mkdir(nested)).toBe(true);
      expect(await fs.mkdir(nested)).toBe(false);
      expect((await fs.stat(nested)).kind).toBe('directory');
      expect(await fs.list(at('one'))).toEqual(['two']);
      await (await open(joinPath(nested, 'f'), { create: true })).close();
      expect(await fs.list(nested)).toEqual(['f']);
      await fs.syncDirectory(nested);
      await rejectsWith(fs.open(joinPath(at('nope'), 'f'), { create: true }), FileNotFoundError.code);
    });

    it('refuses mkdir over a file', async () => {
      await (await open(at('file'), { create: true })).close();
      await rejectsWith(fs.mkdir(at('file')), FileExistsError.code);
    });

    it('holds an exclusive lock until it is released', async () => {
      const lock = await fs.lock(at('LOCK'));
      expect(lock.path).toBe(at('LOCK'));
      await rejectsWith(fs.lock(at('LOCK')), FileLockedError.code);
      const other = await fs.lock(at('OTHER'));
      await lock.release();
      await lock.release();
      const again = await fs.lock(at('LOCK'));
      await again.release();
      await other.release();
    });

    it('rejects bad positions, sizes and paths with InvalidArgumentError', async () => {
      const file = await open(at('bad'), { create: true });
      await rejectsWith(file.write(bytes(1), -1), InvalidArgumentError.code);
      await rejectsWith(file.write(bytes(1), 1.5), InvalidArgumentError.code);
      await rejectsWith(file.write('text' as unknown as Uint8Array, 0), InvalidArgumentError.code);
      await rejectsWith(file.write([bytes(1), 7 as unknown as Uint8Array], 0), InvalidArgumentError.code);
      await rejectsWith(file.read(new Uint8Array(4), 2, 4, 0), InvalidArgumentError.code);
      await rejectsWith(file.read(new Uint8Array(4), 0, 1, -3), InvalidArgumentError.code);
      await rejectsWith(file.truncate(-1), InvalidArgumentError.code);
      await rejectsWith(fs.open('', { create: true }), InvalidArgumentError.code);
      await rejectsWith(fs.open(42 as unknown as string), InvalidArgumentError.code);
      expect(await file.size()).toBe(0);
    });

    it('refuses use of a closed handle with a typed error', async () => {
      const file = await fs.open(at('closed'), { create: true });
      await file.close();
      let error: unknown;
      try {
        await file.write(bytes(1), 0);
      } catch (caught) {
        error = caught;
      }
      expect(isLatticeError(error)).toBe(true);
    });
  });
}
