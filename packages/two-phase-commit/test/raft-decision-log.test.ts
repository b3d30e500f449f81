import { ClosedError, DecodeError, type Endpoint, InvalidArgumentError, type NodeId, type Timers } from '@lattice/core';
import { RaftNode, type RaftLogStore } from '@lattice/raft';
import { DiskRecordLog, type NodeContext, Simulation } from '@lattice/sim';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Coordinator,
  CoordinatorFencedError,
  type CoordinatorRecord,
  DecisionLogMachine,
  type DecisionLogResult,
  decodeTwoPhaseMessage,
  encodeClaim,
  encodeDecisionRecords,
  encodeKvOps,
  MemoryKv,
  Participant,
  participantRecordCodec,
  RaftDecisionLog,
  type ReplicatedLog,
} from '../src/index.js';

const decision = (gid: string, outcome: 'committed' | 'aborted'): CoordinatorRecord => ({ type: 'decision', gid, outcome, participants: ['p1', 'p2'] });

describe('DecisionLogMachine', () => {
  it('fences the records of an epoch once a later claim is applied', () => {
    const machine = new DecisionLogMachine();
    expect(machine.apply(encodeClaim('c1'))).toMatchObject({ type: 'claimed', epoch: 1 });
    expect(machine.apply(encodeDecisionRecords(1, [decision('a', 'committed')]))).toEqual({ type: 'accepted', epoch: 1 });
    expect(machine.apply(encodeClaim('c2'))).toEqual({ type: 'claimed', epoch: 2, records: [decision('a', 'committed')] });
    // c1 no longer leads but does not know it yet: its decision is refused on every replica alike.
    expect(machine.apply(encodeDecisionRecords(1, [decision('b', 'committed')]))).toEqual({ type: 'fenced', epoch: 2, holder: 'c2' });
    expect([...machine.inDoubt()]).toEqual([['a', 'committed']]);
    expect(machine.apply(encodeDecisionRecords(2, [{ type: 'forget', gid: 'a' }]))).toEqual({ type: 'accepted', epoch: 2 });
    expect(machine.records()).toEqual([]);
  });

  it('changes nothing for a command that is not its own', () => {
    const machine = new DecisionLogMachine();
    machine.apply(encodeClaim('c1'));
    const before = machine.snapshot();
    expect(machine.apply(new Uint8Array([9, 9, 9]))).toMatchObject({ type: 'invalid' });
    expect(machine.apply(new TextEncoder().encode('set x 1'))).toMatchObject({ type: 'invalid' });
    expect(() => machine.restore(new Uint8Array([1, 5]))).toThrow(expect.objectContaining({ code: DecodeError.code }));
    expect(machine.snapshot()).toEqual(before);
  });

  it('keeps, for any interleaving of claims and writers, exactly the records of the holder of each epoch (property)', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('claim' as const), holder: fc.constantFrom('c1', 'c2', 'c3') }),
      fc.record({ kind: fc.constant('write' as const), epochBack: fc.nat(2), gid: fc.constantFrom('g1', 'g2', 'g3', 'g4'), outcome: fc.constantFrom('committed' as const, 'aborted' as const), forget: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const machine = new DecisionLogMachine();
        const model = new Map<string, string>();
        let epoch = 0;
        for (const s of steps) {
          if (s.kind === 'claim') {
            const result = machine.apply(encodeClaim(s.holder));
            epoch++;
            expect(result).toMatchObject({ type: 'claimed', epoch });
            continue;
          }
          const writer = Math.max(1, epoch - s.epochBack);
          const record: CoordinatorRecord = s.forget ? { type: 'forget', gid: s.gid } : { type: 'decision', gid: s.gid, outcome: s.outcome, participants: ['p1'] };
          const result = machine.apply(encodeDecisionRecords(writer, [record]));
          if (writer === epoch) {
            expect(result.type).toBe('accepted');
            if (record.type === 'forget') model.delete(s.gid);
            else model.set(s.gid, record.outcome);
          } else expect(result.type).toBe('fenced');
        }
        expect([...machine.inDoubt()].sort()).toEqual([...model].sort());
        const copy = new DecisionLogMachine();
        copy.restore(machine.snapshot());
        expect(copy.snapshot()).toEqual(machine.snapshot());
        expect(copy.epoch).toBe(epoch);
      }),
    );
  });
});

