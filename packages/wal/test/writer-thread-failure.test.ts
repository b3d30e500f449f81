import { closeSync, openSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openWal, WalFailedError } from '../src/index.js';
import { payloadFor, sameBytes, tempDir } from './helpers.js';

/** Which write handed to the thread fails (1-based; 0: none), and the descriptor that makes it fail. */
const failure = vi.hoisted(() => ({ at: 0, badFd: -1 }));

// The real thread, except that the chosen write goes to a read-only descriptor, so that the
// thread itself fails it (EBADF) and, as after any failed write, refuses everything after it.
vi.mock('../src/writer-thread.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/writer-thread.js')>();
  class FailingWriterThread extends real.WriterThread {
    #writes = 0;
    override write(fd: number, pieces: readonly Uint8Array[], position: number, sync: boolean): Promise<void> {
      this.#writes++;
      return super.write(this.#writes === failure.at ? failure.badFd : fd, pieces, position, sync);
    }
  }
  return { WriterThread: FailingWriterThread };
});

let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('thread-failure'));
  failure.badFd = openSync('/dev/null', 'r');
});
afterEach(async () => {
  closeSync(failure.badFd);
  failure.at = 0;
  await cleanup();
});

describe('a write that fails in the writer thread', () => {
  it('fails the log: the appends in it and every one after are rejected, nothing after it reaches the disk', async () => {
    failure.at = 4;
    const wal = await openWal(dir, { segmentSize: 64 * 1024, writerThread: 'always' });
    const acked = new Map<number, number>();
    const errors: string[] = [];
    let next = 0;
    const writer = async (): Promise<void> => {
      for (let r = 0; r < 40; r++) {
        const tag = next++;
        try {
          acked.set(await wal.append(payloadFor(tag, 100)), tag);
        } catch (error) {
          errors.push((error as { code?: string }).code ?? String(error));
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, writer));
    expect(errors.length).toBe(16); // every writer ran into the failure
    expect(new Set(errors)).toEqual(new Set([WalFailedError.code]));
    await expect(wal.append(payloadFor(1, 100))).rejects.toMatchObject({ code: WalFailedError.code });
    await expect(wal.truncateSuffix(0)).rejects.toMatchObject({ code: WalFailedError.code });
    const acknowledged = wal.lastIndex;
    expect(acked.size).toBe(acknowledged);
    await wal.close();
    // After reopening: exactly the acknowledged records, in place (no write after the failed one).
    failure.at = 0;
    const again = await openWal(dir, { segmentSize: 64 * 1024 });
    expect(again.lastIndex).toBe(acknowledged);
    for await (const { index, data } of again.entries()) expect(sameBytes(data, payloadFor(acked.get(index)!, 100))).toBe(true);
    await again.close();
  });
});
