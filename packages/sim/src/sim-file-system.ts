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
  type OpenFlags,
  type Random,
  StorageIoError,
} from '@lattice/core';

/** Read faults a {@link SimFileSystem} injects when asked to (each a probability per read, 0 to 1). */
export interface SimReadFaults {
  /** One bit of the bytes returned is flipped (what is stored stays intact). */
  corrupt?: number;
  /** The bytes returned come from another place in the file (a misdirected read). */
  misdirect?: number;
}

/** Options of {@link SimFileSystem}. */
export interface SimFileSystemOptions {
  /**
   * When true, a crash does not always lose the last unsynced write to a file whole: a
   * random-length prefix of it may land (a torn write), and so may a prefix of a write the
   * crash interrupted (see {@link SimFileSystem.crashAfter}). Default false.
   */
  tornWrites?: boolean;
  /** Read faults from the start (see {@link SimFileSystem.setReadFaults}). Default none. */
  readFaults?: SimReadFaults;
}

/** What a crash of a {@link SimFileSystem} did. */
export interface SimCrashReport {
  /** Files whose unsynced bytes were dropped. */
  readonly filesReverted: number;
  /** Names (full paths) that vanished because their directory was not synced since they appeared. */
  readonly vanished: readonly string[];
  /** Names that came back because their removal or rename was not synced. */
  readonly reappeared: readonly string[];
  /** Writes of which only a prefix landed. */
  readonly torn: readonly { readonly path: string; readonly landed: number; readonly of: number }[];
}

/** A growable run of bytes. */
class Bytes {
  data: Uint8Array;
  length: number;

  constructor(data = new Uint8Array(0), length = data.length) {
    this.data = data;
    this.length = length;
  }

  copy(): Bytes {
    return new Bytes(this.data.slice(0, this.length), this.length);
  }

  #reserve(size: number): void {
    if (size <= this.data.length) return;
    let capacity = Math.max(64, this.data.length * 2);
    while (capacity < size) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.data.subarray(0, this.length));
    this.data = grown;
  }

  write(position: number, bytes: Uint8Array): void {
    const end = position + bytes.length;
    this.#reserve(end);
    // A gap between the old end and the write reads as zeros (the buffer past `length` may hold
    // bytes of a longer past, cut by truncate).
    if (position > this.length) this.data.fill(0, this.length, position);
    this.data.set(bytes, position);
    if (end > this.length) this.length = end;
  }

  truncate(size: number): void {
    this.#reserve(size);
    if (size > this.length) this.data.fill(0, this.length, size);
    this.length = size;
  }
}

interface UnsyncedWrite {
  readonly position: number;
  readonly bytes: Uint8Array;
}

class FileNode {
  readonly kind = 'file';
  /** What reads see. */
  current = new Bytes();
  /** What survives a crash. */
  durable = new Bytes();
  /** Writes (or truncations) since the last sync. */
  dirty = false;
  /** The last unsynced write, which a crash may land in part. */
  lastUnsynced: UnsyncedWrite | undefined;
}

class DirNode {
  readonly kind = 'dir';
  readonly entries = new Map<string, FileNode | DirNode>();
  /** The entries as of the last directory sync: what a crash leaves. */
  durableEntries = new Map<string, FileNode | DirNode>();
}

type Node = FileNode | DirNode;

function split(path: unknown): string[] {
  if (typeof path !== 'string' || path === '') throw new InvalidArgumentError(`path must be a non-empty string, got ${JSON.stringify(path)}`);
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new InvalidArgumentError(`path must not contain '..', got ${JSON.stringify(path)}`);
  return parts;
}

