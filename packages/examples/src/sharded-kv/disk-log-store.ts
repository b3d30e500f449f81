/**
 * A Raft group's log on a process's simulated disk: the `RaftLogStore` a `RaftNode` needs,
 * synchronous underneath (every append is written and synced before it resolves), so the many
 * groups of one process share its disk, one file per group, and lose exactly what a crash loses.
 */
import type { RaftLogStore } from '@lattice/raft';
import type { Disk } from '@lattice/sim';

const LENGTH_BYTES = 4;

/** One group's log in one file of a {@link Disk}: an 8-byte first index, then length-prefixed records. */
export class DiskLogStore implements RaftLogStore {
  readonly #disk: Disk;
  readonly #file: string;
  #first = 1;
  #records: Uint8Array[] = [];
  #created = false;

  constructor(disk: Disk, file: string) {
    this.#disk = disk;
    this.#file = file;
    const bytes = disk.read(file);
    if (bytes === undefined || bytes.byteLength < 8) return;
    this.#created = true;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#first = view.getUint32(0) * 2 ** 32 + view.getUint32(4);
    let at = 8;
    while (at + LENGTH_BYTES <= bytes.byteLength) {
      const length = view.getUint32(at);
      const end = at + LENGTH_BYTES + length;
      if (end > bytes.byteLength) break;
      this.#records.push(bytes.slice(at + LENGTH_BYTES, end));
      at = end;
    }
    // A torn last record is cut off, so later appends follow the last whole one.
    if (at < bytes.byteLength) disk.write(file, bytes.slice(0, at));
  }

  get firstIndex(): number {
    return this.#first;
  }

  get lastIndex(): number {
    return this.#first + this.#records.length - 1;
  }

  async append(records: readonly Uint8Array[]): Promise<number[]> {
    if (!this.#created) {
      this.#disk.write(this.#file, header(this.#first));
      this.#created = true;
    }
    this.#disk.append(this.#file, frame(records));
    this.#disk.sync();
    const indexes: number[] = [];
    for (const record of records) {
      this.#records.push(record.slice());
      indexes.push(this.lastIndex);
    }
    return indexes;
  }

  async *entries(from = this.#first, to = this.lastIndex): AsyncIterable<{ readonly index: number; readonly data: Uint8Array }> {
    for (let index = Math.max(from, this.#first); index <= Math.min(to, this.lastIndex); index++) {
      yield { index, data: this.#records[index - this.#first]! };
    }
  }

  async dropPrefix(index: number): Promise<void> {
    if (index <= this.#first) return;
    const drop = Math.min(index, this.lastIndex + 1) - this.#first;
    this.#records = this.#records.slice(drop);
    this.#first += drop;
    // One write of the whole file: a crash keeps either the old log or the new one.
    const head = header(this.#first);
    const body = frame(this.#records);
    const file = new Uint8Array(head.byteLength + body.byteLength);
    file.set(head, 0);
    file.set(body, head.byteLength);
    this.#disk.write(this.#file, file);
    this.#disk.sync();
    this.#created = true;
  }
}

function header(first: number): Uint8Array {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, Math.floor(first / 2 ** 32));
  view.setUint32(4, first % 2 ** 32);
  return bytes;
}

function frame(records: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const record of records) total += LENGTH_BYTES + record.byteLength;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const record of records) {
    view.setUint32(at, record.byteLength);
    bytes.set(record, at + LENGTH_BYTES);
    at += LENGTH_BYTES + record.byteLength;
  }
  return bytes;
}
