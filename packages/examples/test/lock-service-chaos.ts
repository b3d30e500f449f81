/**
 * The fenced lock under random faults in `@lattice/sim`: three lock nodes (crashes, restarts,
 * partitions, message loss, clock jumps, skew and drift), three clients that acquire, pause
 * (GC), write to the guarded store with their token, renew and release, and a store that
 * itself crashes now and then. Every outcome each replica applies is recorded, and the run is
 * checked for: agreement of the replicas, strictly increasing tokens, at most one unexpired
 * holder per the log at every index, and a store that never accepted a lower token after a
 * higher one or a token the log did not grant to the writer.
 */
import { type NodeId, seededRandom } from '@lattice/core';
import { deriveSeed, type NodeContext, Simulation } from '@lattice/sim';
import { FencedLockClient } from '../src/lock-service/fenced-lock-client.js';
import { type StoreWrite, startGuardedStore } from '../src/lock-service/guarded-store.js';
import { startLockServer } from '../src/lock-service/lock-server.js';
import type { AppliedLockOutcome, LockBug } from '../src/lock-service/lock-state-machine.js';
import { Rpc } from '../src/lock-service/rpc.js';

export interface LockChaosOptions {
  seed: number;
  /** Deliberate bugs of the lock service. */
  bugs?: readonly LockBug[];
  /** A store that does not check tokens (a deliberate bug of the resource). */
  unfencedStore?: boolean;
  /** Virtual ms of load and faults. Default 3,000. */
  duration?: number;
}

export interface LockChaosResult {
  seed: number;
  grants: number;
  accepted: number;
  rejected: number;
  crashes: number;
  violations: string[];
}

const LOCK_NODES = ['n1', 'n2', 'n3'];
const CLIENTS = ['c1', 'c2', 'c3'];
const LOCK = 'L';

export async function lockChaosRun(options: LockChaosOptions): Promise<LockChaosResult> {
  const { seed } = options;
  const duration = options.duration ?? 3_000;
  const applied = new Map<number, { node: NodeId; text: string; outcome: AppliedLockOutcome }>();
  const violations: string[] = [];
  const writes: StoreWrite[] = [];

  const node = (ctx: NodeContext): unknown => {
    if (LOCK_NODES.includes(ctx.id)) {
      return startLockServer(ctx, {
        voters: LOCK_NODES,
        snapshotEvery: 25,
        ...(options.bugs === undefined ? {} : { bugs: options.bugs }),
        onApplied: (id, outcome) => {
          const text = JSON.stringify(outcome);
          const seen = applied.get(outcome.index);
          if (seen === undefined) applied.set(outcome.index, { node: id, text, outcome });
          else if (seen.text !== text) violations.push(`replicas disagree at index ${outcome.index}: ${seen.node} ${seen.text}, ${id} ${text}`);
        },
      });
    }
    if (ctx.id === 'store') return startGuardedStore(ctx, { fenced: options.unfencedStore !== true, onWrite: (write) => writes.push(write) });
    const rpc = new Rpc(ctx.endpoint, ctx.timers, { firstRequest: ctx.incarnation * 1_000_000 });
    void client(ctx, rpc, duration);
    return rpc;
  };

  const sim = new Simulation<unknown>({
    seed,
    nodes: [...LOCK_NODES, 'store', ...CLIENTS],
    node,
    faults: false,
    clocks: { maxSkewMs: 100, maxDriftPpm: 300 },
    settleTicks: 40,
    replay: `LOCK_SEED=${seed} npx vitest run test/lock-service-chaos.test.ts`,
  });
  nemesis(sim, seed, duration);
  const result = await sim.run({ duration: duration + 1_000 });

  const outcomes = [...applied.values()].map((entry) => entry.outcome).sort((a, b) => a.index - b.index);
  let lastToken = 0;
  let holder: { client: string; token: number; expiresAt: number } | undefined;
  const granted = new Set<string>();
  let grants = 0;
  for (const outcome of outcomes) {
    if (outcome.type === 'granted') {
      grants++;
      granted.add(`${outcome.client}/${outcome.token}`);
      if (outcome.token <= lastToken) violations.push(`token ${outcome.token} granted at index ${outcome.index} is not above the previous grant's ${lastToken}`);
      lastToken = Math.max(lastToken, outcome.token);
      if (holder !== undefined && holder.expiresAt > outcome.at) {
        violations.push(`index ${outcome.index}: ${outcome.client} granted while ${holder.client} (token ${holder.token}) held an unexpired lease by log time (${holder.expiresAt} > ${outcome.at})`);
      }
      holder = { client: outcome.client, token: outcome.token, expiresAt: outcome.expiresAt };
    } else if (outcome.type === 'renewed') {
      if (holder === undefined || holder.client !== outcome.client || holder.token !== outcome.token) violations.push(`index ${outcome.index}: ${outcome.client} renewed token ${outcome.token} it does not hold`);
      holder = { client: outcome.client, token: outcome.token, expiresAt: outcome.expiresAt };
    } else if (outcome.type === 'released') {
      holder = undefined;
    }
  }
  let highest = 0;
  let accepted = 0;
  for (const write of writes) {
    if (!write.accepted) continue;
    accepted++;
    const token = write.token ?? 0;
    if (token < highest) violations.push(`the store accepted ${write.client}'s token ${token} after accepting ${highest}`);
    if (!granted.has(`${write.client}/${token}`)) violations.push(`the store accepted ${write.client}'s token ${token}, which the log never granted to it`);
    highest = Math.max(highest, token);
  }
  return { seed, grants, accepted, rejected: writes.length - accepted, crashes: result.stats.crashes, violations };
}