function checkPosition(what: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${what} must be a non-negative integer, got ${String(value)}`);
  }
}

function gather(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data.slice();
  if (!Array.isArray(data)) throw new InvalidArgumentError('write takes a Uint8Array or an array of them');
  let length = 0;
  for (const chunk of data) {
    if (!(chunk instanceof Uint8Array)) throw new InvalidArgumentError('write takes a Uint8Array or an array of them');
    length += chunk.length;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of data as Uint8Array[]) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function checkProbability(what: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new InvalidArgumentError(`${what} must be a probability in [0, 1], got ${String(value)}`);
}

/**
 * A simulated disk behind the storage seam of `@lattice/core`, for running real storage code
 * (`FileWal` from `@lattice/wal`, Raft's log) through crashes, deterministically from a seeded
 * {@link Random}:
 *
 * - a file's bytes survive a crash only as of its last `sync`/`datasync` (or, on a handle
 *   opened with `dataSync`, each write as it resolves); with `tornWrites`, a prefix of the last
 *   unsynced write to a file may land;
 * - a directory's entries survive only as of its last `syncDirectory`: a created or renamed
 *   file whose directory was not synced vanishes (or is back under its old name), a removed
 *   one comes back; `mkdir` is durable when it resolves;
 * - opt-in read faults: a flipped bit, a misdirected read ({@link setReadFaults});
 * - {@link crash} (or {@link crashAfter}, at an exact operation) stops the disk: every handle
 *   and lock of the process that died is dead, every call rejects with `ClosedError` until
 *   {@link restart}, which brings up the surviving state for the next incarnation.
 *
 * Paths are `/`-separated; a leading `/` does not matter. Locks are not files (they do not
 * show in `list`) and die with the crash.
 *
 * @example
 * ```ts
 * import { joinPath, seededRandom } from '@lattice/core';
 * import { SimFileSystem } from '@lattice/sim';
 *
 * const disk = new SimFileSystem(seededRandom(7), { tornWrites: true });
 * await disk.mkdir('data');
 * const file = await disk.open(joinPath('data', 'log'), { create: true });
 * await file.write(new Uint8Array([1, 2, 3]), 0);
 * await file.sync();
 * await disk.syncDirectory('data');
 * await file.write(new Uint8Array([4]), 3); // not synced
 * disk.crash();
 * disk.restart();
 * console.log(await disk.readFile('data/log')); // Uint8Array [1, 2, 3]
 * ```
 */
export class SimFileSystem implements FileSystem {
  readonly #random: Random;
  readonly #torn: boolean;
  readonly #root = new DirNode();
  readonly #locks = new Set<string>();
  #faults: Required<SimReadFaults> = { corrupt: 0, misdirect: 0 };
  #up = true;
  /** Bumped at every crash: handles of an earlier incarnation are dead. */
  #generation = 0;
  #operations = 0;
  #crashAt: number | undefined;
  #lastCrash: SimCrashReport | undefined;

  constructor(random: Random, options: SimFileSystemOptions = {}) {
    if (typeof random !== 'object' || random === null || typeof random.int !== 'function') {
      throw new InvalidArgumentError('SimFileSystem needs a Random (e.g. seededRandom(seed)) to be deterministic');
    }
    this.#random = random;
    this.#torn = options.tornWrites ?? false;
    if (options.readFaults !== undefined) this.setReadFaults(options.readFaults);
  }

  /** False between a crash and the restart. */
  get up(): boolean {
    return this.#up;
  }

  /** Operations (file system and handle calls) so far, over all incarnations. */
  get operations(): number {
    return this.#operations;
  }

  /** What the last crash did, if there was one. */
  get lastCrash(): SimCrashReport | undefined {
    return this.#lastCrash;
  }

  /** Turns read faults on (or, with zeros or `{}`, off). */
  setReadFaults(faults: SimReadFaults): void {
    checkProbability('corrupt', faults.corrupt);
    checkProbability('misdirect', faults.misdirect);
    this.#faults = { corrupt: faults.corrupt ?? 0, misdirect: faults.misdirect ?? 0 };
  }

  /**
   * Crashes the disk at the `operations`-th call from now (1 = the next one): that call does
   * not happen (with `tornWrites`, a prefix of a write lands) and rejects, like every later
   * one until {@link restart}. Lets a test crash storage code in the middle of its own
   * sequences (a segment rotation, a rename and its directory sync).
   */
  crashAfter(operations: number): void {
    if (!Number.isSafeInteger(operations) || operations < 1) throw new InvalidArgumentError(`operations must be a positive integer, got ${String(operations)}`);
    this.#crashAt = this.#operations + operations;
  }

  /** Cancels a crash scheduled with {@link crashAfter} that has not happened yet. */
  cancelCrash(): void {
    this.#crashAt = undefined;
  }

  /**
   * Power loss: unsynced bytes and directory entries are dropped (with `tornWrites`, a prefix
   * of each file's last unsynced write may land), every handle and lock dies, and the disk is
   * down until {@link restart}. Crashing a disk that is down changes nothing more.
   */
  crash(): SimCrashReport {
    return this.#crash(undefined);
  }

  /** Brings the disk up after a crash, holding what survived. No-op if it is up. */
  restart(): void {
    this.#up = true;
  }

  /**
   * This disk as one process incarnation sees it: the same files, but once the disk crashes
   * every call through the view rejects with `ClosedError`, even after {@link restart}. Give
   * each incarnation of the code under test its own view, so that the dead process's calls
   * still in flight can never reach its successor's files.
   */
  view(): FileSystem {
    return new SimFileSystemView(this, this.#generation, this.#internals);
  }

  #crash(interrupted: { node: FileNode; path: string; write: UnsyncedWrite } | undefined): SimCrashReport {
    this.#crashAt = undefined;
    if (!this.#up && this.#lastCrash !== undefined) return this.#lastCrash;
    this.#up = false;
    this.#generation++;
    this.#locks.clear();
    const torn: { path: string; landed: number; of: number }[] = [];
    if (interrupted !== undefined && this.#torn && interrupted.write.bytes.length > 0) {
      const landed = this.#random.int(interrupted.write.bytes.length);
      interrupted.node.durable.write(interrupted.write.position, interrupted.write.bytes.subarray(0, landed));
      interrupted.node.dirty = true;
      torn.push({ path: interrupted.path, landed, of: interrupted.write.bytes.length });
    }
    const vanished: string[] = [];
    const reappeared: string[] = [];
    let filesReverted = 0;
    const seen = new Set<Node>();
    const visit = (dir: DirNode, path: string): void => {
      for (const name of dir.entries.keys()) if (!dir.durableEntries.has(name)) vanished.push(joinName(path, name));
      for (const [name, node] of dir.durableEntries) if (dir.entries.get(name) !== node) reappeared.push(joinName(path, name));
      dir.entries.clear();
      for (const [name, node] of dir.durableEntries) dir.entries.set(name, node);
      for (const [name, node] of dir.entries) {
        if (seen.has(node)) continue;
        seen.add(node);
        if (node.kind === 'dir') {
          visit(node, joinName(path, name));
          continue;
        }
        if (!node.dirty) continue;
        filesReverted++;
        const last = node.lastUnsynced;
        // Sorted visit order and one draw per file keep the outcome a function of the seed.
        if (this.#torn && last !== undefined && last.bytes.length > 0 && this.#random.int(2) === 1) {
          const landed = this.#random.int(last.bytes.length);
          node.durable.write(last.position, last.bytes.subarray(0, landed));
          torn.push({ path: joinName(path, name), landed, of: last.bytes.length });
        }
        node.current = node.durable.copy();
        node.dirty = false;
        node.lastUnsynced = undefined;
      }
    };
    visit(this.#root, '');
    this.#lastCrash = { filesReverted, vanished: vanished.sort(), reappeared: reappeared.sort(), torn };
    return this.#lastCrash;
  }

  /**
   * Every call goes through here: refuses it while the disk is down, and carries out a crash
   * scheduled for this call (which then does not happen).
   */
  #enter(what: string, interrupted?: { node: FileNode; path: string; write: UnsyncedWrite }): void {
    if (!this.#up) throw new ClosedError(`${what}: the simulated disk crashed (restart() it)`);
    this.#operations++;
    if (this.#crashAt !== undefined && this.#operations >= this.#crashAt) {
      this.#crash(interrupted);
      throw new ClosedError(`${what}: the simulated disk crashed during the call`);
    }
  }

  /** What handles reach of the disk (kept off its public surface). */
  readonly #internals: DiskInternals = {
    generation: () => this.#generation,
    check: (generation, what) => {
      if (!this.#up || generation !== this.#generation) throw new ClosedError(`${what}: the simulated disk crashed since this file was opened`);
    },
    enter: (what, interrupted) => this.#enter(what, interrupted),
    read: (node, buffer, offset, length, position) => this.#read(node, buffer, offset, length, position),
  };

  /** A read's bytes, with any read fault this read draws. */
  #read(node: FileNode, buffer: Uint8Array, offset: number, length: number, position: number): number {
    const bytes = node.current;
    let from = position;
    if (this.#faults.misdirect > 0 && this.#random.next() < this.#faults.misdirect && bytes.length > 0) {
      // Another sector-aligned place in the file.
      const sectors = Math.max(1, Math.ceil(bytes.length / 512));
      from = (this.#random.int(sectors) * 512 + (position % 512)) % Math.max(1, bytes.length);
      if (from === position) from = (position + 512) % Math.max(1, bytes.length);
    }
    const got = Math.max(0, Math.min(length, bytes.length - from));
    if (got > 0) buffer.set(bytes.data.subarray(from, from + got), offset);
    const real = Math.max(0, Math.min(length, bytes.length - position));
    if (got < real) buffer.fill(0, offset + got, offset + real);
    if (this.#faults.corrupt > 0 && real > 0 && this.#random.next() < this.#faults.corrupt) {
      const at = offset + this.#random.int(real);
      buffer[at]! ^= 1 << this.#random.int(8);
    }
    return real;
  }

  #lookup(parts: readonly string[]): Node | undefined {
    let node: Node = this.#root;
    for (const part of parts) {
      if (node.kind !== 'dir') return undefined;
      const next: Node | undefined = node.entries.get(part);
      if (next === undefined) return undefined;
      node = next;
    }
    return node;
  }

  /** The directory holding `parts`' last name, or a typed error. */
  #parent(parts: readonly string[], path: string, what: string): DirNode {
    const parent = this.#lookup(parts.slice(0, -1));
    if (parent === undefined) throw new FileNotFoundError(`${what} ${path}: no such directory`);
    if (parent.kind !== 'dir') throw new StorageIoError(`${what} ${path}: a parent is not a directory`);
    return parent;
  }

  async open(path: string, flags: OpenFlags = {}): Promise<FileHandle> {
    const parts = split(path);
    if (parts.length === 0) throw new StorageIoError(`open ${path}: is a directory`);
    this.#enter(`open ${path}`);
    const writable = flags.write === true || flags.create === true || flags.truncate === true;
    const parent = this.#parent(parts, path, 'open');
    const name = parts[parts.length - 1]!;
    let node = parent.entries.get(name);
    if (node !== undefined && flags.create === true && flags.exclusive === true) throw new FileExistsError(`open ${path}: the file exists`);
    if (node === undefined) {
      if (flags.create !== true) throw new FileNotFoundError(`open ${path}: no such file`);
      node = new FileNode();
      parent.entries.set(name, node);
    }
    if (node.kind !== 'file') throw new StorageIoError(`open ${path}: is a directory`);
    if (flags.truncate === true && node.current.length > 0) {
      node.current.truncate(0);
      node.dirty = true;
      node.lastUnsynced = undefined;
    }
    return new SimFileHandle(this.#internals, node, path, writable, flags.dataSync === true && writable);
  }

  async readFile(path: string): Promise<Uint8Array> {
    const parts = split(path);
    this.#enter(`read ${path}`);
    const node = this.#lookup(parts);
    if (node === undefined) throw new FileNotFoundError(`read ${path}: no such file`);
    if (node.kind !== 'file') throw new StorageIoError(`read ${path}: is a directory`);
    const out = new Uint8Array(node.current.length);
    this.#read(node, out, 0, out.length, 0);
    return out;
  }

  async rename(from: string, to: string): Promise<void> {
    const source = split(from);
    const target = split(to);
    this.#enter(`rename ${from}`);
    if (source.length === 0 || target.length === 0) throw new StorageIoError(`rename ${from} to ${to}: cannot move the root`);
    const sourceDir = this.#parent(source, from, 'rename');
    const node = sourceDir.entries.get(source[source.length - 1]!);
    if (node === undefined) throw new FileNotFoundError(`rename ${from}: no such file`);
    if (node.kind !== 'file') throw new StorageIoError(`rename ${from}: only files can be renamed`);
    const targetDir = this.#parent(target, to, 'rename');
    const existing = targetDir.entries.get(target[target.length - 1]!);
    if (existing?.kind === 'dir') throw new StorageIoError(`rename ${from} to ${to}: the target is a directory`);
    sourceDir.entries.delete(source[source.length - 1]!);
    targetDir.entries.set(target[target.length - 1]!, node);
  }

  async remove(path: string): Promise<void> {
    const parts = split(path);
    this.#enter(`remove ${path}`);
    if (parts.length === 0) throw new StorageIoError(`remove ${path}: cannot remove the root`);
    const parent = this.#parent(parts, path, 'remove');
    const name = parts[parts.length - 1]!;
    const node = parent.entries.get(name);
    if (node === undefined) throw new FileNotFoundError(`remove ${path}: no such file`);
    if (node.kind !== 'file') throw new StorageIoError(`remove ${path}: is a directory`);
    parent.entries.delete(name);
  }

  async list(path: string): Promise<string[]> {
    const parts = split(path);
    this.#enter(`list ${path}`);
    const node = this.#lookup(parts);
    if (node === undefined) throw new FileNotFoundError(`list ${path}: no such directory`);
    if (node.kind !== 'dir') throw new StorageIoError(`list ${path}: not a directory`);
    return [...node.entries.keys()].sort();
  }

  async mkdir(path: string): Promise<boolean> {
    const parts = split(path);
    this.#enter(`mkdir ${path}`);
    let dir = this.#root;
    let created = false;
    for (const part of parts) {
      const next = dir.entries.get(part);
      if (next !== undefined && next.kind !== 'dir') throw new FileExistsError(`mkdir ${path}: ${part} is a file`);
      if (next !== undefined) {
        dir = next;
        continue;
      }
      const fresh = new DirNode();
      // Durable at once: the contract's mkdir returns only once what it created is durable.
      dir.entries.set(part, fresh);
      dir.durableEntries.set(part, fresh);
      dir = fresh;
      created = true;
    }
    return created;
  }

  async stat(path: string): Promise<FileStat> {
    const parts = split(path);
    this.#enter(`stat ${path}`);
    const node = this.#lookup(parts);
    if (node === undefined) throw new FileNotFoundError(`stat ${path}: no such file or directory`);
    return node.kind === 'dir' ? { kind: 'directory', size: node.entries.size } : { kind: 'file', size: node.current.length };
  }

  async syncDirectory(path: string): Promise<void> {
    const parts = split(path);
    this.#enter(`sync directory ${path}`);
    const node = this.#lookup(parts);
    if (node === undefined) throw new FileNotFoundError(`sync directory ${path}: no such directory`);
    if (node.kind !== 'dir') throw new StorageIoError(`sync directory ${path}: not a directory`);
    node.durableEntries = new Map(node.entries);
  }

  async lock(path: string): Promise<FileLock> {
    const key = split(path).join('/');
    this.#enter(`lock ${path}`);
    if (this.#locks.has(key)) throw new FileLockedError(`${path} is held by this process`);
    this.#locks.add(key);
    const generation = this.#generation;
    let released = false;
    return {
      path,
      release: async () => {
        if (released) return;
        released = true;
        // A lock of an incarnation that crashed is already gone (and may be someone else's now).
        if (generation === this.#generation) this.#locks.delete(key);
      },
    };
  }
}

/** See {@link SimFileSystem.view}. */
class SimFileSystemView implements FileSystem {
  readonly #disk: SimFileSystem;
  readonly #generation: number;
  readonly #internals: DiskInternals;

  constructor(disk: SimFileSystem, generation: number, internals: DiskInternals) {
    this.#disk = disk;
    this.#generation = generation;
    this.#internals = internals;
  }

  #live(what: string): SimFileSystem {
    this.#internals.check(this.#generation, what);
    return this.#disk;
  }

  async open(path: string, flags?: OpenFlags): Promise<FileHandle> {
    return this.#live(`open ${path}`).open(path, flags);
  }
  async readFile(path: string): Promise<Uint8Array> {
    return this.#live(`read ${path}`).readFile(path);
  }
  async rename(from: string, to: string): Promise<void> {
    return this.#live(`rename ${from}`).rename(from, to);
  }
  async remove(path: string): Promise<void> {
    return this.#live(`remove ${path}`).remove(path);
  }
  async list(path: string): Promise<string[]> {
    return this.#live(`list ${path}`).list(path);
  }
  async mkdir(path: string): Promise<boolean> {
    return this.#live(`mkdir ${path}`).mkdir(path);
  }
  async stat(path: string): Promise<FileStat> {
    return this.#live(`stat ${path}`).stat(path);
  }
  async syncDirectory(path: string): Promise<void> {
    return this.#live(`sync directory ${path}`).syncDirectory(path);
  }
  async lock(path: string): Promise<FileLock> {
    return this.#live(`lock ${path}`).lock(path);
  }
}

interface DiskInternals {
  generation(): number;
  /** Throws unless the handle's incarnation is the live one. */
  check(generation: number, what: string): void;
  /** Counts the call; refuses it while down, or crashes there if scheduled (landing part of `interrupted`). */
  enter(what: string, interrupted?: { node: FileNode; path: string; write: UnsyncedWrite }): void;
  read(node: FileNode, buffer: Uint8Array, offset: number, length: number, position: number): number;
}

function joinName(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** A file opened on a {@link SimFileSystem}. */
class SimFileHandle implements FileHandle {
  readonly path: string;
  readonly #disk: DiskInternals;
  readonly #node: FileNode;
  readonly #writable: boolean;
  readonly #dataSync: boolean;
  readonly #generation: number;
  #closed = false;

  constructor(disk: DiskInternals, node: FileNode, path: string, writable: boolean, dataSync: boolean) {
    this.#disk = disk;
    this.#node = node;
    this.path = path;
    this.#writable = writable;
    this.#dataSync = dataSync;
    this.#generation = disk.generation();
  }

  #usable(what: string): void {
    if (this.#closed) throw new ClosedError(`${what} ${this.path}: the file is closed`);
    this.#disk.check(this.#generation, `${what} ${this.path}`);
  }

  async write(data: Uint8Array | readonly Uint8Array[], position: number): Promise<void> {
    this.#usable('write');
    const bytes = gather(data);
    checkPosition('position', position);
    if (!this.#writable) throw new StorageIoError(`write ${this.path}: the file was opened read-only`);
    this.#apply(bytes, position);
  }

  #apply(bytes: Uint8Array, position: number): void {
    const write = { position, bytes };
    this.#disk.enter(`write ${this.path}`, { node: this.#node, path: this.path, write });
    const node = this.#node;
    node.current.write(position, bytes);
    if (this.#dataSync) {
      // This write is durable as it returns; earlier unsynced ones (another handle's) are not.
      node.durable.write(position, bytes);
      return;
    }
    node.dirty = true;
    node.lastUnsynced = write;
  }

  async append(data: Uint8Array): Promise<void> {
    this.#usable('append');
    const bytes = gather(data);
    if (!this.#writable) throw new StorageIoError(`append ${this.path}: the file was opened read-only`);
    this.#apply(bytes, this.#node.current.length);
  }

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    this.#usable('read');
    if (!(buffer instanceof Uint8Array)) throw new InvalidArgumentError('read takes a Uint8Array buffer');
    checkPosition('offset', offset);
    checkPosition('length', length);
    checkPosition('position', position);
    if (offset + length > buffer.length) throw new InvalidArgumentError(`offset + length (${offset + length}) exceeds the buffer (${buffer.length} bytes)`);
    this.#disk.enter(`read ${this.path}`);
    if (length === 0) return 0;
    return this.#disk.read(this.#node, buffer, offset, length, position);
  }

  async size(): Promise<number> {
    this.#usable('stat');
    this.#disk.enter(`stat ${this.path}`);
    return this.#node.current.length;
  }

  async truncate(size: number): Promise<void> {
    this.#usable('truncate');
    checkPosition('size', size);
    if (!this.#writable) throw new StorageIoError(`truncate ${this.path}: the file was opened read-only`);
    this.#disk.enter(`truncate ${this.path}`);
    this.#node.current.truncate(size);
    this.#node.dirty = true;
    this.#node.lastUnsynced = undefined;
  }

  async sync(): Promise<void> {
    await this.datasync();
  }

  async datasync(): Promise<void> {
    this.#usable('sync');
    this.#disk.enter(`sync ${this.path}`);
    const node = this.#node;
    if (!node.dirty) return;
    node.durable = node.current.copy();
    node.dirty = false;
    node.lastUnsynced = undefined;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
