import type { NodeId } from '@lattice/core';
import { isSwimPayload, LOCAL_PROFILE, SwimCore, swimMessageCodec } from '@lattice/gossip';
import { Simulation } from '@lattice/sim';
import { CacheNode } from './cache-node.js';
import { CacheClusterUnsettledError } from './errors.js';

/** How often each member hands on entries its ring no longer places on it. */
const SWEEP_INTERVAL_MS = 1_000;

/** Options of {@link runGossipCache}. */
export interface GossipCacheOptions {
  seed: number;
  /** Members at the start (`n1`…); one more, the last id, joins at `joinAt`. Default 6. */
  members?: number;
  /** Keys written through `n1` once every member sees every other. Default 400. */
  keys?: number;
  /** The member that crashes 5 s after the writes. Default `n3`. */
  crash?: NodeId;
  /** LRU capacity per member. Default 1,000. */
  capacity?: number;
}

/** Who held which key at one moment, and each member's ring. */
export interface Placement {
  readonly at: number;
  /** key → the members holding it (sorted). */
  readonly holders: ReadonlyMap<string, NodeId[]>;
  /** member → the members on its ring (sorted). */
  readonly rings: ReadonlyMap<NodeId, NodeId[]>;
  /** key → its owners by the ring of `viewOf` (sorted). */
  readonly owners: ReadonlyMap<string, NodeId[]>;
}

/** What {@link runGossipCache} saw. */
export interface GossipCacheRun {
  readonly keys: readonly string[];
  /** Before the crash, after the crash (once every survivor saw it), after the join (once every member saw it). */
  readonly placements: readonly [Placement, Placement, Placement];
  readonly crashed: NodeId;
  readonly joined: NodeId;
  /** Entries handed over after the crash and after the join, summed over members. */
  readonly movedAfterCrash: number;
  readonly movedAfterJoin: number;
  /** When every survivor held the crashed member dead, ms after the crash. */
  readonly crashSeenAfterMs: number;
}

/**
 * The whole story in `@lattice/sim`: members gossip membership with SWIM (memberlist's local
 * profile) over one simulated endpoint each, on which cache transfers travel too; keys are
 * written, a member crashes, a new member joins. Deterministic per seed.
 */
export async function runGossipCache(options: GossipCacheOptions): Promise<GossipCacheRun> {
  const members = options.members ?? 6;
  const count = options.keys ?? 400;
  const crashed = options.crash ?? 'n3';
  let crashAt = Number.POSITIVE_INFINITY;
  let joinAt = Number.POSITIVE_INFINITY;
  const joined: NodeId = `n${members + 1}`;
  const caches = new Map<NodeId, CacheNode>();
  const joiners = new Map<NodeId, () => void>();
  const keys = Array.from({ length: count }, (_, i) => `user:${i}`);
  const placements: Placement[] = [];
  let movedBefore = 0;
  let movedAfterCrash = 0;
  let movedAfterJoin = 0;
  let crashSeenAfterMs = Number.NaN;

  const sim = new Simulation({
    seed: options.seed,
    nodes: members + 1,
    log: false,
    node: (ctx) => {
      const cache = new CacheNode({ id: ctx.id, capacity: options.capacity ?? 1_000, send: (to, payload) => void ctx.endpoint.send(to, payload).catch(() => undefined) });
      caches.set(ctx.id, cache);
      ctx.endpoint.onMessage((envelope) => cache.receive(envelope.from, envelope.payload));
      const sweep = (): void => {
        cache.sweep();
        ctx.timers.setTimeout(sweep, SWEEP_INTERVAL_MS);
      };
      ctx.timers.setTimeout(sweep, SWEEP_INTERVAL_MS);
      const core = new SwimCore({ id: ctx.id, now: ctx.clock.monotonic(), random: ctx.random, profile: LOCAL_PROFILE });
      const driver = ctx.runCore({
        core,
        codec: swimMessageCodec(),
        accepts: isSwimPayload,
        apply: (effect) => {
          if (effect.type === 'member') cache.onMemberEvent(effect.event);
        },
      });
      if (ctx.id !== 'n1' && ctx.id !== joined) core.join(['n1']);
      joiners.set(ctx.id, () => driver.run(() => core.join(['n1'])));
      return driver;
    },
  });

  const live = (): NodeId[] => sim.nodes.filter((id) => sim.isUp(id) && (id !== joined || sim.now() >= joinAt));
  const snapshot = (viewOf: NodeId): Placement => {
    const holders = new Map<string, NodeId[]>(keys.map((key) => [key, []]));
    const rings = new Map<NodeId, NodeId[]>();
    for (const id of live()) {
      const cache = caches.get(id)!;
      rings.set(id, cache.members());
      for (const key of cache.keys()) holders.get(key)?.push(id);
    }
    for (const list of holders.values()) list.sort();
    const owners = new Map(keys.map((key) => [key, caches.get(viewOf)!.owners(key).sort()]));
    return { at: sim.now(), holders, rings, owners };
  };
  const moved = (): number => [...caches.values()].reduce((sum, cache) => sum + cache.stats().movedOut, 0);
  /** Polls each 100 ms until every live member's ring is `expected`, then lets transfers land. */
  const whenRingsAre = (expected: NodeId[], then: () => void): void => {
    const check = (): void => {
      if (live().every((id) => caches.get(id)!.members().join() === expected.join())) sim.at(sim.now() + 100, then);
      else sim.at(sim.now() + 100, check);
    };
    check();
  };

  const initial = sim.nodes.filter((id) => id !== joined);
  const crash = (): void => {
    crashAt = sim.now();
    sim.crash(crashed);
    const survivors = initial.filter((id) => id !== crashed);
    const check = (): void => {
      if (survivors.every((id) => caches.get(id)!.members().join() === survivors.join())) crashSeenAfterMs = sim.now() - crashAt;
      else sim.at(sim.now() + 50, check);
    };
    check();
    whenRingsAre(survivors, () => {
      placements.push(snapshot('n1'));
      movedAfterCrash = moved() - movedBefore;
      sim.at(sim.now() + 5_000, join);
    });
  };
  const join = (): void => {
    joinAt = sim.now();
    joiners.get(joined)!();
    const before = moved();
    const all = [...initial.filter((id) => id !== crashed), joined].sort();
    whenRingsAre(all, () => {
      placements.push(snapshot('n1'));
      movedAfterJoin = moved() - before;
      sim.at(sim.now() + 100, () => {
        for (const id of sim.nodes) sim.crash(id);
      });
    });
  };
  // Writes once the members see each other (a write placed by a partial view would sit at the wrong members).
  sim.at(100, () =>
    whenRingsAre(initial, () => {
      for (const [i, key] of keys.entries()) caches.get('n1')!.put(key, `value-${i}`);
      sim.at(sim.now() + 5_000, () => {
        placements.push(snapshot('n1'));
        movedBefore = moved();
        sim.at(sim.now() + 100, crash);
      });
    }),
  );
  await sim.run({ duration: 300_000 });
  if (placements.length !== 3) throw new CacheClusterUnsettledError(`the cluster did not settle (${placements.length} of 3 placements taken)`);
  return { keys, placements: placements as [Placement, Placement, Placement], crashed, joined, movedAfterCrash, movedAfterJoin, crashSeenAfterMs };
}
