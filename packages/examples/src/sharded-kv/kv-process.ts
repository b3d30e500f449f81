/**
 * One process of the sharded KV: it hosts a replica of every shard group and of the coordinator
 * group on one endpoint (multi-raft), holds the roles of the groups it leads (a shard's 2PC
 * participant, the coordinator), and serves clients: snapshot reads at an HLC timestamp and
 * transactions that read and write keys on any shards.
 */
import { formatHlc, HybridLogicalClock, parseHlc } from '@lattice/clocks';
import { type Clock, type Endpoint, isLatticeError, LatticeError, type LatticeErrorOptions, type NodeId, type Random, type Timers } from '@lattice/core';
import { HashRing } from '@lattice/hashring';
import { RaftNode } from '@lattice/raft';
import type { Disk } from '@lattice/sim';
import { Coordinator, DecisionLogMachine, type DecisionLogResult, RaftDecisionLog } from '@lattice/two-phase-commit';
import { DiskLogStore } from './disk-log-store.js';
import { GroupMux, type Placement } from './group-mux.js';
import { encodeTransferOps } from './ops.js';
import { encodeShardCommand, type ShardCommand, type ShardDeliberateBugs, ShardMachine, type ShardResult, type Timestamp, type Version } from './shard-machine.js';
import { ShardParticipant } from './shard-participant.js';

/** Thrown when a request cannot be served here now (no coordinator on this process, a stale ring): it did not take effect. */
export class NotServedError extends LatticeError {
  static readonly code = 'ERR_NOT_SERVED';
  override readonly name = 'NotServedError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(NotServedError.code, message, options);
  }
}

/** The coordinator group's id. */
export const COORDINATOR_GROUP = 'coord';

export interface KvProcessOptions {
  readonly id: NodeId;
  readonly endpoint: Endpoint;
  readonly disk: Disk;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
  /** The processes every group has a replica on. */
  readonly processes: readonly NodeId[];
  /** The shard groups this process hosts a replica of. */
  readonly shards: () => readonly string[];
  /** The ring's members, in the order they were added (a group joins it once its keys have moved). */
  readonly ring: () => readonly string[];
  readonly bugs?: ShardDeliberateBugs;
  /** Raft timing, ms. */
  readonly electionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** Reports what should never happen (checked by the tests: a shard refusing a decision, garbage). */
  readonly onProblem: (problem: string) => void;
}

interface ShardReplica {
  readonly raft: RaftNode<ShardResult>;
  readonly machine: ShardMachine;
  participant: ShardParticipant | undefined;
}

/** What a transaction returns: the versions it read, and whether its writes committed. */
export interface TransactionOutput {
  readonly outcome: 'committed' | 'aborted';
  readonly reason: string;
  readonly read: Readonly<Record<string, string | null>>;
  readonly readTs: Timestamp;
  readonly commitTs: Timestamp;
}

export class KvProcess {
  readonly id: NodeId;
  readonly mux: GroupMux;
  readonly hlc: HybridLogicalClock;
  readonly #options: KvProcessOptions;
  readonly #shards = new Map<string, ShardReplica>();
  #ring: HashRing;
  #ringOf: readonly string[] = [];
  #coordRaft!: RaftNode<DecisionLogResult>;
  #coordinator: Coordinator | undefined;
  #coordinatorEndpoint: Endpoint | undefined;
  #claiming = false;
  #closed = false;

  private constructor(options: KvProcessOptions) {
    this.#options = options;
    this.id = options.id;
    this.hlc = new HybridLogicalClock({ node: options.id, clock: options.clock, timers: options.timers, maxOffsetMs: Number.POSITIVE_INFINITY });
    this.mux = new GroupMux(options.endpoint, () => this.placement());
    this.mux.onError((error) => options.onProblem(`transport: ${error.message}`));
    this.#ring = new HashRing({ members: [{ id: '_' }] });
  }

  static async start(options: KvProcessOptions): Promise<KvProcess> {
    const process = new KvProcess(options);
    process.#coordRaft = await process.#startGroup(COORDINATOR_GROUP, new DecisionLogMachine());
    process.#coordRaft.on('leader', () => process.#reconcile());
    for (const shard of options.shards()) await process.addShard(shard);
    process.#refreshRing();
    process.#tick();
    return process;
  }

