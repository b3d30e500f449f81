/**
 * `npm run gossip-cache -w @lattice/examples`: a cache cluster in `@lattice/sim` whose members
 * find each other and notice failures with SWIM, place keys with a consistent-hash ring, and move
 * keys when a member fails or joins.
 */
import type { NodeId } from '@lattice/core';
import { type Placement, runGossipCache } from './cluster.js';

const same = (a: readonly NodeId[] | undefined, b: readonly NodeId[] | undefined): boolean => (a ?? []).join() === (b ?? []).join();

/** Runs the story and prints it line by line. */
export async function runGossipCacheDemo(print: (line: string) => void, seed = 1): Promise<void> {
  const run = await runGossipCache({ seed });
  const [before, afterCrash, afterJoin] = run.placements;
  const placed = (p: Placement) => run.keys.filter((key) => same(p.holders.get(key), p.owners.get(key))).length;
  const perMember = (p: Placement) => [...p.rings.keys()].map((id) => `${id} ${run.keys.filter((key) => p.holders.get(key)!.includes(id)).length}`).join(', ');
  print(`6 members, ${run.keys.length} keys, 2 copies each (owner + ring successor), SWIM LOCAL_PROFILE`);
  print(`before the crash: ${placed(before)}/${run.keys.length} keys held exactly by their ring owners (${perMember(before)})`);
  const lostOwner = run.keys.filter((key) => before.holders.get(key)!.includes(run.crashed));
  print(`${run.crashed} crashes: every survivor's ring drops it ${(run.crashSeenAfterMs / 1000).toFixed(1)} s later`);
  print(`  ${lostOwner.length} keys had a copy on ${run.crashed}; ${lostOwner.filter((key) => same(afterCrash.holders.get(key), afterCrash.owners.get(key))).length} of them are back to 2 copies on their new owners (${run.movedAfterCrash} copies made)`);
  print(`  ${placed(afterCrash)}/${run.keys.length} keys held exactly by their ring owners, none lost`);
  const ringMoved = run.keys.filter((key) => !same(afterCrash.owners.get(key), afterJoin.owners.get(key)));
  const holdersMoved = run.keys.filter((key) => !same(afterCrash.holders.get(key), afterJoin.holders.get(key)));
  print(`${run.joined} joins: the ring moves ${ringMoved.length} keys; ${holdersMoved.length} keys changed holders (${same(ringMoved, holdersMoved) ? 'the same keys' : 'other keys!'}), ${run.movedAfterJoin} copies sent`);
  print(`  ${placed(afterJoin)}/${run.keys.length} keys held exactly by their ring owners (${perMember(afterJoin)})`);
}

if (import.meta.url === `file://${process.argv[1]}`) await runGossipCacheDemo((line) => console.log(line));
