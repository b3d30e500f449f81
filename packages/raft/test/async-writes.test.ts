/**
 * Asynchronous storage writes: a leader sends its appends while its own write of them is still
 * in flight and counts itself toward a commit only once that write is durable. A leader that
 * crashes in between must lose nothing that was committed. The harness (`asyncWrites` in
 * cluster.ts) holds every write in flight until the test syncs it, as a slow disk would.
 */
import { describe, expect, it } from 'vitest';
import type { DeliberateBug } from '../src/index.js';
import { Cluster } from './cluster.js';
import { asyncWritesRun } from './random-runs.js';

/**
 * The leader's write of entry "x" is never synced: one follower syncs and acknowledges it, the
 * other never hears of it. Then the leader crashes, the follower that has "x" is cut off, and
 * the other two elect a leader, which commits "y" where "x" was.
 */
function crashBeforeOwnSync(deliberateBugs: readonly DeliberateBug[]): { committedBeforeCrash: boolean; texts: string[] } {
  const cluster = new Cluster({ ids: ['a', 'b', 'c'], seed: 7, asyncWrites: true, core: { deliberateBugs } });
  const leader = cluster.elect();
  const [acker, unaware] = ['a', 'b', 'c'].filter((id) => id !== leader.id) as [string, string];
  cluster.propose('before');
  cluster.run(200);
  cluster.partition([leader.id], [unaware]);
  cluster.propose('x', leader.id);
  const index = leader.status().lastIndex;
  // Everything moves except the leader's own write.
  for (let n = 0; n < 1_000; n++) if (!cluster.deliverOne() && !cluster.sync(acker)) break;
  expect(cluster.pendingWrites(leader.id)).toBeGreaterThan(0);
  expect(cluster.core(acker).status().lastIndex).toBe(index);
  const committedBeforeCrash = leader.status().commit >= index;
  cluster.crash(leader.id);
  cluster.restart(leader.id);
  cluster.heal();
  cluster.isolate(acker);
  const next = cluster.elect();
  cluster.propose('y', next.id);
  cluster.run(500);
  cluster.heal();
  cluster.run(2_000);
  const final = cluster.elect();
  cluster.run(500);
  const texts = cluster.texts(final.id);
  for (const id of ['a', 'b', 'c']) expect(cluster.texts(id)).toEqual(texts);
  return { committedBeforeCrash, texts };
}

describe('asynchronous storage writes', () => {
  it('a leader that crashes after sending its appends but before its own write is durable loses no committed entry', () => {
    const { committedBeforeCrash, texts } = crashBeforeOwnSync([]);
    // One follower's acknowledgement is not a quorum until the leader's own write is durable.
    expect(committedBeforeCrash).toBe(false);
    expect(texts).toEqual(['before', 'y']);
  });

  it('catches a leader that counts its own unsynced entry toward the commit (deliberate bug)', () => {
    expect(() => crashBeforeOwnSync(['leader-counts-unsynced-entry'])).toThrow(/leader completeness|state machine safety/);
  });

  it('keeps every safety invariant and converges for 40 seeds of writes in flight and crashing leaders', () => {
    let committed = 0;
    let crashes = 0;
    for (let seed = 1; seed <= 40; seed++) {
      try {
        const result = asyncWritesRun(seed);
        committed += result.committed;
        crashes += result.crashes;
      } catch (error) {
        throw new Error(`seed ${seed}: ${(error as Error).message}`, { cause: error });
      }
    }
    expect(committed).toBeGreaterThan(200);
    expect(crashes).toBeGreaterThan(40);
  });
});
