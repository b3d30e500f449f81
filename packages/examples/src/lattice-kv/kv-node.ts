/**
 * A lattice-kv node: a `RaftNode` over TCP with an fsync'd write-ahead log and snapshots, the
 * KV state machine, and the RESP server in front of it.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';
import { HybridLogicalClock } from '@lattice/clocks';
import { type Clock, type Endpoint, InvalidArgumentError, systemClock, systemTimers, type Timers } from '@lattice/core';
import { RaftNode } from '@lattice/raft';
import { openWal } from '@lattice/wal';
import { startClusterPage } from './cluster-page.js';
import { encodeKvCommand, type KvCommand, KvStateMachine, stampKvCommand } from './kv-state-machine.js';
import { PartitionableEndpoint } from './nemesis.js';
import { ProposalBatcher } from './proposal-batcher.js';
import { ReadBarrierBatcher } from './read-batcher.js';
import { type KvNodeStatus, NodeStatusRecorder } from './node-status.js';
import { openRaftEndpoint } from './raft-endpoint.js';
import type { Reply } from './resp.js';
import { type KvBackend, startRespServer } from './resp-server.js';

/** Options of {@link startKvNode}. */
export interface KvNodeOptions {
  id: string;
  /** The write-ahead log's directory (created if missing; reopened after a restart). */
  dataDir: string;
  /** Raft address of every voter, this node's included: `{ a: '127.0.0.1:7101', … }`. */
  peers: Record<string, string>;
  /** Port of the RESP (Redis protocol) listener; 0 picks one. */
  respPort: number;
  /** Shared secret of the cluster's TCP transport. */
  secret: string;
  /** Serve `LATTICE.READS lease` (the leader answers from its lease; assumes bounded clock drift). */
  leaseReads?: boolean;
  /**
   * Accept `LATTICE.NEMESIS ISOLATE <peer…>|HEAL` on the RESP port, which cuts this node off from
   * peers (for partition tests). Never set it on a node real clients use.
   */
  nemesis?: boolean;
  /**
   * Applied entries between snapshots. Default 10,000: a snapshot serialises every key, and at
   * 1,000 a write-heavy load spent more time on snapshots than on any other one thing.
   */
  snapshotEvery?: number;
  /**
   * Carry Raft's messages over NATS instead of TCP: the server's URL, and the cluster's name
   * (subjects `lattice.<cluster>.<id>`; default `lattice-kv`). `peers` then only names the voters.
   */
  nats?: { url: string; cluster?: string };
  /** Port of the cluster page (HTTP on 127.0.0.1; 0 picks one); omitted: no page. */
  httpPort?: number;
  /** The page address (`host:port`) of every node, so that each node's page shows them all. */
  httpPeers?: Record<string, string>;
  clock?: Clock;
  timers?: Timers;
}

/** A running node. */
export interface KvNode {
  readonly raft: RaftNode<Reply>;
  readonly machine: KvStateMachine;
  readonly respPort: number;
  /** The cluster page's port, when one was asked for. */
  readonly httpPort: number | undefined;
  /** Role, indices, snapshots and recent elections/commits (what INFO and the page show). */
  status(): KvNodeStatus;
  stop(): Promise<void>;
}

// While keys carry TTLs the leader proposes an empty write this often, so that the agreed time
// moves on (and keys expire) even when nobody writes.
const TICK_MS = 250;