describe('RaftDecisionLog on a replicated log', () => {
  // A single-replica log that applies every proposal at once: enough to see the storage's own logic.
  const local = (machine: DecisionLogMachine): ReplicatedLog => ({ propose: async (command) => machine.apply(command) });

  it('takes over with the decisions to re-drive, and a deposed coordinator gets CoordinatorFencedError', async () => {
    const machine = new DecisionLogMachine();
    const first = await RaftDecisionLog.takeOver({ log: local(machine), holder: 'c1' });
    expect(first.stored).toEqual([]);
    await first.storage.persist([decision('a', 'committed')], { sync: true });
    const second = await RaftDecisionLog.takeOver({ log: local(machine), holder: 'c2' });
    expect(second.storage.epoch).toBe(2);
    expect(second.stored).toEqual([decision('a', 'committed')]);
    const error = await first.storage.persist([decision('b', 'committed')], { sync: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: CoordinatorFencedError.code });
    expect([...machine.inDoubt().keys()]).toEqual(['a']);
  });

  it('refuses a log whose state machine is not a decision log, with a typed error', async () => {
    const log: ReplicatedLog = { propose: async () => 'not a decision log result' };
    await expect(RaftDecisionLog.takeOver({ log, holder: 'c1' })).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(RaftDecisionLog.takeOver({ log: {} as ReplicatedLog, holder: 'c1' })).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(RaftDecisionLog.takeOver({ log, holder: '' })).rejects.toMatchObject({ code: InvalidArgumentError.code });
  });
});

// ------------------------------------------------------------------ failover in the simulator

const COORDINATORS = ['c1', 'c2', 'c3'];
const PARTICIPANTS = ['p1', 'p2'];
/** The coordinator's address: whichever replica of the group leads answers to it. */
const COORDINATOR = 'coordinator';
const RAFT = 1;
const TWO_PHASE = 2;

/** One endpoint per process carrying two channels: the replica's Raft messages, and the coordinator's 2PC messages. */
class Channels {
  readonly #process: Endpoint;
  readonly raft: Endpoint;
  #coordinator: Handlers | undefined;
  readonly #raftHandlers = new Handlers();

  constructor(process: Endpoint) {
    this.#process = process;
    this.raft = this.#raftHandlers.endpoint(process.id, (to, payload) => this.send(to, RAFT, payload));
    process.onMessage(({ from, payload }) => {
      const inner = payload.subarray(1);
      if (payload[0] === RAFT) this.#raftHandlers.deliver(from, inner);
      // Participants address the coordinator, and the coordinator's messages come from it, whichever replica holds it.
      else if (payload[0] === TWO_PHASE) this.#coordinator?.deliver(from, inner);
    });
  }

  send(to: NodeId, channel: number, payload: Uint8Array): Promise<void> {
    const bytes = new Uint8Array(payload.byteLength + 1);
    bytes[0] = channel;
    bytes.set(payload, 1);
    return this.#process.send(to, bytes);
  }

  /** Opens the coordinator's endpoint here (while this replica leads); `mute` loses its decisions on the way out. */
  openCoordinator(mute: () => boolean): Endpoint {
    this.#coordinator = new Handlers();
    return this.#coordinator.endpoint(COORDINATOR, async (to, payload) => {
      if (mute() && decodeTwoPhaseMessage(payload).type === 'decision') return;
      await this.send(to, TWO_PHASE, payload);
    });
  }

  closeCoordinator(): void {
    this.#coordinator?.close();
    this.#coordinator = undefined;
  }
}

/** A participant's endpoint: messages to the coordinator go to every replica of its group. */
function participantEndpoint(process: Endpoint, timers: Timers, delayMs: number): Endpoint {
  const handlers = new Handlers();
  process.onMessage(({ from, payload }) => handlers.deliver(COORDINATORS.includes(from) ? COORDINATOR : from, payload.subarray(1)));
  return handlers.endpoint(process.id, async (to, payload) => {
    const bytes = new Uint8Array(payload.byteLength + 1);
    bytes[0] = TWO_PHASE;
    bytes.set(payload, 1);
    if (to === COORDINATOR && delayMs > 0) await new Promise<void>((resolve) => timers.setTimeout(resolve, delayMs));
    await Promise.all((to === COORDINATOR ? COORDINATORS : [to]).map((replica) => process.send(replica, bytes)));
  });
}

