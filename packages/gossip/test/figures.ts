import type { NodeId } from '@lattice/core';
import { LAN_PROFILE } from '../src/index.js';
import { Cluster } from './cluster.js';

const PERIOD = LAN_PROFILE.probeIntervalMs;

/**
 * A member crashes in a converged cluster; returns, in protocol periods, the time until the first
 * ping to it (the SWIM paper's "first detection" probe) and until every live member holds it dead.
 */
export function detection(size: number, seed: number): { firstProbe: number; allDead: number } {
  const cluster = new Cluster({ seed, size });
  cluster.bootstrap();
  // Crash at a random instant inside a period, as the paper's analysis assumes.
  cluster.runFor(1 + ((seed * 389) % PERIOD));
  const victim: NodeId = `n${1 + (seed % (size - 1))}`;
  const crashedAt = cluster.now;
  let firstPing: number | undefined;
  cluster.onMessage = (_from, to, message, at) => {
    if (firstPing === undefined && to === victim && message.type === 'ping') firstPing = at;
  };
  cluster.crash(victim);
  const live = cluster.ids.filter((id) => id !== victim);
  cluster.runUntil(() => live.every((id) => cluster.core(id).member(victim)?.state === 'dead'), crashedAt + 300_000, 50);
  return { firstProbe: ((firstPing ?? cluster.now) - crashedAt) / PERIOD, allDead: (cluster.now - crashedAt) / PERIOD };
}

/** One member publishes new metadata; periods until every member has it. */
export function dissemination(size: number, seed: number): number {
  const cluster = new Cluster({ seed, size });
  cluster.bootstrap();
  cluster.runFor(2_000);
  const meta = new Uint8Array([seed & 0xff, 1]);
  cluster.run('n1', (core) => core.updateMetadata(meta));
  const start = cluster.now;
  const version = cluster.core('n1').stats().incarnation;
  cluster.runUntil(() => cluster.ids.every((id) => cluster.core(id).member('n1')!.incarnation === version), start + 120_000, 5);
  return (cluster.now - start) / PERIOD;
}

/** Messages sent per member per protocol period in a steady cluster. */
export function load(size: number, seed: number, periods = 20): number {
  const cluster = new Cluster({ seed, size });
  cluster.bootstrap();
  cluster.runFor(5_000);
  const before = cluster.messages;
  cluster.runFor(periods * PERIOD);
  return (cluster.messages - before) / size / periods;
}

/** Members wrongly declared dead (dead events about members that never failed) under message loss. */
export function falsePositives(size: number, seed: number, loss: number, lifeguard: boolean, periods = 120): { dead: number; suspicions: number } {
  const cluster = new Cluster({ seed, size, lifeguard });
  cluster.bootstrap();
  const start = cluster.events.length;
  cluster.setLoss(loss);
  cluster.runFor(periods * PERIOD);
  const later = cluster.events.slice(start);
  return { dead: later.filter((e) => e.event.kind === 'dead').length, suspicions: later.filter((e) => e.event.kind === 'suspect').length };
}

/**
 * The Lifeguard paper's setting: some members are slow (each message they receive waits up to
 * `lagMs` before they handle it, as under CPU exhaustion). Counts dead events about members that
 * never failed (every member here is alive), and suspect events.
 */
export function slowMembers(size: number, slow: number, lagMs: number, seed: number, lifeguard: boolean, periods = 120): { dead: number; suspicions: number } {
  const cluster = new Cluster({ seed, size, lifeguard });
  cluster.bootstrap();
  for (let i = 0; i < slow; i++) cluster.slowness.set(`n${1 + ((seed + i * 7) % (size - 1))}`, lagMs);
  const start = cluster.events.length;
  cluster.runFor(periods * PERIOD);
  const later = cluster.events.slice(start);
  return { dead: later.filter((e) => e.event.kind === 'dead').length, suspicions: later.filter((e) => e.event.kind === 'suspect').length };
}
