import { assertOptionalObject, describeValue, InvalidArgumentError, type Random } from '@lattice/core';

/**
 * The storage a simulated node sees: named files of bytes that can be replaced or appended
 * to. Writes are visible to reads at once but only become durable at {@link Disk.sync}; a
 * crash loses everything written since the last sync.
 */
export interface Disk {
  /** The file's bytes (a copy), or undefined if it does not exist. */
  read(key: string): Uint8Array | undefined;
  /** Replaces the file's contents (creating it). */
  write(key: string, bytes: Uint8Array): void;
  /** Appends to the file (creating it). */
  append(key: string, bytes: Uint8Array): void;
  /** Removes the file; a no-op if it does not exist. */
  delete(key: string): void;
  /** Names of the existing files, sorted. */
  keys(): string[];
  /** Makes every write so far durable (fsync of everything). */
  sync(): void;
  /** Writes not yet made durable. */
  readonly unsynced: number;
}

type PendingWrite =
  | { readonly kind: 'write'; readonly key: string; readonly bytes: Uint8Array }
  | { readonly kind: 'append'; readonly key: string; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly key: string };

/** What a crash did to a {@link SimDisk}. */
export interface CrashLoss {
  /** Unsynced writes lost (a torn write counts as lost). */
  readonly lost: number;
  /** Set when the last unsynced write was torn: the file, and how many of its bytes landed. */
  readonly torn?: { readonly key: string; readonly bytesWritten: number; readonly of: number };
}

/** Options of {@link SimDisk}. */
export interface SimDiskOptions {
  /**
   * When true, a crash does not lose the last unsynced write whole: a random-length prefix
   * of its bytes lands (a torn write), as on a disk without atomic sector writes. Default false.
   */
  tornWrites?: boolean;
}

/**
 * A node's simulated disk: survives crashes, but only what was synced. The simulator gives
 * each incarnation of a node a {@link Disk} view of it that goes inert when that incarnation
 * crashes, so a dead process's late writes cannot reach its successor.
 *
 * @example
 * ```ts
 * const disk = new SimDisk();
 * disk.write('term', new Uint8Array([7]));
 * disk.sync();
 * disk.append('log', new Uint8Array([1, 2, 3]));
 * disk.crash(seededRandom(1)); // the append is lost, 'term' survives
 * ```
 */
export class SimDisk implements Disk {
  readonly #durable = new Map<string, Uint8Array>();
  readonly #current = new Map<string, Uint8Array>();
  #pending: PendingWrite[] = [];
  readonly #torn: boolean;

  constructor(options: SimDiskOptions = {}) {
    assertOptionalObject(options, 'SimDisk options');
    if (options.tornWrites !== undefined && typeof options.tornWrites !== 'boolean') {
      throw new InvalidArgumentError(`SimDisk options.tornWrites must be true or false, got ${describeValue(options.tornWrites)}`);
    }
    this.#torn = options.tornWrites ?? false;
  }

  read(key: string): Uint8Array | undefined {
    const bytes = this.#current.get(key);
    return bytes === undefined ? undefined : bytes.slice();
  }

  write(key: string, bytes: Uint8Array): void {
    checkKey(key);
    checkBytes(bytes);
    const copy = bytes.slice();
    this.#current.set(key, copy);
    this.#pending.push({ kind: 'write', key, bytes: copy });
  }

  append(key: string, bytes: Uint8Array): void {
    checkKey(key);
    checkBytes(bytes);
    const copy = bytes.slice();
    this.#current.set(key, concat(this.#current.get(key), copy));
    this.#pending.push({ kind: 'append', key, bytes: copy });
  }

  delete(key: string): void {
    checkKey(key);
    if (!this.#current.has(key)) return;
    this.#current.delete(key);
    this.#pending.push({ kind: 'delete', key });
  }

  keys(): string[] {
    return [...this.#current.keys()].sort();
  }

  sync(): void {
    for (const write of this.#pending) apply(this.#durable, write, undefined);
    this.#pending = [];
  }

  get unsynced(): number {
    return this.#pending.length;
  }

  /** Total bytes currently visible, over all files. */
  get bytes(): number {
    let total = 0;
    for (const bytes of this.#current.values()) total += bytes.length;
    return total;
  }

  /**
   * Simulates a power loss: unsynced writes are lost (the last one possibly torn, with
   * `tornWrites`), and reads afterwards see only durable data.
   */
  crash(random: Random): CrashLoss {
    const pending = this.#pending;
    this.#pending = [];
    let torn: CrashLoss['torn'];
    const last = pending[pending.length - 1];
    if (this.#torn && last !== undefined && last.kind !== 'delete' && last.bytes.length > 0) {
      const bytesWritten = random.int(last.bytes.length);
      apply(this.#durable, last, bytesWritten);
      torn = { key: last.key, bytesWritten, of: last.bytes.length };
    }
    this.#current.clear();
    for (const [key, bytes] of this.#durable) this.#current.set(key, bytes);
    return torn === undefined ? { lost: pending.length } : { lost: pending.length, torn };
  }
}

function apply(files: Map<string, Uint8Array>, write: PendingWrite, prefix: number | undefined): void {
  if (write.kind === 'delete') {
    files.delete(write.key);
    return;
  }
  const bytes = prefix === undefined ? write.bytes : write.bytes.subarray(0, prefix);
  if (write.kind === 'append') {
    files.set(write.key, concat(files.get(write.key), bytes));
    return;
  }
  const old = files.get(write.key);
  if (prefix === undefined || old === undefined || old.length <= bytes.length) {
    files.set(write.key, bytes.slice());
    return;
  }
  // A torn overwrite: the new prefix over the old contents.
  const merged = old.slice();
  merged.set(bytes, 0);
  files.set(write.key, merged);
}

function concat(a: Uint8Array | undefined, b: Uint8Array): Uint8Array {
  if (a === undefined || a.length === 0) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidArgumentError(`disk key must be a non-empty string, got ${JSON.stringify(key)}`);
}

function checkBytes(bytes: Uint8Array): void {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('disk writes take a Uint8Array');
}

/** A {@link Disk} view that stops having effects once `alive()` turns false (its process died). */
export class DiskView implements Disk {
  readonly #disk: SimDisk;
  readonly #alive: () => boolean;

  constructor(disk: SimDisk, alive: () => boolean) {
    this.#disk = disk;
    this.#alive = alive;
  }

  read(key: string): Uint8Array | undefined {
    return this.#disk.read(key);
  }
  write(key: string, bytes: Uint8Array): void {
    if (this.#alive()) this.#disk.write(key, bytes);
  }
  append(key: string, bytes: Uint8Array): void {
    if (this.#alive()) this.#disk.append(key, bytes);
  }
  delete(key: string): void {
    if (this.#alive()) this.#disk.delete(key);
  }
  keys(): string[] {
    return this.#disk.keys();
  }
  sync(): void {
    if (this.#alive()) this.#disk.sync();
  }
  get unsynced(): number {
    return this.#disk.unsynced;
  }
}
