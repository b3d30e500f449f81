import { MemoryWal } from '@lattice/wal/testing';
import { describe, expect, it } from 'vitest';
import { type Entry, type RaftRecord, WalRaftStorage } from '../src/index.js';

const data = new Uint8Array(64);
const entries = (first: number, count: number, term = 1): Entry[] =>
  Array.from({ length: count }, (_, i) => ({ term, index: first + i, type: 'normal' as const, data }));

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

describe('WalRaftStorage', () => {
  it('a write costs the same after 20,000 records as after a few (no pass over every record since the last snapshot)', async () => {
    const { storage } = await WalRaftStorage.open(new MemoryWal());
    const times: number[] = [];
    for (let i = 1; i <= 20_000; i++) {
      const started = performance.now();
      await storage.persist([{ type: 'entries', entries: entries(i, 1) }], { sync: true });
      times.push(performance.now() - started);
    }
    // Medians, so a GC pause or a busy machine in one window does not decide it.
    const early = median(times.slice(500, 2500));
    const late = median(times.slice(-2000));
    expect(late).toBeLessThan(4 * early + 0.01);
  });

  it('replaced entries and compaction read back as the log they describe', async () => {
    const log = new MemoryWal();
    const { storage } = await WalRaftStorage.open(log);
    const write = (records: RaftRecord[]) => storage.persist(records, { sync: true });
    await write([{ type: 'entries', entries: entries(1, 5) }]);
    await write([{ type: 'entries', entries: entries(6, 5) }]);
    await write([{ type: 'entries', entries: entries(4, 3, 2) }]); // replaces 4..10 with 4..6 of term 2
    await write([{ type: 'entries', entries: entries(7, 4, 2) }]);
    await write([{ type: 'hardState', hardState: { term: 2, vote: 'a', commit: 8 } }]);
    const conf = { voters: ['a'], learners: [], outgoing: [], learnersNext: [], autoLeave: false };
    await write([{ type: 'snapshot', snapshot: { meta: { index: 5, term: 2, conf }, data: new Uint8Array([1]) } }]);
    const { stored } = await WalRaftStorage.open(log);
    expect(stored.snapshot?.meta.index).toBe(5);
    expect(stored.hardState).toEqual({ term: 2, vote: 'a', commit: 8 });
    const live = (stored.entries ?? []).filter((e) => e.index > 5);
    expect(live.map((e) => [e.index, e.term])).toEqual([
      [6, 2],
      [7, 2],
      [8, 2],
      [9, 2],
      [10, 2],
    ]);
  });
});