/** A client's life: acquire, maybe pause (a GC pause outlasting the lease), write under the token, maybe renew and write again, maybe release. */
async function client(ctx: NodeContext, rpc: Rpc, duration: number): Promise<void> {
  const random = ctx.random;
  const locks = new FencedLockClient(rpc, { servers: LOCK_NODES, clock: ctx.clock, attemptTimeoutMs: 150 });
  let i = 0;
  while (ctx.clock.monotonic() < duration) {
    const leaseMs = 80 + random.int(250);
    const held = await locks.acquire(LOCK, leaseMs, 600);
    if (held?.kind === 'held') {
      if (ctx.clock.monotonic() < held.validUntil) {
        if (random.next() < 0.35) await rpc.sleep(random.int(500));
        await rpc.call('store', { t: 'write', token: held.token, value: `${ctx.id}.${i++}` }, 150);
      }
      if (random.next() < 0.3) {
        const renewed = await locks.renew(held, leaseMs, 300);
        if (renewed !== undefined && renewed !== 'stale' && ctx.clock.monotonic() < renewed.validUntil) {
          await rpc.call('store', { t: 'write', token: renewed.token, value: `${ctx.id}.${i++}` }, 150);
        }
      }
      if (random.next() < 0.5) await locks.release(held, 300);
    }
    if (random.next() < 0.05) await locks.read(LOCK, 300);
    await rpc.sleep(random.int(60));
  }
}

/** Crashes (one lock node at a time, or the store), partitions, loss and clock jumps, from a stream of the seed. */
function nemesis(sim: Simulation<unknown>, seed: number, duration: number): void {
  const random = seededRandom(deriveSeed(seed, 'lock-nemesis'));
  const pick = <T>(items: readonly T[]): T => items[random.int(items.length)]!;
  const stop = duration - 400;
  let down: NodeId | undefined;
  for (let at = 200 + random.int(200); at < stop; at += 150 + random.int(300)) {
    const lasts = 100 + random.int(600);
    const until = Math.min(at + lasts, stop);
    switch (random.int(5)) {
      case 0: {
        const victim = random.next() < 0.2 ? 'store' : pick(LOCK_NODES);
        sim.at(at, () => {
          if (down !== undefined) return;
          down = victim;
          sim.crash(victim);
        });
        sim.at(until, () => {
          if (down !== victim) return;
          sim.restart(victim);
          down = undefined;
        });
        break;
      }
      case 1: {
        const cutOff = pick(LOCK_NODES);
        sim.at(at, () => sim.partition({ alone: [cutOff], rest: [...LOCK_NODES, 'store', ...CLIENTS].filter((id) => id !== cutOff) }));
        sim.at(until, () => sim.heal());
        break;
      }
      case 2:
        sim.at(at, () => sim.setNetworkFaults({ dropRate: 0.25 }));
        sim.at(until, () => sim.setNetworkFaults({ dropRate: sim.baselineNetworkFaults().dropRate }));
        break;
      case 3: {
        const jumper = pick([...LOCK_NODES, ...CLIENTS]);
        const delta = (random.next() < 0.7 ? 1 : -1) * (100 + random.int(1_400));
        sim.at(at, () => sim.jumpClock(jumper, delta));
        break;
      }
      default: {
        const from = pick(CLIENTS);
        const to = pick(LOCK_NODES);
        sim.at(at, () => sim.cut(from, to));
        sim.at(until, () => sim.restore(from, to));
        break;
      }
    }
  }
  sim.at(stop, () => {
    sim.heal();
    if (down !== undefined) sim.restart(down);
    down = undefined;
  });
}