  /** Every group's replicas. */
  placement(): Placement {
    const placement = new Map<string, readonly NodeId[]>();
    placement.set(COORDINATOR_GROUP, this.#options.processes);
    for (const shard of this.#options.shards()) placement.set(shard, this.#options.processes);
    return placement;
  }

  /** Starts this process's replica of a (new) shard group. */
  async addShard(shard: string): Promise<void> {
    if (this.#shards.has(shard)) return;
    const machine = new ShardMachine(this.#options.bugs);
    const raft = await this.#startGroup(shard, machine);
    const replica: ShardReplica = { raft, machine, participant: undefined };
    this.#shards.set(shard, replica);
    raft.on('leader', () => this.#reconcile());
  }

  /** The shard owning `key` by this process's ring. */
  owner(key: string): string {
    this.#refreshRing();
    return this.#ring.lookup(key);
  }

  /** The shard replica of `group` on this process (tests read its machine). */
  shard(group: string): { readonly raft: RaftNode<ShardResult>; readonly machine: ShardMachine } | undefined {
    return this.#shards.get(group);
  }

  /** True while this process holds the coordinator. */
  get coordinating(): boolean {
    return this.#coordinator !== undefined;
  }

  /** Proposes a command to a shard group through this process's replica (a follower forwards it to the leader). */
  async propose(group: string, command: ShardCommand): Promise<ShardResult> {
    const replica = this.#shards.get(group);
    if (replica === undefined) throw new NotServedError(`No replica of ${group} here`);
    return replica.raft.propose(encodeShardCommand(command));
  }

  /**
   * Reads `keys` as of one HLC timestamp across their shards: each shard waits for transactions
   * prepared at or below it, so the result is a consistent snapshot.
   */
  async snapshotRead(
    keys: readonly string[],
    ts: Timestamp = formatHlc(this.hlc.now()),
    placed?: ReadonlyMap<string, string>,
  ): Promise<{ ts: Timestamp; values: Record<string, Version | null> }> {
    const byShard = new Map<string, string[]>();
    for (const key of keys) {
      const shard = placed?.get(key) ?? this.owner(key);
      byShard.set(shard, [...(byShard.get(shard) ?? []), key]);
    }
    const values: Record<string, Version | null> = {};
    await Promise.all(
      [...byShard].map(async ([shard, shardKeys]) => {
        for (;;) {
          const result = await this.propose(shard, { t: 'read', keys: shardKeys, ts });
          if (result.type === 'values') {
            Object.assign(values, result.values);
            this.hlc.update(parseHlc(result.horizon));
            return;
          }
          if (result.type === 'moved') throw new NotServedError(`"${result.key}" moved to ${result.to}: the ring here is stale`);
          if (result.type !== 'blocked') throw new NotServedError(`read refused: ${JSON.stringify(result)}`);
          await new Promise<void>((resolve) => this.#options.timers.setTimeout(resolve, 10));
        }
      }),
    );
    return { ts, values };
  }

  /**
   * A transaction over any keys: reads them at a snapshot timestamp, computes the writes, and
   * commits at a later HLC timestamp — in one Raft command when all keys are on one shard,
   * through two-phase commit (the coordinator group's leader, this process) otherwise.
   * `NotServedError` (nothing happened) when it needs the coordinator and this process is not it.
   */
  async transaction(gid: string, keys: readonly string[], compute: (read: Record<string, string | null>) => Record<string, string>): Promise<TransactionOutput> {
    // One placement for the whole transaction: the ring may change while it runs (a rebalance),
    // and then a shard that no longer owns a key refuses it rather than a write going nowhere.
    const placed = new Map(keys.map((key) => [key, this.owner(key)]));
    const shards = new Set(placed.values());
    if (shards.size > 1 && this.#coordinator === undefined) throw new NotServedError(`${this.id} does not hold the coordinator`);
    const snapshot = await this.snapshotRead(keys, formatHlc(this.hlc.now()), placed);
    const read: Record<string, string | null> = {};
    for (const key of keys) read[key] = snapshot.values[key]?.value ?? null;
    const writes = Object.entries(compute(read));
    const commitTs = formatHlc(this.hlc.now());
    const base = { read, readTs: snapshot.ts, commitTs };
    if (shards.size === 1) {
      const [shard] = shards;
      const result = await this.propose(shard!, { t: 'txn', gid, writes, readTs: snapshot.ts, commitTs });
      if (result.type === 'committed') return { ...base, outcome: 'committed', reason: 'single shard' };
      if (result.type === 'conflict') return { ...base, outcome: 'aborted', reason: result.reason };
      throw new NotServedError(`transaction refused: ${JSON.stringify(result)}`);
    }
    const coordinator = this.#coordinator;
    if (coordinator === undefined) throw new NotServedError(`${this.id} lost the coordinator`);
    const work: [string, Uint8Array][] = [];
    for (const shard of shards) {
      const own = writes.filter(([key]) => placed.get(key) === shard);
      work.push([shard, encodeTransferOps({ writes: own, readTs: snapshot.ts, commitTs })]);
    }
    try {
      const result = await coordinator.transaction(work, { gid });
      return { ...base, outcome: result.outcome, reason: result.reason };
    } catch (error) {
      // The coordinator stopped (fenced by a successor, or its log stopped answering): the
      // outcome is the successor's to settle, so it is unknown here.
      if (isLatticeError(error)) this.#dropCoordinator();
      throw error;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#dropCoordinator();
    for (const replica of this.#shards.values()) {
      replica.participant?.close();
      await replica.raft.stop();
    }
    await this.#coordRaft.stop();
    this.mux.close();
  }

  async #startGroup<R>(group: string, machine: { apply(c: Uint8Array, i: number): R; snapshot(): Uint8Array; restore(s: Uint8Array): void }): Promise<RaftNode<R>> {
    const raft = await RaftNode.start<R>({
      endpoint: this.mux.raftEndpoint(group),
      log: new DiskLogStore(this.#options.disk, `raft-${group}`),
      stateMachine: machine,
      voters: [...this.#options.processes],
      clock: this.#options.clock,
      timers: this.#options.timers,
      random: this.#options.random,
      electionTimeoutMs: this.#options.electionTimeoutMs ?? 300,
      heartbeatIntervalMs: this.#options.heartbeatIntervalMs ?? 50,
      snapshotEvery: 200,
      requestTimeoutMs: 1_000,
      preVote: true,
      checkQuorum: true,
    });
    raft.on('error', (error) => this.#options.onProblem(`raft ${group}: ${error.message}`));
    return raft;
  }

  #refreshRing(): void {
    const shards = this.#options.ring();
    if (shards.length === this.#ringOf.length && shards.every((s, i) => s === this.#ringOf[i])) return;
    this.#ring = new HashRing({ members: shards.map((id) => ({ id })) });
    this.#ringOf = [...shards];
  }

  /** Takes or drops the roles of the groups whose leadership changed here. */
  #reconcile(): void {
    if (this.#closed) return;
    for (const [group, replica] of this.#shards) {
      const leads = replica.raft.role === 'leader';
      if (leads && replica.participant === undefined) {
        replica.participant = new ShardParticipant({
          endpoint: this.mux.groupEndpoint(group),
          raft: replica.raft,
          machine: replica.machine,
          coordinator: COORDINATOR_GROUP,
          timers: this.#options.timers,
          inquiryMs: 300,
          onError: (error) => this.#options.onProblem(`participant ${group}: ${error instanceof Error ? error.message : String(error)}`),
        });
      } else if (!leads && replica.participant !== undefined) {
        replica.participant.close();
        replica.participant = undefined;
      }
    }
    const leadsCoordinator = this.#coordRaft.role === 'leader';
    if (!leadsCoordinator) this.#dropCoordinator();
    else if (this.#coordinator === undefined && !this.#claiming) void this.#claim();
  }

  async #claim(): Promise<void> {
    this.#claiming = true;
    try {
      const { storage, stored } = await RaftDecisionLog.takeOver({ log: this.#coordRaft, holder: this.id });
      if (this.#closed || this.#coordRaft.role !== 'leader') return;
      const endpoint = this.mux.groupEndpoint(COORDINATOR_GROUP);
      this.#coordinatorEndpoint = endpoint;
      this.#coordinator = new Coordinator({
        endpoint,
        // A failed write stops the coordinator (fenced by a successor, or no majority answered
        // in time): give the role up, so the next reconcile claims a new epoch if this node still leads.
        storage: {
          persist: (records, options) =>
            storage.persist(records, options).catch((error: unknown) => {
              this.#dropCoordinator();
              throw error;
            }),
        },
        stored,
        clock: this.#options.clock,
        timers: this.#options.timers,
        random: this.#options.random,
        voteTimeoutMs: 600,
        retry: { initialMs: 50, maxMs: 400 },
      });
      this.#coordinator.on('error', () => undefined); // a participant's garbage: the core refused it, nothing changed
    } catch {
      // The claim was not committed (leadership moved, a timeout): the next reconcile tries again.
    } finally {
      this.#claiming = false;
    }
  }

  #dropCoordinator(): void {
    const coordinator = this.#coordinator;
    const endpoint = this.#coordinatorEndpoint;
    this.#coordinator = undefined;
    this.#coordinatorEndpoint = undefined;
    void coordinator?.close().catch(() => undefined);
    void endpoint?.close();
  }

  #tick(): void {
    if (this.#closed) return;
    this.#reconcile();
    this.#options.timers.setTimeout(() => this.#tick(), 100);
  }
}
