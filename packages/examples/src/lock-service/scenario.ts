/**
 * The counterexample of Martin Kleppmann's "How to do distributed locking" (2016), run in
 * `@lattice/sim` (seeded, virtual time) against two locks guarding the same kind of store:
 *
 * - **Redlock** on five independent Redis-like nodes, writing to a store that cannot check
 *   anything (Redlock has no token to give it);
 * - the **fenced lock**: the Raft lock service, whose grants carry fencing tokens the store checks.
 *
 * Two faults, each run against both locks:
 *
 * - `pause`: client 1 acquires, then stops for a GC pause longer than its lease; client 2
 *   acquires and writes; client 1 wakes and writes, still believing it holds the lock;
 * - `clock-jump`: a node's clock jumps forward while client 1 holds the lock, so its lease ends
 *   early there — for Redlock one of the three nodes of client 1's majority (client 2 then wins
 *   a majority of its own, Kleppmann's example), for the fenced lock the Raft leader, whose
 *   stamps are the agreed time. Both clients then believe they hold the lock at once.
 *
 * With Redlock both writes land: the older holder's write overwrites the newer one's. With the
 * fenced lock the stale write carries the older token and the store rejects it.
 */
import type { NodeId } from '@lattice/core';
import { type NodeContext, Simulation, spaceTimeSvg } from '@lattice/sim';
import { FencedLockClient } from './fenced-lock-client.js';
import { type GuardedStore, type StoreReply, type StoreWrite, startGuardedStore } from './guarded-store.js';
import { type LockServer, startLockServer } from './lock-server.js';
import { RedlockClient } from './redlock-client.js';
import { startRedisNode } from './redis-node.js';
import { withStoryColumn } from './story-column.js';
import { Rpc } from './rpc.js';

/** The lock a scenario uses. */
export type ScenarioLock = 'redlock' | 'fenced';
/** The fault a scenario injects. */
export type ScenarioFault = 'pause' | 'clock-jump';

/** A write the store saw, with the virtual time and the rank of the grant it was made under (1 = first lock granted). */
export type ScenarioWrite = StoreWrite & { readonly at: number; readonly grant: number };

/** What a scenario run shows. */
export interface ScenarioRun {
  readonly lock: ScenarioLock;
  readonly fault: ScenarioFault;
  readonly seed: number;
  readonly title: string;
  /** The story, one line per step: virtual time, who, what. */
  readonly lines: readonly string[];
  readonly writes: readonly ScenarioWrite[];
  /** Writes the store accepted after it had accepted one made under a later grant: lost updates. */
  readonly staleAccepted: number;
  /** Writes the store rejected (stale tokens). */
  readonly rejected: number;
  /** The store's value at the end. */
  readonly finalValue: string;
  /** The run as an SVG space-time diagram. */
  readonly svg: string;
}

const LOCK = 'file';
const LOCK_NODES = ['n1', 'n2', 'n3'];
const REDIS_NODES = ['r1', 'r2', 'r3', 'r4', 'r5'];
const WALL_START = 1_700_000_000_000;

interface Script {
  readonly id: NodeId;
  /** Adds a line to the story and a note on this client's lane of the diagram. */
  say(text: string): void;
  sleep(ms: number): Promise<void>;
  /** This client's monotonic clock. */
  now(): number;
  /** Counts a grant: its rank among every grant of the run. */
  granted(): number;
  write(value: string, token: number | null, grant: number): Promise<StoreReply | undefined>;
  rpc: Rpc;
  ctx: NodeContext;
}