class Handlers {
  readonly #handlers = new Set<(envelope: { from: NodeId; to: NodeId; payload: Uint8Array }) => void>();
  #id = '';
  #closed = false;

  deliver(from: NodeId, payload: Uint8Array): void {
    if (this.#closed) return;
    for (const handler of this.#handlers) handler({ from, to: this.#id, payload });
  }

  close(): void {
    this.#closed = true;
    this.#handlers.clear();
  }

  endpoint(id: NodeId, send: (to: NodeId, payload: Uint8Array) => Promise<void>): Endpoint {
    this.#id = id;
    const self = this;
    return {
      id,
      maxMessageSize: 1 << 20,
      get closed() {
        return self.#closed;
      },
      send: (to, payload) => (self.#closed ? Promise.reject(new ClosedError('closed')) : send(to, payload)),
      onMessage: (handler) => {
        self.#handlers.add(handler);
        return () => self.#handlers.delete(handler);
      },
      onError: () => () => undefined,
      close: async () => self.close(),
      [Symbol.asyncDispose]: async () => self.close(),
      [Symbol.asyncIterator]: () => {
        throw new ClosedError('iterate the process endpoint instead');
      },
    };
  }
}

/** The decision log, reporting every decision it holds after each command. */
class WatchedMachine extends DecisionLogMachine {
  readonly #seen: (gid: string, outcome: string) => void;

  constructor(seen: (gid: string, outcome: string) => void) {
    super();
    this.#seen = seen;
  }

  override apply(command: Uint8Array, index?: number): DecisionLogResult {
    const result = super.apply(command, index);
    for (const [gid, outcome] of this.inDoubt()) this.#seen(gid, outcome);
    return result;
  }
}

interface CoordinatorReplica {
  readonly kind: 'coordinator';
  readonly raft: RaftNode<unknown>;
  readonly machine: DecisionLogMachine;
  coordinator: Coordinator | undefined;
  fenced: number;
}

interface ParticipantProcess {
  readonly kind: 'participant';
  readonly participant: Participant;
  readonly kv: MemoryKv;
}

type Handle = CoordinatorReplica | ParticipantProcess;

interface FailoverRun {
  readonly sim: Simulation<Handle>;
  readonly outcomes: Map<string, Map<NodeId, string>>;
  readonly decided: Map<string, string>;
  /** Replicas whose phase-2 decisions are lost on the way out. */
  readonly muted: Set<NodeId>;
  /** Decisions two replicas of the log, or two coordinators, disagree on (must stay empty). */
  readonly conflicts: string[];
  /** Every decision any replica's log has held. */
  readonly logged: Map<string, string>;
}

/** A replica's log, kept across its crashes: an append is durable once it resolves. */
class SurvivingLog implements RaftLogStore {
  firstIndex = 1;
  #records: Uint8Array[] = [];

  get lastIndex(): number {
    return this.firstIndex + this.#records.length - 1;
  }

  async append(records: readonly Uint8Array[]): Promise<number[]> {
    return records.map((record) => {
      this.#records.push(record.slice());
      return this.lastIndex;
    });
  }

  async *entries(from = this.firstIndex, to = this.lastIndex): AsyncIterable<{ index: number; data: Uint8Array }> {
    for (let index = Math.max(from, this.firstIndex); index <= Math.min(to, this.lastIndex); index++) yield { index, data: this.#records[index - this.firstIndex]! };
  }

  async dropPrefix(index: number): Promise<void> {
    const drop = Math.max(0, Math.min(index, this.lastIndex + 1) - this.firstIndex);
    this.#records = this.#records.slice(drop);
    this.firstIndex += drop;
  }
}

/**
 * Three replicas of the coordinator's decision log (Raft, one log each in memory that survives
 * the process) and two participants (MemoryKv, records on the simulated disk). The replica that
 * leads holds the coordinator; `hooks` see each coordinator as it starts.
 */
interface WorldHooks {
  onCoordinator?: (id: NodeId, coordinator: Coordinator, sim: Simulation<Handle>) => void;
  /** Replicas that keep their coordinator after losing the leadership (it has not noticed yet). */
  keepDeposed?: ReadonlySet<NodeId>;
  /** How long participants' messages to the coordinator take, ms. */
  participantDelayMs?: number;
}

function failoverWorld(seed: number, hooks: WorldHooks = {}): FailoverRun {
  const outcomes = new Map<string, Map<NodeId, string>>();
  const decided = new Map<string, string>();
  const muted = new Set<NodeId>();
  const conflicts: string[] = [];
  const logged = new Map<string, string>();
  const logs = new Map<NodeId, SurvivingLog>();
  const logOf = (id: NodeId): SurvivingLog => {
    const log = logs.get(id) ?? new SurvivingLog();
    logs.set(id, log);
    return log;
  };
  let sim!: Simulation<Handle>;
  const node = async (ctx: NodeContext): Promise<Handle> => {
    const timers: Timers = ctx.timers;
    if (PARTICIPANTS.includes(ctx.id)) {
      const storage = new DiskRecordLog(ctx.disk, { file: 'participant', codec: participantRecordCodec() });
      const kv = new MemoryKv({ [`${ctx.id}-balance`]: 100 });
      const participant = new Participant({ endpoint: participantEndpoint(ctx.endpoint, timers, hooks.participantDelayMs ?? 0), resource: kv, storage, stored: storage.load(), clock: ctx.clock, timers, inquiry: { initialMs: 100, maxMs: 400 } });
      participant.on('applied', (effect) => {
        if (effect.type !== 'commit' && effect.type !== 'abort') return;
        const seen = outcomes.get(effect.gid) ?? new Map<NodeId, string>();
        seen.set(ctx.id, effect.type === 'commit' ? 'committed' : 'aborted');
        outcomes.set(effect.gid, seen);
      });
      participant.on('error', () => undefined);
      return { kind: 'participant', participant, kv };
    }
    const channels = new Channels(ctx.endpoint);
    const machine = new WatchedMachine((gid, outcome) => {
      const before = logged.get(gid);
      if (before !== undefined && before !== outcome) conflicts.push(`${gid}: ${before} in one replica's log, ${outcome} in ${ctx.id}'s`);
      logged.set(gid, outcome);
    });
    const raft = await RaftNode.start<unknown>({
      endpoint: channels.raft,
      log: logOf(ctx.id),
      stateMachine: machine,
      voters: COORDINATORS,
      clock: ctx.clock,
      timers,
      random: ctx.random,
      electionTimeoutMs: 300,
      heartbeatIntervalMs: 50,
      requestTimeoutMs: 1_000,
    });
    const replica: CoordinatorReplica = { kind: 'coordinator', raft, machine, coordinator: undefined, fenced: 0 };
    let claiming = false;
    const reconcile = (): void => {
      if (raft.role !== 'leader') {
        if (hooks.keepDeposed?.has(ctx.id)) return;
        void replica.coordinator?.close();
        replica.coordinator = undefined;
        channels.closeCoordinator();
        return;
      }
      if (replica.coordinator !== undefined || claiming) return;
      claiming = true;
      RaftDecisionLog.takeOver({ log: raft, holder: ctx.id })
        .then(({ storage, stored }) => {
          if (raft.role !== 'leader') return;
          const coordinator = new Coordinator({
            endpoint: channels.openCoordinator(() => muted.has(ctx.id)),
            storage: {
              persist: (records, options) =>
                storage.persist(records, options).catch((error: unknown) => {
                  if ((error as { code?: string }).code === CoordinatorFencedError.code) replica.fenced++;
                  replica.coordinator = undefined;
                  throw error;
                }),
            },
            stored,
            clock: ctx.clock,
            timers,
            random: ctx.random,
            voteTimeoutMs: 500,
            retry: { initialMs: 50, maxMs: 400 },
          });
          coordinator.on('error', () => undefined);
          coordinator.on('decided', ({ gid, outcome }) => {
            const before = decided.get(gid);
            // Two coordinators deciding one transaction differently is the failure this design rules out.
            if (before !== undefined && before !== outcome) conflicts.push(`${gid} decided ${before} and ${outcome}`);
            decided.set(gid, outcome);
          });
          replica.coordinator = coordinator;
          hooks.onCoordinator?.(ctx.id, coordinator, sim);
        })
        .catch(() => undefined)
        .finally(() => {
          claiming = false;
        });
    };
    raft.on('leader', reconcile);
    const tick = (): void => {
      reconcile();
      timers.setTimeout(tick, 100);
    };
    tick();
    return replica;
  };
  sim = new Simulation<Handle>({ seed, nodes: [...COORDINATORS, ...PARTICIPANTS], node, settleTicks: 20, replay: `SIM_SEED=${seed} npx vitest run test/raft-decision-log.test.ts` });
  return { sim, outcomes, decided, muted, conflicts, logged };
}

const leaderOf = (sim: Simulation<Handle>): { id: NodeId; replica: CoordinatorReplica } | undefined => {
  for (const id of COORDINATORS) {
    const handle = sim.handle(id);
    if (handle?.kind === 'coordinator' && handle.coordinator !== undefined) return { id, replica: handle };
  }
  return undefined;
};

/** Starts `gid` (a transfer between the participants) on whichever replica holds the coordinator, once one does. */
function transferWhenReady(sim: Simulation<Handle>, at: number, gid: string, onStart: (leader: NodeId) => void = () => undefined): void {
  const attempt = (): void => {
    const leader = leaderOf(sim);
    if (leader === undefined) {
      sim.at(sim.now() + 50, attempt);
      return;
    }
    onStart(leader.id);
    leader.replica.coordinator!.transaction({ p1: encodeKvOps([{ op: 'add', key: 'p1-balance', amount: -10 }]), p2: encodeKvOps([{ op: 'add', key: 'p2-balance', amount: 10 }]) }, { gid }).catch(() => undefined);
  };
  sim.at(at, attempt);
}

const balances = (sim: Simulation<Handle>): number[] =>
  PARTICIPANTS.map((id) => {
    const handle = sim.handle(id);
    return handle?.kind === 'participant' ? handle.kv.get(`${id}-balance`) : Number.NaN;
  });

describe('a Raft-replicated coordinator fails over (simulator)', () => {
  it('a new leader finishes a transaction whose commit was decided when the leader crashed after the votes', async () => {
    let crashed: NodeId | undefined;
    const world = failoverWorld(1, {
      onCoordinator: (id, coordinator, sim) => {
        coordinator.on('decided', ({ gid, outcome }) => {
          if (gid !== 'tx-commit' || crashed !== undefined) return;
          expect(outcome).toBe('committed');
          // The commit is in the group's log; no phase-2 message of this leader arrives anywhere.
          crashed = id;
          sim.crash(id);
        });
      },
    });
    // The votes reach the leader; its decisions never leave it.
    transferWhenReady(world.sim, 1_000, 'tx-commit', (leader) => world.muted.add(leader));
    await world.sim.run({ duration: 6_000 });
    expect(crashed).toBeDefined();
    expect(world.outcomes.get('tx-commit')).toEqual(new Map([['p1', 'committed'], ['p2', 'committed']]));
    expect(balances(world.sim)).toEqual([90, 110]);
    expect(world.conflicts).toEqual([]);
    const successor = leaderOf(world.sim);
    expect(successor?.id).not.toBe(crashed);
    // Acknowledged by both, the decision is forgotten on every live replica of the log.
    for (const id of COORDINATORS) {
      const handle = world.sim.handle(id);
      if (handle?.kind === 'coordinator' && id !== crashed) expect([...handle.machine.inDoubt().keys()]).toEqual([]);
    }
  });

  it('a transaction whose leader crashed before its decision was committed is aborted by the next leader, never committed', async () => {
    let crashed: NodeId | undefined;
    const world = failoverWorld(2);
    transferWhenReady(world.sim, 1_000, 'tx-lost', (leader) => {
      crashed = leader;
      // The leader hears the votes but cannot commit its decision in the group (cut from its replicas).
      for (const other of COORDINATORS) if (other !== leader) world.sim.cut(leader, other);
      world.sim.at(world.sim.now() + 200, () => world.sim.crash(leader));
    });
    await world.sim.run({ duration: 8_000 });
    expect(crashed).toBeDefined();
    expect(world.outcomes.get('tx-lost')).toEqual(new Map([['p1', 'aborted'], ['p2', 'aborted']]));
    expect(balances(world.sim)).toEqual([100, 100]);
    expect(world.decided.get('tx-lost')).not.toBe('committed');
    expect(world.logged.get('tx-lost')).not.toBe('committed');
    expect(world.conflicts).toEqual([]);
  });

  it('fences a deposed coordinator that has not noticed: its commit is refused, so the successor\'s presumed abort stands', async () => {
    let old: NodeId | undefined;
    const world = failoverWorld(3, { keepDeposed: new Set(COORDINATORS), participantDelayMs: 400 });
    transferWhenReady(world.sim, 1_000, 'tx-fenced', (leader) => {
      old = leader;
      const next = COORDINATORS.find((id) => id !== leader)!;
      // The votes are on their way (slowly); meanwhile the leadership moves and the successor claims the log.
      world.sim.at(world.sim.now() + 20, () => {
        const handle = world.sim.handle(leader);
        if (handle?.kind === 'coordinator') handle.raft.transferLeadership(next);
      });
    });
    await world.sim.run({ duration: 6_000 });
    // Both the deposed coordinator (all yes) and the successor (no record: presumed abort) heard the votes.
    expect(world.decided.get('tx-fenced')).toBeUndefined();
    expect(world.logged.get('tx-fenced')).toBeUndefined();
    expect(world.outcomes.get('tx-fenced')).toEqual(new Map([['p1', 'aborted'], ['p2', 'aborted']]));
    expect(balances(world.sim)).toEqual([100, 100]);
    expect(world.conflicts).toEqual([]);
    const deposed = world.sim.handle(old!);
    expect(deposed?.kind === 'coordinator' && deposed.fenced).toBe(1);
  });

  it('decides no transaction two ways over 30 seeds of coordinator crashes, partitions and loss', async () => {
    let transactions = 0;
    let committed = 0;
    let crashes = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const world = failoverWorld(seed);
      const sim = world.sim;
      for (let i = 0; i < 12; i++) transferWhenReady(sim, 500 + i * 150, `tx-${i}`);
      // Crash or cut off whoever leads, now and then; the participants stay up.
      for (const at of [900, 1_500, 2_100]) {
        sim.at(at + seed * 7, () => {
          const leader = leaderOf(sim);
          if (leader === undefined) return;
          if (seed % 2 === 0) {
            sim.crash(leader.id);
            sim.at(sim.now() + 400, () => sim.restart(leader.id));
          } else {
            sim.isolate(leader.id);
            sim.at(sim.now() + 400, () => sim.heal());
          }
        });
      }
      sim.setNetworkFaults({ dropRate: 0.05 });
      sim.at(2_600, () => sim.setNetworkFaults({ dropRate: 0 }));
      const result = await sim.run({ duration: 9_000 });
      crashes += result.stats.crashes;
      for (const [gid, seen] of world.outcomes) {
        transactions++;
        const values = new Set(seen.values());
        expect(values.size, `seed ${seed}: ${gid} ${JSON.stringify([...seen])}`).toBe(1);
        if (values.has('committed')) {
          committed++;
          expect(seen.size, `seed ${seed}: ${gid} committed at one participant only`).toBe(2);
          // Committed only where the group's log holds the commit (it may have been re-driven by a successor).
          expect(world.logged.get(gid), `seed ${seed}: ${gid}`).toBe('committed');
        }
      }
      expect(world.conflicts, `seed ${seed}`).toEqual([]);
      const [a, b] = balances(sim);
      expect(a! + b!, `seed ${seed}`).toBe(200);
      // Nothing left prepared: every in-doubt transaction was settled by some leader.
      for (const id of PARTICIPANTS) {
        const handle = sim.handle(id);
        if (handle?.kind === 'participant') expect(handle.participant.core.inDoubt(), `seed ${seed} ${id}`).toEqual([]);
      }
    }
    expect(transactions).toBeGreaterThan(200);
    expect(committed).toBeGreaterThan(100);
    expect(crashes).toBeGreaterThan(10);
  }, 120_000);
});