/** Starts a node; resolves once its RESP port listens. */
export async function startKvNode(options: KvNodeOptions): Promise<KvNode> {
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const own = options.peers[options.id];
  if (own === undefined) throw new InvalidArgumentError(`peers has no address for ${options.id}`);
  const [host, port] = own.split(':') as [string, string];
  const { transport, endpoint: opened } = await openRaftEndpoint(options, host, Number(port));
  const nemesis = options.nemesis === true ? new PartitionableEndpoint(opened) : undefined;
  const endpoint: Endpoint = nemesis ?? opened;
  const log = await openWal(options.dataDir);
  const machine = new KvStateMachine();
  const recorder = new NodeStatusRecorder(options.id, clock, options.nats === undefined ? 'tcp' : 'nats');
  const leaseReads = options.leaseReads === true;
  // The leader stamps each entry as it appends it (forwarded ones too), so the agreed time is the
  // leader's: a follower whose clock runs ahead cannot push it forward. The clock merges every
  // stamp applied, so a new leader's stamps start above its predecessor's even if its clock is behind.
  const hlc = new HybridLogicalClock({ node: options.id, clock, maxOffsetMs: Number.POSITIVE_INFINITY });
  const stampCommand = (command: Uint8Array): Uint8Array => {
    const applied = machine.stamp;
    const issued = hlc.last;
    if (applied.wallTime > issued.wallTime || (applied.wallTime === issued.wallTime && applied.logical > issued.logical)) {
      try {
        hlc.update({ wallTime: applied.wallTime, logical: applied.logical, node: options.id });
      } catch {}
    }
    let stamp: { wallTime: number; logical: number };
    try {
      stamp = hlc.now();
    } catch {
      stamp = hlc.last; // more than 65,535 entries in one millisecond: share the stamp
    }
    return stampKvCommand(command, stamp.wallTime, stamp.logical);
  };
  const raft = await RaftNode.start<Reply>({
    endpoint,
    log,
    stateMachine: recorder.observe(machine),
    voters: Object.keys(options.peers),
    electionTimeoutMs: 300,
    heartbeatIntervalMs: 50,
    snapshotEvery: options.snapshotEvery ?? 10_000,
    requestTimeoutMs: 2000,
    checkQuorum: true,
    stampCommand,
    ...(leaseReads ? { readOnly: 'lease' as const } : {}),
    clock,
    timers,
  });
  recorder.attach(raft, () => machine.size);
  raft.on('error', (error) => {
    if (process.env['LATTICE_KV_DEBUG']) console.error(`[${options.id}] ${error.code}: ${error.message}`);
  });
  const proposals = new ProposalBatcher<Reply>((command) => raft.propose(command), timers);
  const propose = (command: KvCommand) => proposals.propose(encodeKvCommand(0, command));
  const reads = new ReadBarrierBatcher(() => raft.read());
  const backend: KvBackend = {
    machine,
    leaseReads,
    ...(nemesis === undefined ? {} : { nemesis }),
    propose,
    pipelineWrites: () => raft.role === 'leader',
    readBarrier: () => reads.barrier(),
    readNow: () => leaseReads && raft.canReadNow(),
    info: () => {
      const status = raft.status();
      return { raft_id: options.id, raft_role: status.role, raft_term: status.term, raft_leader: status.leader, raft_commit: status.commit, raft_applied: status.applied, agreed_time_ms: machine.time, ...recorder.infoFields() };
    },
  };
  let stopped = false;
  let tickTimer: unknown;
  const tick = () => {
    if (stopped) return;
    if (raft.status().role === 'leader' && machine.hasVolatileKeys) propose({ op: 'tick' }).catch(() => {});
    tickTimer = timers.setTimeout(tick, TICK_MS);
  };
  tickTimer = timers.setTimeout(tick, TICK_MS);
  const server: Server = await startRespServer(backend, options.respPort);
  const address = server.address();
  const respPort = typeof address === 'object' && address !== null ? address.port : options.respPort;
  const page: HttpServer | undefined =
    options.httpPort === undefined ? undefined : await startClusterPage({ id: options.id, status: () => recorder.status(), peers: options.httpPeers ?? { [options.id]: `127.0.0.1:${options.httpPort}` }, port: options.httpPort });
  const pageAddress = page?.address();
  return {
    raft,
    machine,
    respPort,
    httpPort: typeof pageAddress === 'object' && pageAddress !== null ? pageAddress.port : undefined,
    status: () => recorder.status(),
    async stop() {
      stopped = true;
      timers.clearTimeout(tickTimer);
      if (page !== undefined) {
        page.closeAllConnections();
        await new Promise<void>((resolve) => page.close(() => resolve()));
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await raft.stop();
      await transport.close?.();
    },
  };
}
