import type { NodeId, ProtocolCore, Ready } from '@lattice/core';
import { RaftCore, type RaftEffect, type RaftMessage, type RaftRecord, raftMessageCodec, raftRecordCodec, replayRaftRecords } from '@lattice/raft';
import { DiskRecordLog, type FaultScheduleOptions, Simulation, type SimulationResult } from '../../src/index.js';

/**
 * A Raft core that also proposes a command every `everyMs` while it leads: a pure core built
 * from a pure core, so a whole workload runs inside the simulator without any async code.
 */
class ProposingRaft implements ProtocolCore<RaftMessage, RaftRecord, RaftEffect> {
  readonly raft: RaftCore;
  readonly #everyMs: number;
  #nextProposal: number;
  #proposed = 0;

  constructor(raft: RaftCore, now: number, everyMs: number) {
    this.raft = raft;
    this.#everyMs = everyMs;
    this.#nextProposal = now + everyMs;
  }

  step(from: NodeId, message: RaftMessage): void {
    this.raft.step(from, message);
  }

  tick(now: number): void {
    this.raft.tick(now);
    if (now < this.#nextProposal) return;
    this.#nextProposal = now + this.#everyMs;
    if (this.raft.role === 'leader') this.raft.propose(new TextEncoder().encode(`${this.raft.id}/${this.raft.term}/${++this.#proposed}`));
  }

  wakeAt(): number | undefined {
    const raft = this.raft.wakeAt();
    return raft === undefined ? this.#nextProposal : Math.min(raft, this.#nextProposal);
  }

  hasReady(): boolean {
    return this.raft.hasReady();
  }

  ready(): Ready<RaftMessage, RaftRecord, RaftEffect> {
    return this.raft.ready();
  }

  advance(ready: Ready<RaftMessage, RaftRecord, RaftEffect>): void {
    this.raft.advance(ready);
  }
}

/** What the cluster did, as seen through the cores' effects. */
export interface RaftObservations {
  /** Per node: index -> "term:data" of every entry it applied (across restarts). */
  readonly applied: Map<NodeId, Map<number, string>>;
  /** Term -> the node that became leader in it. */
  readonly leaders: Map<number, NodeId>;
  /** Safety violations seen while running (two leaders in a term, an index applied with two entries). */
  readonly violations: string[];
  /** Normal entries with a command, applied anywhere. */
  commands: number;
}

export const raftFaults: FaultScheduleOptions = { meanIntervalMs: 200, durationMs: { min: 50, max: 600 }, stop: 2_500 };

/** Five Raft nodes on the simulated disk, every fault kind until 2.5 s, then 1.5 s to recover. */
export async function runRaft(seed: number, faults: FaultScheduleOptions = raftFaults): Promise<{ result: SimulationResult; seen: RaftObservations }> {
  const seen: RaftObservations = { applied: new Map(), leaders: new Map(), violations: [], commands: 0 };
  const decoder = new TextDecoder();
  const sim = new Simulation({
    seed,
    nodes: 5,
    faults,
    clocks: { maxSkewMs: 50, maxDriftPpm: 200 },
    disk: { tornWrites: true },
    node: (ctx) => {
      const storage = new DiskRecordLog(ctx.disk, { file: 'raft', codec: raftRecordCodec() });
      const now = ctx.clock.monotonic();
      const raft = new RaftCore({ id: ctx.id, voters: ctx.nodes, stored: replayRaftRecords(storage.load()), now, random: ctx.random, electionTimeoutMs: 300, heartbeatIntervalMs: 50 });
      const applied = seen.applied.get(ctx.id) ?? new Map<number, string>();
      seen.applied.set(ctx.id, applied);
      return ctx.runCore({
        core: new ProposingRaft(raft, now, 100),
        codec: raftMessageCodec(),
        storage,
        apply: (effect) => {
          if (effect.type === 'role' && effect.role === 'leader') {
            const other = seen.leaders.get(effect.term);
            if (other !== undefined && other !== ctx.id) seen.violations.push(`term ${effect.term}: leaders ${other} and ${ctx.id}`);
            seen.leaders.set(effect.term, ctx.id);
          }
          if (effect.type !== 'apply') return;
          for (const entry of effect.entries) {
            const text = `${entry.term}:${decoder.decode(entry.data)}`;
            const before = applied.get(entry.index);
            if (before !== undefined && before !== text) seen.violations.push(`${ctx.id} applied ${entry.index} as ${before} and as ${text}`);
            applied.set(entry.index, text);
            for (const [node, other] of seen.applied) {
              const theirs = other.get(entry.index);
              if (node !== ctx.id && theirs !== undefined && theirs !== text) seen.violations.push(`index ${entry.index}: ${node} applied ${theirs}, ${ctx.id} applied ${text}`);
            }
            if (entry.type === 'normal' && entry.data.byteLength > 0 && before === undefined) seen.commands++;
          }
        },
      });
    },
  });
  return { result: await sim.run({ duration: 4_000 }), seen };
}
