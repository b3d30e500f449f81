import { seededRandom } from '@lattice/core';
import { SimFileSystem } from '@lattice/sim';
import { openWal, type WriteAheadLog } from '../src/index.js';

/**
 * One seeded crash schedule of the real FileWal on the simulator's disk: rounds of random
 * appends (single and batched, several in flight), suffix truncations, prefix compactions,
 * metadata writes and reads; each round ends in a crash at a random disk operation (in the
 * middle of whatever the log was doing: a group commit, a segment rotation, a rename and its
 * directory sync), losing unsynced bytes and unsynced directory entries, with or without torn
 * writes; sometimes the next recovery is crashed too. After every restart the log is reopened
 * on the same disk and checked against what was acknowledged. Throws on any violation.
 */

const DIR = 'node/wal';

/** Record bytes of a tag: the tag itself, then bytes derived from it (any length from 1 to maxLength). */
export function recordOf(tag: number, maxLength: number): Uint8Array {
  const length = 4 + ((tag * 7919) % Math.max(1, maxLength - 4));
  const out = new Uint8Array(length);
  new DataView(out.buffer).setUint32(0, tag, true);
  let x = (tag * 2654435761) >>> 0;
  for (let i = 4; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** The tag of record bytes, or undefined if they are not exactly `recordOf(tag)` for their tag. */
function tagOf(bytes: Uint8Array, maxLength: number): number | undefined {
  if (bytes.length < 4) return undefined;
  const tag = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(0, true);
  const expected = recordOf(tag, maxLength);
  if (expected.length !== bytes.length) return undefined;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== expected[i]) return undefined;
  return tag;
}

/** What one seed did, for the report. */
export interface SimCrashReport {
  rounds: number;
  acknowledged: number;
  verified: number;
  crashesInRecovery: number;
  tornWrites: number;
  truncations: number;
  compactions: number;
}

/** Options of {@link runSimCrashSeed}. */
export interface SimCrashOptions {
  rounds?: number;
  /** Operations issued per round (before the scheduled crash, if it comes later). */
  operations?: number;
}

interface Required {
  readonly tag: number;
  /** Issue order of its append: a truncation issued later does not remove it. */
  readonly seq: number;
}

class Violation extends Error {}

function check(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new Violation(message());
}

export async function runSimCrashSeed(seed: number, options: SimCrashOptions = {}): Promise<SimCrashReport> {
  const random = seededRandom(seed);
  const torn = random.int(4) !== 0;
  const disk = new SimFileSystem(seededRandom(seed ^ 0x5eed), { tornWrites: torn });
  // Small segments, so rotations, recycling and the end of a segment come up in every round.
  const segmentSize = [4096, 4096, 8192, 16384][random.int(4)]!;
  const maxLength = [64, 300, 1500][random.int(3)]!;
  const recycleSegments = random.int(3);
  const maxBatchBytes = [512, 4096, 1 << 20][random.int(3)]!;
  const rounds = options.rounds ?? 4;
  const operations = options.operations ?? 40;
  const open = (): Promise<WriteAheadLog> => openWal(DIR, { fs: disk.view(), segmentSize, recycleSegments, maxBatchBytes });
  const label = `seed ${seed} (segments ${segmentSize} B, records ≤ ${maxLength} B, recycle ${recycleSegments}, batch ${maxBatchBytes} B, torn writes ${torn})`;

  // What must be there: acknowledged records not removed by an acknowledged truncation or compaction.
  let required = new Map<number, Required>();
  // Every tag that may be found at an index (acknowledged there, or appended and not acknowledged).
  const unacknowledged = new Set<number>();
  const appendedAt = new Map<number, Set<number>>();
  let firstFloor = 1; // an acknowledged dropPrefix raised the first index to at least this
  let maxDropAsked = 1;
  let metaRequired: number | undefined;
  /** Metadata values written and not yet superseded by a later acknowledged one: tag → issue order. */
  const metaPossible = new Map<number, number>();
  let nextTag = 1;
  let seq = 0;
  const report: SimCrashReport = { rounds: 0, acknowledged: 0, verified: 0, crashesInRecovery: 0, tornWrites: 0, truncations: 0, compactions: 0 };

  /** Opens the log after a restart, crashing the recovery itself now and then. */
  const reopen = async (): Promise<WriteAheadLog> => {
    for (;;) {
      if (random.int(5) === 0) {
        disk.crashAfter(1 + random.int(30));
        try {
          const wal = await open();
          // Recovery finished before the crash point.
          disk.cancelCrash();
          return wal;
        } catch (error) {
          if (disk.up) throw error;
          report.crashesInRecovery++;
          report.tornWrites += disk.lastCrash?.torn.length ?? 0;
          disk.restart();
          continue;
        }
      }
      return open();
    }
  };

  /** Compares the reopened log with the model, then makes the model what the disk now holds. */
  const verify = async (wal: WriteAheadLog): Promise<void> => {
    const first = wal.firstIndex;
    const last = wal.lastIndex;
    check(first >= firstFloor, () => `${label}: firstIndex ${first} is below an acknowledged dropPrefix(${firstFloor})`);
    check(first <= Math.max(maxDropAsked, 1), () => `${label}: firstIndex ${first} is past every dropPrefix asked (${maxDropAsked})`);
    check(last >= first - 1, () => `${label}: lastIndex ${last} < firstIndex ${first} - 1`);
    for (const [index, { tag }] of required) {
      if (index < first) continue;
      check(index <= last, () => `${label}: acknowledged record ${index} (tag ${tag}) is gone: the log ends at ${last}`);
    }
    const present = new Map<number, Required>();
    let expected = first;
    for await (const { index, data } of wal.entries()) {
      check(index === expected, () => `${label}: entries() gave index ${index}, expected ${expected}`);
      expected++;
      const tag = tagOf(data, maxLength);
      check(tag !== undefined, () => `${label}: record ${index} holds bytes no append wrote`);
      const need = required.get(index);
      if (need !== undefined) check(need.tag === tag, () => `${label}: record ${index} is tag ${tag}, acknowledged as tag ${need.tag}`);
      else check(appendedAt.get(index)?.has(tag) === true || unacknowledged.has(tag), () => `${label}: record ${index} is tag ${tag}, never appended there`);
      present.set(index, { tag, seq: -1 });
      report.verified++;
    }
    check(expected === last + 1, () => `${label}: entries() stopped at ${expected - 1}, lastIndex is ${last}`);
    const meta = wal.getMetadata();
    const metaTag = meta === undefined ? undefined : tagOf(meta, maxLength);
    if (meta !== undefined) check(metaTag !== undefined, () => `${label}: metadata holds bytes no setMetadata wrote`);
    if (metaTag !== metaRequired) {
      check(metaTag !== undefined && metaPossible.has(metaTag), () => `${label}: metadata is ${String(metaTag)}, acknowledged ${String(metaRequired)}`);
    }
    // What survived is durable now (recovery read it from the disk): the new baseline.
    required = present;
    for (const [index, { tag }] of present) appendedAt.set(index, new Set([tag]));
    unacknowledged.clear();
    firstFloor = first;
    maxDropAsked = first;
    metaRequired = metaTag;
    metaPossible.clear();
  };

  let wal = await open();
  for (let round = 0; round < rounds; round++) {
    report.rounds++;
    const crashAt = 1 + random.int(operations * 6);
    disk.crashAfter(crashAt);
    const inFlight = new Set<Promise<unknown>>();
    const concurrency = 1 + random.int(8);
    const track = (promise: Promise<unknown>): void => {
      const settled = promise.then(
        () => undefined,
        () => undefined,
      );
      inFlight.add(settled);
      void settled.then(() => inFlight.delete(settled));
    };
    const tasksInFlight: (() => void)[] = [];
    for (let op = 0; op < operations && disk.up; op++) {
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      if (!disk.up) break;
      const roll = random.int(100);
      const s = seq++;
      if (roll < 60) {
        const count = roll < 45 ? 1 : 1 + random.int(5);
        const tags = Array.from({ length: count }, () => nextTag++);
        for (const tag of tags) unacknowledged.add(tag);
        const records = tags.map((tag) => recordOf(tag, maxLength));
        const promise = count === 1 && roll < 45 ? wal.append(records[0]!).then((index) => [index]) : wal.append(records);
        track(
          promise.then((indexes) => {
            indexes.forEach((index, k) => {
              const tag = tags[k]!;
              required.set(index, { tag, seq: s });
              let at = appendedAt.get(index);
              if (at === undefined) appendedAt.set(index, (at = new Set()));
              at.add(tag);
              report.acknowledged++;
            });
          }),
        );
      } else if (roll < 70) {
        const cut = wal.firstIndex - 1 + random.int(Math.max(1, wal.lastIndex - wal.firstIndex + 2));
        report.truncations++;
        // Records after the cut appended before it go when it is acknowledged; if a crash comes
        // first, they may or may not be there.
        const undo = (): void => {
          for (const [index, r] of [...required]) if (index > cut && r.seq < s) required.delete(index);
        };
        tasksInFlight.push(undo);
        track(
          wal.truncateSuffix(cut).then(() => {
            undo();
            tasksInFlight.splice(tasksInFlight.indexOf(undo), 1);
          }),
        );
      } else if (roll < 78) {
        const to = wal.firstIndex + random.int(Math.max(1, wal.lastIndex - wal.firstIndex + 3));
        maxDropAsked = Math.max(maxDropAsked, to);
        report.compactions++;
        track(
          wal.dropPrefix(to).then(() => {
            firstFloor = Math.max(firstFloor, to);
            for (const index of [...required.keys()]) if (index < to) required.delete(index);
          }),
        );
      } else if (roll < 85) {
        const tag = nextTag++;
        metaPossible.set(tag, s);
        track(
          wal.setMetadata(recordOf(tag, maxLength)).then(() => {
            metaRequired = tag;
            for (const [other, order] of [...metaPossible]) if (order < s) metaPossible.delete(other);
          }),
        );
      } else {
        if (wal.lastIndex < wal.firstIndex) continue;
        const index = wal.firstIndex + random.int(wal.lastIndex - wal.firstIndex + 1);
        const need = required.get(index);
        track(
          wal.read(index).then((data) => {
            const tag = tagOf(data, maxLength);
            check(tag !== undefined, () => `${label}: read(${index}) returned bytes no append wrote`);
            // A truncation queued before the read may have changed what the index holds.
            if (need !== undefined && required.get(index) === need) check(tag === need.tag, () => `${label}: read(${index}) gave tag ${tag}, expected ${need.tag}`);
          }),
        );
      }
      // Let group commits form: sometimes issue the next op at once, sometimes let the log work.
      if (random.int(3) === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    // Appends continue until the scheduled crash; if it lies beyond this round's work, crash now.
    await Promise.all(inFlight);
    if (disk.up) disk.crash();
    // Truncations and compactions not acknowledged: either outcome is allowed.
    for (const undo of tasksInFlight) undo();
    report.tornWrites += disk.lastCrash?.torn.length ?? 0;
    // The dead incarnation's calls all reject (its view of the disk is dead); let it wind down.
    await wal.close().catch(() => undefined);
    disk.restart();
    wal = await reopen();
    await verify(wal);
    // Appends continue after recovery.
    const tag = nextTag++;
    const expectedIndex = wal.lastIndex + 1;
    const index = await wal.append(recordOf(tag, maxLength));
    check(index === expectedIndex && wal.lastIndex === index, () => `${label}: append after recovery got index ${index}, expected ${expectedIndex}`);
    required.set(index, { tag, seq: seq++ });
    appendedAt.set(index, new Set([tag]));
    check(tagOf(await wal.read(index), maxLength) === tag, () => `${label}: the append after recovery reads back wrong`);
  }
  await wal.close();
  return report;
}