/** Runs one scenario. Deterministic: the same arguments give the same run, story and diagram. */
export async function runScenario(lock: ScenarioLock, fault: ScenarioFault, seed = 1): Promise<ScenarioRun> {
  const servers = lock === 'fenced' ? LOCK_NODES : REDIS_NODES;
  const nodes = [...servers, 'store', 'c1', 'c2'];
  const lines: string[] = [];
  const writes: ScenarioWrite[] = [];
  const writeGrants: number[] = [];
  let grants = 0;
  let sim: Simulation<unknown>;
  const say = (who: string, text: string): void => {
    lines.push(`${sim.now().toFixed(0).padStart(6)} ms  ${who.padEnd(5)} ${text}`);
  };

  const script = (ctx: NodeContext, rpc: Rpc): Script => ({
    id: ctx.id,
    say: (text) => {
      say(ctx.id, text);
      ctx.log(text);
    },
    sleep: (ms) => rpc.sleep(ms),
    now: () => ctx.clock.monotonic(),
    granted: () => ++grants,
    write: (value, token, grant) => {
      writeGrants.push(grant);
      return rpc.call('store', { t: 'write', token, value }, 200) as Promise<StoreReply | undefined>;
    },
    rpc,
    ctx,
  });

  const clients = lock === 'fenced' ? fencedClients(fault) : redlockClients(fault);
  const node = (ctx: NodeContext): unknown => {
    if (LOCK_NODES.includes(ctx.id) && lock === 'fenced') return startLockServer(ctx, { voters: LOCK_NODES, heartbeatIntervalMs: 100 });
    if (REDIS_NODES.includes(ctx.id)) return startRedisNode(ctx);
    if (ctx.id === 'store') {
      return startGuardedStore(ctx, {
        fenced: lock === 'fenced',
        onWrite: (write) => {
          writes.push({ ...write, at: sim.now(), grant: writeGrants.shift() ?? 0 });
          say('store', write.accepted ? `accepted ${write.client}'s write "${write.value}"${write.token === null ? ' (no token to check)' : ` (token ${write.token} ≥ highest ${write.highest})`}` : `REJECTED ${write.client}'s write "${write.value}": token ${write.token} < highest ${write.highest}`);
        },
      });
    }
    const rpc = new Rpc(ctx.endpoint, ctx.timers);
    void clients[ctx.id]?.(script(ctx, rpc));
    return rpc;
  };
  // Client code is async: let its promise chains finish within the instant that resumed them.
  sim = new Simulation<unknown>({ seed, nodes, node, faults: false, clocks: { wallStart: WALL_START }, settleTicks: 40 });

  if (fault === 'clock-jump' && lock === 'redlock') {
    // Kleppmann's network: c1 reaches only r1-r3, c2 only r3-r5; r3 is the overlap.
    sim.at(900, () => {
      for (const to of ['r4', 'r5']) sim.cut('c1', to);
      for (const to of ['r1', 'r2']) sim.cut('c2', to);
    });
    sim.at(1_100, () => sim.jumpClock('r3', 1_500));
  }
  if (fault === 'clock-jump' && lock === 'fenced') {
    sim.at(1_100, () => {
      const leader = LOCK_NODES.find((id) => (sim.handle(id) as LockServer | undefined)?.core.role === 'leader');
      if (leader === undefined) return;
      say(leader, 'the leader (whose stamps are the agreed time) has its clock jump 1500 ms forward');
      sim.jumpClock(leader, 1_500);
    });
  }

  const result = await sim.run({ duration: 3_000 });
  const store = sim.handle('store') as GuardedStore | undefined;
  let staleAccepted = 0;
  let newest = 0;
  for (const write of writes) {
    if (!write.accepted) continue;
    if (write.grant < newest) staleAccepted++;
    newest = Math.max(newest, write.grant);
  }
  const rejected = writes.filter((write) => !write.accepted).length;
  const name = lock === 'fenced' ? 'Fenced lock on Raft' : 'Redlock on 5 independent nodes';
  const what = fault === 'pause' ? 'client c1 paused past its lease' : lock === 'fenced' ? "the leader's clock jumps forward" : "r3's clock jumps forward";
  const title = `${name}: ${what} (seed ${seed})`;
  lines.push(
    staleAccepted > 0
      ? `Result: CORRUPTED — the store accepted a write made under an older lock after the newer holder's write (${staleAccepted} stale write${staleAccepted === 1 ? '' : 's'} landed); two clients believed they held "${LOCK}" at once. Final value "${store?.value ?? ''}".`
      : `Result: safe — ${rejected} stale write${rejected === 1 ? '' : 's'} rejected by the token check. Final value "${store?.value ?? ''}".`,
  );
  const svg = withStoryColumn(spaceTimeSvg(result.diagram({ title, from: 880, to: Math.min(result.endTime, Math.max(0, ...writes.map((write) => write.at)) + 120), pixelsPerMs: 1 })), title);
  return { lock, fault, seed, title, lines, writes, staleAccepted, rejected, finalValue: store?.value ?? '', svg };
}

