import { ClosedError, FileLockedError, InvalidArgumentError, isLatticeError, seededRandom } from '@lattice/core';
import { runStorageTests } from '@lattice/core/compliance';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimFileSystem } from '../src/index.js';

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const read = async (disk: SimFileSystem, path: string): Promise<number[] | undefined> => {
  try {
    return [...(await disk.readFile(path))];
  } catch {
    return undefined;
  }
};
async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isLatticeError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
}

runStorageTests('SimFileSystem', {
  setup: async () => {
    const fs = new SimFileSystem(seededRandom(1), { tornWrites: true });
    await fs.mkdir('data');
    return { fs, dir: 'data' };
  },
  teardown: async () => {},
});

describe('SimFileSystem crashes', () => {
  it('keeps synced bytes and drops unsynced ones, per file', async () => {
    const disk = new SimFileSystem(seededRandom(1));
    const a = await disk.open('a', { create: true });
    const b = await disk.open('b', { create: true });
    await disk.syncDirectory('/');
    await a.write(bytes(1, 2), 0);
    await a.sync();
    await a.write(bytes(3), 2);
    await b.write(bytes(9), 0);
    const report = disk.crash();
    expect(report.filesReverted).toBe(2);
    disk.restart();
    expect(await read(disk, 'a')).toEqual([1, 2]);
    expect(await read(disk, 'b')).toEqual([]);
  });

  it('a created file whose directory was not synced vanishes, even with its bytes synced', async () => {
    const disk = new SimFileSystem(seededRandom(2));
    await disk.mkdir('d');
    const kept = await disk.open('d/kept', { create: true });
    await kept.write(bytes(1), 0);
    await kept.sync();
    await disk.syncDirectory('d');
    const lost = await disk.open('d/lost', { create: true });
    await lost.write(bytes(2), 0);
    await lost.sync();
    expect(disk.crash().vanished).toEqual(['d/lost']);
    disk.restart();
    expect(await disk.list('d')).toEqual(['kept']);
    expect(await read(disk, 'd/kept')).toEqual([1]);
  });

  it('a rename or removal not synced in its directory is undone by a crash; a synced one is not', async () => {
    const disk = new SimFileSystem(seededRandom(3));
    await disk.mkdir('d');
    for (const name of ['old', 'gone', 'moved']) {
      const file = await disk.open(`d/${name}`, { create: true });
      await file.write(bytes(name.length), 0);
      await file.sync();
    }
    await disk.syncDirectory('d');
    await disk.rename('d/moved', 'd/new-name');
    await disk.syncDirectory('d');
    await disk.rename('d/old', 'd/renamed');
    await disk.remove('d/gone');
    const report = disk.crash();
    expect(report.vanished).toEqual(['d/renamed']);
    expect(report.reappeared).toEqual(['d/gone', 'd/old']);
    disk.restart();
    expect(await disk.list('d')).toEqual(['gone', 'new-name', 'old']);
    expect(await read(disk, 'd/new-name')).toEqual([5]);
  });

  it('writes through a dataSync handle survive without a sync', async () => {
    const disk = new SimFileSystem(seededRandom(4));
    const file = await disk.open('f', { create: true, dataSync: true });
    await disk.syncDirectory('/');
    await file.write([bytes(1), bytes(2, 3)], 0);
    disk.crash();
    disk.restart();
    expect(await read(disk, 'f')).toEqual([1, 2, 3]);
  });

  it('with tornWrites, a crash lands at most a strict prefix of the last unsynced write of a file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer(), async (durable, later, seed) => {
        const disk = new SimFileSystem(seededRandom(seed), { tornWrites: true });
        const file = await disk.open('wal', { create: true });
        await disk.syncDirectory('/');
        await file.write(durable, 0);
        await file.sync();
        await file.write(later, durable.length);
        const report = disk.crash();
        disk.restart();
        const landed = report.torn[0]?.landed ?? 0;
        expect(landed).toBeLessThan(later.length);
        expect(await read(disk, 'wal')).toEqual([...durable, ...later.subarray(0, landed)]);
      }),
    );
  });

  it('is deterministic: the same seed and calls give the same crash and the same survivors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.array(fc.uint8Array({ minLength: 1, maxLength: 16 }), { minLength: 1, maxLength: 8 }), async (seed, writes) => {
        const run = async (): Promise<unknown> => {
          const disk = new SimFileSystem(seededRandom(seed), { tornWrites: true });
          for (let i = 0; i < writes.length; i++) {
            const file = await disk.open(`f${i % 3}`, { create: true });
            await file.append(writes[i]!);
            if (i % 2 === 0) await file.sync();
            if (i % 3 === 0) await disk.syncDirectory('/');
          }
          const report = disk.crash();
          disk.restart();
          const files: Record<string, number[] | undefined> = {};
          for (const name of await disk.list('/')) files[name] = await read(disk, name);
          return { report, files };
        };
        expect(await run()).toEqual(await run());
      }),
    );
  });

  it('crashAfter crashes at exactly that call: it and every later call reject until restart', async () => {
    const disk = new SimFileSystem(seededRandom(5), { tornWrites: true });
    const file = await disk.open('f', { create: true, dataSync: true });
    await disk.syncDirectory('/');
    await file.write(bytes(1, 1), 0);
    const lock = await disk.lock('LOCK');
    disk.crashAfter(2);
    await file.write(bytes(2), 2); // call 1 happens
    await rejectsWith(file.write(bytes(3, 3, 3, 3), 3), ClosedError.code); // call 2: the crash
    expect(disk.up).toBe(false);
    await rejectsWith(disk.list('/'), ClosedError.code);
    disk.restart();
    await rejectsWith(file.write(bytes(4), 0), ClosedError.code); // a handle of the dead process
    const content = (await read(disk, 'f'))!;
    const torn = disk.lastCrash!.torn;
    expect(content).toEqual([1, 1, 2, ...[3, 3, 3, 3].slice(0, torn[0]?.landed ?? 0)]);
    // The lock died with the process; the old handle's release does not free a new holder's lock.
    const again = await disk.lock('LOCK');
    await lock.release();
    await rejectsWith(disk.lock('LOCK'), FileLockedError.code);
    await again.release();
  });

  it('read faults are opt-in and leave what is stored intact', async () => {
    const disk = new SimFileSystem(seededRandom(6));
    const file = await disk.open('f', { create: true });
    const data = new Uint8Array(4096);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 8) * 13) & 0xff;
    await file.write(data, 0);
    const back = new Uint8Array(100);
    await file.read(back, 0, 100, 1000);
    expect([...back]).toEqual([...data.subarray(1000, 1100)]);
    disk.setReadFaults({ corrupt: 1 });
    await file.read(back, 0, 100, 1000);
    let flipped = 0;
    for (let i = 0; i < 100; i++) {
      const diff = back[i]! ^ data[1000 + i]!;
      expect(diff & (diff - 1)).toBe(0);
      if (diff !== 0) flipped++;
    }
    expect(flipped).toBe(1);
    disk.setReadFaults({ misdirect: 1 });
    await file.read(back, 0, 100, 1000);
    expect([...back]).not.toEqual([...data.subarray(1000, 1100)]);
    disk.setReadFaults({});
    await file.read(back, 0, 100, 1000);
    expect([...back]).toEqual([...data.subarray(1000, 1100)]);
  });

  it('rejects bad options with InvalidArgumentError', () => {
    expect(() => new SimFileSystem(undefined as never)).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
    const disk = new SimFileSystem(seededRandom(1));
    expect(() => disk.crashAfter(0)).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
    expect(() => disk.setReadFaults({ corrupt: 2 })).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
  });
});

describe('SimFileSystem views', () => {
  it("a dead incarnation's view rejects every call, even after restart, while a new view works", async () => {
    const disk = new SimFileSystem(seededRandom(9));
    const before = disk.view();
    await before.mkdir('d');
    disk.crashAfter(1);
    disk.cancelCrash();
    await before.open('d/f', { create: true });
    disk.crash();
    disk.restart();
    await rejectsWith(before.list('d'), ClosedError.code);
    await rejectsWith(before.remove('d/f'), ClosedError.code);
    const after = disk.view();
    expect(await after.list('d')).toEqual([]);
  });
});
