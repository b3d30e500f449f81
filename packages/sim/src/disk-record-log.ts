import { type Codec, InvalidArgumentError, type RecordSink } from '@lattice/core';
import type { Disk } from './disk.js';

/** Options of {@link DiskRecordLog}. */
export interface DiskRecordLogOptions<R> {
  /** The file on the disk that holds the records. */
  file: string;
  /** Turns a record into bytes and back. */
  codec: Codec<R>;
}

const LENGTH_BYTES = 4;

/**
 * A protocol core's durable records on a simulated {@link Disk}: the `RecordSink` that makes a
 * `ProtocolDriver` synchronous in the simulator (each `persist` is an append, and a sync when
 * asked, done before it returns). Records are length-prefixed, so a write torn by a crash
 * leaves a short last record, which {@link DiskRecordLog.load} cuts off: what comes back is
 * always a prefix of what was persisted, holding at least everything that was synced.
 *
 * @example
 * ```ts
 * node: (ctx) => {
 *   const log = new DiskRecordLog(ctx.disk, { file: 'raft', codec: raftRecordCodec() });
 *   const stored = replayRaftRecords(log.load());
 *   return ctx.runCore({ core: new RaftCore({ id: ctx.id, voters: ctx.nodes, stored }), codec: raftMessageCodec(), storage: log });
 * }
 * ```
 */
export class DiskRecordLog<R> implements RecordSink<R> {
  readonly #disk: Disk;
  readonly #file: string;
  readonly #codec: Codec<R>;

  constructor(disk: Disk, options: DiskRecordLogOptions<R>) {
    if (typeof disk !== 'object' || disk === null || typeof disk.append !== 'function' || typeof disk.sync !== 'function') {
      throw new InvalidArgumentError('DiskRecordLog needs a Disk (a node context\'s `disk`)');
    }
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('DiskRecordLog needs options: { file, codec }');
    if (typeof options.file !== 'string' || options.file.length === 0) throw new InvalidArgumentError(`file must be a non-empty string, got ${JSON.stringify(options.file)}`);
    if (typeof options.codec?.encode !== 'function' || typeof options.codec.decode !== 'function') throw new InvalidArgumentError('codec must be a Codec (encode, decode)');
    this.#disk = disk;
    this.#file = options.file;
    this.#codec = options.codec;
  }

  persist(records: readonly R[], options: { readonly sync: boolean }): void {
    if (records.length > 0) {
      const encoded = records.map((record) => this.#codec.encode(record));
      let total = 0;
      for (const bytes of encoded) total += LENGTH_BYTES + bytes.byteLength;
      // One append per batch: a crash tears at most its tail, never an earlier batch.
      const batch = new Uint8Array(total);
      const view = new DataView(batch.buffer);
      let at = 0;
      for (const bytes of encoded) {
        view.setUint32(at, bytes.byteLength);
        batch.set(bytes, at + LENGTH_BYTES);
        at += LENGTH_BYTES + bytes.byteLength;
      }
      this.#disk.append(this.#file, batch);
    }
    if (options.sync) this.#disk.sync();
  }

  /**
   * The records on disk, in the order persisted. A torn last record is cut off the file, durably
   * (the disk is synced), so later appends follow the last whole record even across crashes.
   * A record that is whole but does not decode is corruption, not a torn write: the codec's
   * error is thrown.
   */
  load(): R[] {
    const bytes = this.#disk.read(this.#file);
    if (bytes === undefined) return [];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const records: R[] = [];
    let at = 0;
    while (at + LENGTH_BYTES <= bytes.byteLength) {
      const length = view.getUint32(at);
      const end = at + LENGTH_BYTES + length;
      if (end > bytes.byteLength) break;
      records.push(this.#codec.decode(bytes.subarray(at + LENGTH_BYTES, end)));
      at = end;
    }
    if (at < bytes.byteLength) {
      // The cut is synced at once, as a real log truncates and fsyncs before it appends: left
      // unsynced, a crash could lose it while a torn prefix of the next append lands after the
      // old torn bytes, and the two would read back as a record of garbage.
      this.#disk.write(this.#file, bytes.slice(0, at));
      this.#disk.sync();
    }
    return records;
  }
}
