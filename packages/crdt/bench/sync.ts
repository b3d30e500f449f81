/**
 * Delta sync throughput: replicas of an OR-Set kept in sync by `CrdtSync` over a `MemoryNetwork`
 * on virtual time, each local add pushed to every peer, until every replica holds every element.
 * No npm peer syncs over a pluggable transport, so the row has no peer; it guards the cost of the
 * sync driver (encode, send, decode, step, join) per delta.
 */
import { type BenchResult, opsPerSecond, result } from '@lattice/bench-kit';
import { ManualClock } from '@lattice/core/testing';
import { MemoryNetwork } from '@lattice/transport';
import { CrdtSync, ORSet } from '../src/index.js';

/** What a run needs of the package: this build's exports, or another build's to compare with. */
export interface SyncLibrary {
  CrdtSync: new (options: {
    endpoint: Awaited<ReturnType<MemoryNetwork['open']>>;
    replica: ORSet<string>;
    peers: string[];
    timers: ManualClock;
    intervalMs: number;
  }) => { update(mutate: (set: ORSet<string>) => ORSet<string>): unknown; readonly replica: ORSet<string>; close(): Promise<void> };
  ORSet: new (node: string) => ORSet<string>;
}

/**
 * Commits `deltas` adds spread over `replicas` replicas, delivering every `batch` adds, then lets
 * anti-entropy run until all replicas hold all elements. Throws if they do not converge.
 */
export async function syncConvergence(lib: SyncLibrary, replicas: number, deltas: number, batch = 50): Promise<void> {
  const clock = new ManualClock();
  const network = new MemoryNetwork({ timers: clock });
  const ids = Array.from({ length: replicas }, (_, i) => `r${i}`);
  const syncs = [];
  for (const id of ids) {
    syncs.push(
      new lib.CrdtSync({
        endpoint: await network.open(id),
        replica: new lib.ORSet(id),
        peers: ids.filter((other) => other !== id),
        timers: clock,
        intervalMs: 100,
      }),
    );
  }
  for (let i = 0; i < deltas; i++) {
    syncs[i % replicas]!.update((set) => set.add(`e${i}`));
    // Synchronous advance: deliveries are timers, and the driver handles each one synchronously,
    // so no real-time turns of the event loop get into the measurement.
    if (i % batch === batch - 1) clock.advance(1);
  }
  for (let round = 0; round < 50 && !syncs.every((s) => s.replica.size === deltas); round++) clock.advance(10);
  if (!syncs.every((s) => s.replica.size === deltas)) throw new Error('sync benchmark: replicas did not converge');
  for (const sync of syncs) await sync.close();
  await network.close();
}

/** The sync rows. */
export async function syncBenchmarks(): Promise<BenchResult[]> {
  const replicas = 5;
  const deltas = 2_000;
  const rates = await opsPerSecond((n) => syncConvergence({ CrdtSync, ORSet } as unknown as SyncLibrary, replicas, n), undefined, {
    iterations: deltas,
    rounds: 7,
    warmup: 2,
  });
  return [
    result({
      case: `crdt-sync ${replicas} replicas converge`,
      unit: 'deltas/s',
      betterIs: 'higher',
      ours: rates.ours,
      peer: null,
      note: `${deltas} OR-Set adds pushed to ${replicas - 1} peers each, MemoryNetwork on a ManualClock`,
    }),
  ];
}
