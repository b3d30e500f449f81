import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryWal, MemoryWalStorage, openWal, type WriteAheadLog } from '../src/index.js';
import { payloadFor, sameBytes, tempDir } from './helpers.js';

/** The simple model: an array of tags and the index of its first element. */
interface Model {
  first: number;
  tags: number[];
  metadata: number | undefined;
}

type Command =
  | { op: 'append'; tags: number[]; concurrent: boolean }
  | { op: 'truncateSuffix'; back: number }
  | { op: 'dropPrefix'; forward: number }
  | { op: 'setMetadata'; tag: number }
  | { op: 'reopen' };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('append' as const), tags: fc.array(fc.nat(10_000), { minLength: 1, maxLength: 12 }), concurrent: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncateSuffix' as const), back: fc.nat(15) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('dropPrefix' as const), forward: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('setMetadata' as const), tag: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.constant({ op: 'reopen' as const }) },
);

const MAX_LENGTH = 700;

async function apply(wal: WriteAheadLog, model: Model, command: Exclude<Command, { op: 'reopen' }>): Promise<void> {
  const last = model.first + model.tags.length - 1;
  switch (command.op) {
    case 'append': {
      const records = command.tags.map((tag) => payloadFor(tag, MAX_LENGTH));
      const indexes = command.concurrent ? await Promise.all(records.map((r) => wal.append(r))) : await wal.append(records);
      expect(indexes).toEqual(command.tags.map((_, i) => last + 1 + i));
      model.tags.push(...command.tags);
      return;
    }
    case 'truncateSuffix': {
      const index = Math.max(model.first - 1, last - command.back);
      await wal.truncateSuffix(index);
      model.tags.length = index - model.first + 1;
      return;
    }
    case 'dropPrefix': {
      const index = model.first + command.forward;
      await wal.dropPrefix(index);
      if (index > last + 1) model.tags = [];
      else model.tags.splice(0, index - model.first);
      model.first = index;
      return;
    }
    case 'setMetadata':
      await wal.setMetadata(payloadFor(command.tag, 50));
      model.metadata = command.tag;
      return;
  }
}

async function check(wal: WriteAheadLog, model: Model): Promise<void> {
  expect(wal.firstIndex).toBe(model.first);
  expect(wal.lastIndex).toBe(model.first + model.tags.length - 1);
  const metadata = wal.getMetadata();
  expect(metadata === undefined ? undefined : metadata.length).toBe(model.metadata === undefined ? undefined : payloadFor(model.metadata, 50).length);
  if (model.metadata !== undefined) expect(sameBytes(metadata!, payloadFor(model.metadata, 50))).toBe(true);
  let i = 0;
  for await (const { index, data } of wal.entries()) {
    expect(index).toBe(model.first + i);
    expect(sameBytes(data, payloadFor(model.tags[i]!, MAX_LENGTH))).toBe(true);
    i++;
  }
  expect(i).toBe(model.tags.length);
}

async function run(open: () => Promise<WriteAheadLog>, commands: Command[]): Promise<void> {
  const model: Model = { first: 1, tags: [], metadata: undefined };
  let wal = await open();
  try {
    for (const command of commands) {
      if (command.op === 'reopen') {
        await wal.close();
        wal = await open();
      } else {
        await apply(wal, model, command);
      }
      await check(wal, model);
    }
    await wal.close();
    wal = await open();
    await check(wal, model);
  } finally {
    await wal.close();
  }
}

describe('random append / truncateSuffix / dropPrefix / reopen agree with a simple model', () => {
  it('MemoryWal', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArb, { maxLength: 40 }), async (commands) => {
        const storage = new MemoryWalStorage();
        await run(async () => new MemoryWal({ storage }), commands);
      }),
      { numRuns: 200 },
    );
  });

  it('openWal with 4 KiB segments (many rotations)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArb, { maxLength: 30 }), async (commands) => {
        const { dir, cleanup } = await tempDir('model');
        try {
          await run(() => openWal(dir, { segmentSize: 4096 }), commands);
        } finally {
          await cleanup();
        }
      }),
      { numRuns: 60 },
    );
  });
});
