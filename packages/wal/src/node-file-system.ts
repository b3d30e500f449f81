import { randomUUID } from 'node:crypto';
import { ftruncate as fsFtruncate, constants as fsConstants, promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import {
  ClosedError,
  type FileHandle,
  FileExistsError,
  type FileLock,
  FileLockedError,
  FileNotFoundError,
  type FileStat,
  type FileSystem,
  InvalidArgumentError,
  isLatticeError,
  type OpenFlags,
  StorageFullError,
  StorageIoError,
} from '@lattice/core';
import * as io from './fs-io.js';

/**
 * O_DSYNC where the platform has it: each write returns only once its data is durable, like
 * write + fdatasync in one threadpool round trip instead of two. Elsewhere a `dataSync` handle
 * follows every write with an fdatasync.
 */
const O_DSYNC: number = fsConstants.O_DSYNC ?? 0;
/** Most buffers in one writev: Linux's IOV_MAX, above which libuv would split the call. */
const MAX_WRITEV_CHUNKS = 1024;

/** The platform's error as the typed error of the storage seam (the errno stays as `cause`). */
function translate(error: unknown, what: string): Error {
  if (isLatticeError(error)) return error;
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
  if (errno === 'ENOENT') return new FileNotFoundError(message, { cause: error });
  if (errno === 'EEXIST') return new FileExistsError(message, { cause: error });
  if (errno === 'ENOSPC' || errno === 'EDQUOT') return new StorageFullError(message, { cause: error });
  return new StorageIoError(message, { cause: error });
}

function checkPath(path: unknown): asserts path is string {
  if (typeof path !== 'string' || path === '') throw new InvalidArgumentError(`path must be a non-empty string, got ${JSON.stringify(path)}`);
}

function checkPosition(what: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${what} must be a non-negative integer, got ${String(value)}`);
  }
}

function checkData(data: unknown): void {
  if (data instanceof Uint8Array) return;
  if (Array.isArray(data)) {
    for (const chunk of data) if (!(chunk instanceof Uint8Array)) throw new InvalidArgumentError('write takes a Uint8Array or an array of them');
    return;
  }
  throw new InvalidArgumentError('write takes a Uint8Array or an array of them');
}

/**
 * A file opened by {@link nodeFileSystem}: the descriptor is public to this package so that
 * the write-ahead log's writer thread can write through it.
 */
export class NodeFileHandle implements FileHandle {
  readonly path: string;
  /** The descriptor (valid until `close`). */
  readonly fd: number;
  /** A `dataSync` handle on a platform without O_DSYNC: every write is followed by an fdatasync. */
  readonly syncAfterWrite: boolean;
  readonly #writable: boolean;
  #closed = false;

  constructor(path: string, fd: number, writable: boolean, syncAfterWrite: boolean) {
    this.path = path;
    this.fd = fd;
    this.#writable = writable;
    this.syncAfterWrite = syncAfterWrite;
  }

  #usable(what: string): void {
    if (this.#closed) throw new ClosedError(`${what} ${this.path}: the file is closed`);
  }

  // Not an async function: the log's group commits come through here, and a plain promise
  // chain adds no extra turns on the way.
  write(data: Uint8Array | readonly Uint8Array[], position: number): Promise<void> {
    try {
      this.#usable('write');
      checkData(data);
      checkPosition('position', position);
      if (!this.#writable) throw new StorageIoError(`write ${this.path}: the file was opened read-only`);
    } catch (error) {
      return Promise.reject(error);
    }
    const written = data instanceof Uint8Array ? io.writeAll(this.fd, data, 0, data.length, position) : this.#writev(data, position);
    const durable = this.syncAfterWrite ? written.then(() => io.fdatasync(this.fd)) : written;
    return durable.catch((error: unknown) => {
      throw translate(error, `write ${this.path}`);
    });
  }

  async #writev(data: readonly Uint8Array[], position: number): Promise<void> {
    if (data.length <= MAX_WRITEV_CHUNKS) return io.writevAll(this.fd, data, position);
    let at = position;
    for (let from = 0; from < data.length; from += MAX_WRITEV_CHUNKS) {
      const chunks = data.slice(from, from + MAX_WRITEV_CHUNKS);
      await io.writevAll(this.fd, chunks, at);
      for (const chunk of chunks) at += chunk.length;
    }
  }

  async append(data: Uint8Array): Promise<void> {
    this.#usable('append');
    await this.write(data, await this.size());
  }

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    this.#usable('read');
    if (!(buffer instanceof Uint8Array)) throw new InvalidArgumentError('read takes a Uint8Array buffer');
    checkPosition('offset', offset);
    checkPosition('length', length);
    checkPosition('position', position);
    if (offset + length > buffer.length) throw new InvalidArgumentError(`offset + length (${offset + length}) exceeds the buffer (${buffer.length} bytes)`);
    if (length === 0) return 0;
    try {
      return await io.readFully(this.fd, buffer, offset, length, position);
    } catch (error) {
      throw translate(error, `read ${this.path}`);
    }
  }

  async size(): Promise<number> {
    this.#usable('stat');
    try {
      return await io.fileSize(this.fd);
    } catch (error) {
      throw translate(error, `stat ${this.path}`);
    }
  }

  async truncate(size: number): Promise<void> {
    this.#usable('truncate');
    checkPosition('size', size);
    try {
      await new Promise<void>((resolve, reject) => fsFtruncate(this.fd, size, (err) => (err ? reject(err) : resolve())));
    } catch (error) {
      throw translate(error, `truncate ${this.path}`);
    }
  }

  async sync(): Promise<void> {
    this.#usable('fsync');
    try {
      await io.fsync(this.fd);
    } catch (error) {
      throw translate(error, `fsync ${this.path}`);
    }
  }

  async datasync(): Promise<void> {
    this.#usable('fdatasync');
    try {
      await io.fdatasync(this.fd);
    } catch (error) {
      throw translate(error, `fdatasync ${this.path}`);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await io.close(this.fd);
    } catch (error) {
      throw translate(error, `close ${this.path}`);
    }
  }
}


/** True when a process with this id exists (signal 0 probes without sending anything). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The `FileSystem` of the local disk, through `node:fs` (see {@link nodeFileSystem}). */
class NodeFileSystem implements FileSystem {
  async open(path: string, flags: OpenFlags = {}): Promise<FileHandle> {
    checkPath(path);
    const writable = flags.write === true || flags.create === true || flags.truncate === true;
    let mode = writable ? fsConstants.O_RDWR : fsConstants.O_RDONLY;
    if (flags.create === true) mode |= fsConstants.O_CREAT;
    if (flags.create === true && flags.exclusive === true) mode |= fsConstants.O_EXCL;
    if (flags.truncate === true) mode |= fsConstants.O_TRUNC;
    const dataSync = flags.dataSync === true && writable;
    if (dataSync) mode |= O_DSYNC;
    try {
      const fd = await io.open(path, mode);
      return new NodeFileHandle(path, fd, writable, dataSync && O_DSYNC === 0);
    } catch (error) {
      throw translate(error, `open ${path}`);
    }
  }

  async readFile(path: string): Promise<Uint8Array> {
    checkPath(path);
    try {
      const buffer = await fsp.readFile(path);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
    } catch (error) {
      throw translate(error, `read ${path}`);
    }
  }

  async rename(from: string, to: string): Promise<void> {
    checkPath(from);
    checkPath(to);
    try {
      await fsp.rename(from, to);
    } catch (error) {
      throw translate(error, `rename ${from} to ${to}`);
    }
  }

  async remove(path: string): Promise<void> {
    checkPath(path);
    try {
      await fsp.unlink(path);
    } catch (error) {
      throw translate(error, `remove ${path}`);
    }
  }

  async list(path: string): Promise<string[]> {
    checkPath(path);
    try {
      return (await fsp.readdir(path)).sort();
    } catch (error) {
      throw translate(error, `list ${path}`);
    }
  }

  async mkdir(path: string): Promise<boolean> {
    checkPath(path);
    let first: string | undefined;
    try {
      first = await fsp.mkdir(path, { recursive: true });
    } catch (error) {
      throw translate(error, `mkdir ${path}`);
    }
    if (first === undefined) {
      const stat = await this.stat(path);
      if (stat.kind !== 'directory') throw new FileExistsError(`mkdir ${path}: a file has that name`);
      return false;
    }
    // Each directory created is durable once its parent's entries are: sync them, deepest first.
    let dir = path;
    for (;;) {
      await this.syncDirectory(dirname(dir));
      if (dir === first || dirname(dir) === dir) break;
      dir = dirname(dir);
    }
    return true;
  }

  async stat(path: string): Promise<FileStat> {
    checkPath(path);
    try {
      const stats = await fsp.stat(path);
      return { kind: stats.isDirectory() ? 'directory' : 'file', size: stats.size };
    } catch (error) {
      throw translate(error, `stat ${path}`);
    }
  }

  async syncDirectory(path: string): Promise<void> {
    checkPath(path);
    let fd: number;
    try {
      fd = await io.open(path, fsConstants.O_RDONLY);
    } catch (error) {
      throw translate(error, `open directory ${path}`);
    }
    try {
      await io.fsync(fd);
    } catch (error) {
      throw translate(error, `fsync directory ${path}`);
    } finally {
      await io.close(fd).catch(() => undefined);
    }
  }

  /**
   * The lock file holds this process's id, created atomically (written to a private name,
   * then hard-linked, which fails if the lock exists). A lock left by a process that no longer
   * exists (it crashed or was killed) is taken over; one held by a live process, this one
   * included, is refused. Limits: process ids are only meaningful on one host (do not share a
   * directory between machines or PID namespaces), and two processes taking over the same
   * stale lock at the same instant are not told apart.
   */
  async lock(path: string): Promise<FileLock> {
    checkPath(path);
    const staging = `${path}.${randomUUID()}.staging`;
    try {
      await fsp.writeFile(staging, `${process.pid}\n`);
    } catch (error) {
      throw translate(error, `lock ${path}`);
    }
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          await fsp.link(staging, path);
          let released = false;
          return {
            path,
            release: async () => {
              if (released) return;
              released = true;
              await fsp.unlink(path).catch(() => undefined);
            },
          };
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw translate(error, `lock ${path}`);
        }
        const pid = Number.parseInt(await fsp.readFile(path, 'utf8').catch(() => ''), 10);
        if (Number.isSafeInteger(pid) && pid > 0 && processAlive(pid)) {
          throw new FileLockedError(`${path} is held by process ${pid}`, { holder: pid });
        }
        await fsp.unlink(path).catch(() => undefined);
      }
      throw new FileLockedError(`${path} is held (taken over by another process meanwhile)`);
    } finally {
      await fsp.unlink(staging).catch(() => undefined);
    }
  }
}

const NODE_FILE_SYSTEM: FileSystem = Object.freeze(new NodeFileSystem());

/**
 * The local disk as a `FileSystem` (the storage seam of `@lattice/core`), through `node:fs`:
 * the default storage of `openWal`. Errors are the seam's typed errors, with the operating
 * system's error as `cause`.
 *
 * @example
 * ```ts
 * import { nodeFileSystem, openWal } from '@lattice/wal';
 *
 * const wal = await openWal('./data/wal', { fs: nodeFileSystem() }); // the same as leaving fs out
 * ```
 */
export function nodeFileSystem(): FileSystem {
  return NODE_FILE_SYSTEM;
}

/** True for the file system {@link nodeFileSystem} returns (the only one the writer thread can write to). */
export function isNodeFileSystem(fs: FileSystem): boolean {
  return fs === NODE_FILE_SYSTEM;
}