type ClientScript = (client: Script) => Promise<void>;

/** Client 1 takes the lock at 1,000 ms; client 2 keeps trying from just after. */
function fencedClients(fault: ScenarioFault): Record<string, ClientScript> {
  const leaseMs = fault === 'pause' ? 500 : 1_000;
  const lockClient = (c: Script) => new FencedLockClient(c.rpc, { servers: LOCK_NODES, clock: c.ctx.clock });
  return {
    c1: async (c) => {
      await c.sleep(1_000);
      const locks = lockClient(c);
      const held = await locks.acquire(LOCK, leaseMs, 1_000);
      if (held?.kind !== 'held') return c.say(`could not acquire "${LOCK}"`);
      const grant = c.granted();
      c.say(`holds "${LOCK}" with fencing token ${held.token}; lease ${leaseMs} ms, to log time ${(held.expiresAt - WALL_START).toFixed(0)}`);
      if (fault === 'pause') {
        c.say(`checks its lease: ${(held.validUntil - c.now()).toFixed(0)} ms left — then a GC pause stops it for 1000 ms`);
        await c.sleep(1_000);
        c.say(`wakes, believes it still holds "${LOCK}", writes with token ${held.token}`);
      } else {
        await c.sleep(300);
        c.say(`checks its lease: ${(held.validUntil - c.now()).toFixed(0)} ms left by its clock — writes with token ${held.token}`);
      }
      const reply = await c.write('c1 data', held.token, grant);
      if (reply?.accepted === false) {
        const view = await locks.read(LOCK, 500);
        c.say(`write rejected; a linearizable read says "${LOCK}" is held by ${view?.holder ?? 'nobody'} (token ${view?.token ?? '?'}); c1 must start over`);
      }
    },
    c2: async (c) => {
      await c.sleep(fault === 'pause' ? 1_150 : 1_150);
      const locks = lockClient(c);
      let told = false;
      for (;;) {
        const held = await locks.acquire(LOCK, leaseMs, 1_000);
        if (held?.kind === 'held') {
          const grant = c.granted();
          c.say(`holds "${LOCK}" with fencing token ${held.token} (the log says c1's lease has run out), writes with it`);
          await c.write('c2 data', held.token, grant);
          return;
        }
        if (held?.kind === 'refused' && !told) {
          told = true;
          c.say(`refused: ${held.holder} holds "${LOCK}" (token ${held.token}); retries every 100 ms`);
        }
        await c.sleep(100);
      }
    },
  };
}

function redlockClients(fault: ScenarioFault): Record<string, ClientScript> {
  const ttlMs = fault === 'pause' ? 500 : 1_000;
  const redlock = (c: Script) => new RedlockClient(c.rpc, { nodes: REDIS_NODES, clock: c.ctx.clock, random: c.ctx.random, name: c.id });
  return {
    c1: async (c) => {
      await c.sleep(1_000);
      const held = await redlock(c).acquire(LOCK, ttlMs);
      if (held === undefined) return c.say(`could not acquire "${LOCK}"`);
      const grant = c.granted();
      c.say(`holds "${LOCK}" on ${held.on.join(' ')} (${held.on.length}/5), valid ${(held.validUntil - c.now()).toFixed(0)} ms by its clock`);
      if (fault === 'pause') {
        c.say(`checks its lock: ${(held.validUntil - c.now()).toFixed(0)} ms left — then a GC pause stops it for 1000 ms`);
        await c.sleep(1_000);
        c.say(`wakes, believes it still holds "${LOCK}", writes`);
      } else {
        await c.sleep(300);
        c.say(`checks its lock: ${(held.validUntil - c.now()).toFixed(0)} ms left by its clock — writes`);
      }
      await c.write('c1 data', null, grant);
    },
    c2: async (c) => {
      await c.sleep(1_150);
      const client = redlock(c);
      let told = false;
      for (;;) {
        const held = await client.acquire(LOCK, ttlMs);
        if (held !== undefined) {
          const grant = c.granted();
          c.say(`holds "${LOCK}" on ${held.on.join(' ')} (${held.on.length}/5), writes`);
          await c.write('c2 data', null, grant);
          return;
        }
        if (!told) {
          told = true;
          c.say('no majority (c1 holds the key); retries every 100 ms');
        }
        await c.sleep(100);
      }
    },
  };
}
