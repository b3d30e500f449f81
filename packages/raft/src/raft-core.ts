import {
  assertNodeId,
  InvalidArgumentError,
  type NodeId,
  type Outbound,
  type ProtocolCore,
  type Random,
  type Ready,
  seededRandom,
} from '@lattice/core';
import { applyConfChange, checkConfChange, decodeConfChange, encodeConfChange } from './conf-change.js';
import { ConfChangeError, NotLeaderError, ProposalDroppedError } from './errors.js';
import { checkMessage } from './message-check.js';
import { Progress, type ProgressState } from './progress.js';
import { allMembers, allVoters, committedIndex, confOf, isJoint, isVoter, voteResult } from './quorum.js';
import { RaftInvariantError, RaftLog } from './raft-log.js';
import type { ConfChange, ConfState, Entry, HardState, RaftEffect, RaftMessage, RaftRecord, Role, Snapshot } from './types.js';

/** What a node has on disk when it starts (see `restoreRaftState`). */
export interface RaftStoredState {
  readonly hardState?: HardState;
  readonly snapshot?: Snapshot;
  readonly entries?: readonly Entry[];
}

/** Options of {@link RaftCore}. Durations are in ms of the monotonic time fed to `tick`. */
export interface RaftCoreOptions {
  /** This node's id. */
  id: NodeId;
  /** The voters of a new cluster (same list on every node); ignored once a snapshot holds the membership. */
  voters?: readonly NodeId[];
  /** The learners of a new cluster. */
  learners?: readonly NodeId[];
  /** What the node had on disk. */
  stored?: RaftStoredState;
  /** Monotonic time at start. Default 0. */
  now?: number;
  /** Randomness of election timeouts (seed it for replayable runs). Default a seeded generator from the id. */
  random?: Random;
  /** A follower that hears no leader for a random time in [T, 2T) campaigns. Default 1,000. */
  electionTimeoutMs?: number;
  /** Default 100. Must be well below the election timeout. */
  heartbeatIntervalMs?: number;
  /** Pre-vote (Raft thesis §9.6): a partitioned node cannot disrupt the cluster by raising its term. Default true. */
  preVote?: boolean;
  /** A leader that has not heard from a quorum for an election timeout steps down. Default true. */
  checkQuorum?: boolean;
  /**
   * `'safe'` (default): reads confirm leadership with a heartbeat round (ReadIndex). `'lease'`:
   * the leader answers from its lease without a round trip; needs `checkQuorum` and assumes clock
   * rates differ by less than the gap between the election timeout and the lease (see README).
   */
  readOnly?: 'safe' | 'lease';
  /** Most entry bytes in one append. Default 1 MiB. */
  maxSizePerMsg?: number;
  /** Most appends in flight per follower in `replicate`. Default 256. */
  maxInflightMsgs?: number;
  /** Most entry bytes in flight per follower; 0 = no limit. Default 0. */
  maxInflightBytes?: number;
  /**
   * With `readOnly: 'lease'`: the most the clocks of two nodes may drift apart, as a fraction of
   * elapsed time. The lease lasts `electionTimeoutMs × (1 − maxClockDrift)` from the sending of the
   * latest heartbeat round a quorum answered. Default 0.1.
   */
  maxClockDrift?: number;
  /** Most bytes of uncommitted entries the leader accepts; 0 = no limit. Default 0. */
  maxUncommittedSize?: number;
  /** Followers refuse proposals instead of forwarding them to the leader. Default false. */
  disableProposalForwarding?: boolean;
  /**
   * Called at the leader for each normal entry's data as the leader appends it — proposed on the
   * leader itself or forwarded by a follower — and returns the data to append instead. This is
   * where the leader stamps entries with its own clock, so that no follower's clock enters the
   * log. Must be deterministic in what it keeps of the input and must not throw (a throw drops
   * the proposal).
   */
  stampProposal?: (data: Uint8Array) => Uint8Array;
  /** A leader removed from the configuration steps down once the removal is applied. Default true. */
  stepDownOnRemoval?: boolean;
  /** Snapshot bytes per message. Default 512 KiB. */
  snapshotChunkSize?: number;
  /** Most committed entries handed out in one `Ready`. Default 4,096. */
  maxApplyBatch?: number;
  /**
   * etcd raft's asynchronous storage writes. The leader sends appends before its own write of
   * them is durable (it counts itself toward a commit only once it is), and the core is
   * `pipelined`: it hands out the next `Ready` while earlier writes are still in flight, applies
   * only entries that are durable here, and holds back what promises durable state (an
   * acknowledgement, a vote) until its `Ready` is durable. Default true.
   */
  asyncStorageWrites?: boolean;
  /**
   * Deliberate protocol bugs, each switched on by name, so that a test harness can prove it
   * catches them (a harness that never fails proves nothing). Never set them outside such tests.
   * @internal
   */
  deliberateBugs?: readonly DeliberateBug[];
}

/**
 * The bugs {@link RaftCoreOptions.deliberateBugs} can plant:
 * - `vote-without-sync`: a vote (and term) is sent before it is synced, so a crash can forget it;
 * - `commit-previous-term`: the leader commits an entry of an earlier term by counting replicas (Figure 8);
 * - `lease-without-check-quorum`: lease reads are served without check-quorum;
 * - `skip-log-matching`: a follower appends without checking that its log matches at `prevIndex`;
 * - `leader-counts-unsynced-entry`: the leader counts its own entries toward a commit as soon as
 *   it appends them, before its write of them is durable, so a crash can lose a committed entry.
 * @internal
 */
export type DeliberateBug = 'vote-without-sync' | 'commit-previous-term' | 'lease-without-check-quorum' | 'skip-log-matching' | 'leader-counts-unsynced-entry';

/** What {@link RaftCore.status} reports about one follower. */
export interface FollowerStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly inflight: number;
  readonly recentActive: boolean;
  readonly isLearner: boolean;
}

/** A snapshot of a core's state. */
export interface RaftStatus {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: number;
  readonly vote: NodeId;
  readonly leader: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly firstIndex: number;
  readonly conf: ConfState;
  /** Per follower (leader only). */
  readonly progress: ReadonlyMap<NodeId, FollowerStatus>;
  readonly leadTransferee: NodeId;
}

interface PendingRead {
  readonly context: Uint8Array;
  readonly key: string;
  readonly index: number;
  readonly from: NodeId;
  readonly acks: Set<NodeId>;
}

interface SnapshotAssembly {
  readonly from: NodeId;
  readonly term: number;
  readonly meta: Snapshot['meta'];
  readonly size: number;
  readonly chunks: Uint8Array[];
  received: number;
}

/** What a {@link RaftCore}'s `ready()` hands out. */
export type RaftReady = Ready<RaftMessage, RaftRecord, RaftEffect>;

const EMPTY = new Uint8Array(0);
/** What a leader sends without waiting for its own writes (nothing in them promises what it has persisted). */
const EARLY_TYPES = new Set<RaftMessage['type']>(['append', 'heartbeat', 'snapshot', 'timeoutNow', 'readIndexResp']);
/**
 * What any node sends without waiting for its writes: a heartbeat's answer, a forwarded
 * proposal or read. (An append's answer and a vote wait: they promise durable state.)
 */
const EARLY_ANY_ROLE = new Set<RaftMessage['type']>(['heartbeatResp', 'propose', 'readIndex']);

/** What a `Ready` handed out still owes until it is advanced. */
interface InFlightReady {
  readonly ready: RaftReady;
  readonly lastEntry: Entry | undefined;
  readonly applied: number;
}

function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new InvalidArgumentError(`${name} must be a finite number >= ${min}, got ${String(v)}`);
  return v;
}

function contextKey(context: Uint8Array): string {
  let key = '';
  for (const byte of context) key += byte.toString(16).padStart(2, '0');
  return key;
}

/**
 * Raft (Ongaro & Ousterhout) as a pure {@link ProtocolCore}, with the features of etcd's raft:
 * pre-vote, check-quorum, leadership transfer, pipelined and flow-controlled replication with
 * probe/replicate/snapshot progress and fast backtracking, chunked snapshots, single-server and
 * joint-consensus membership changes with learners, ReadIndex and lease reads, proposal
 * forwarding and a bound on uncommitted entries.
 *
 * Feed it messages (`step`), time (`tick`) and requests (`propose`, `proposeConfChange`,
 * `readIndex`, `transferLeadership`, `compact`); carry out each `ready()` in order (persist,
 * then send and apply) and `advance` it — `ProtocolDriver` from `@lattice/core` does exactly that.
 *
 * @example
 * ```ts
 * const core = new RaftCore({ id: 'a', voters: ['a', 'b', 'c'], random: seededRandom(1) });
 * const driver = new ProtocolDriver({ core, endpoint, codec: raftCodec(), storage, apply });
 * ```
 */
export class RaftCore implements ProtocolCore<RaftMessage, RaftRecord, RaftEffect> {
  readonly id: NodeId;
  readonly #log = new RaftLog();
  readonly #random: Random;
  readonly #electionTimeout: number;
  readonly #heartbeatInterval: number;
  readonly #preVote: boolean;
  readonly #checkQuorum: boolean;
  readonly #readOnly: 'safe' | 'lease';
  readonly #maxSizePerMsg: number;
  readonly #maxInflight: number;
  readonly #maxInflightBytes: number;
  readonly #maxUncommitted: number;
  readonly #forwarding: boolean;
  readonly #stepDownOnRemoval: boolean;
  readonly #chunkSize: number;
  readonly #maxApplyBatch: number;
  readonly #asyncWrites: boolean;
  readonly #maxClockDrift: number;
  readonly #bugs: ReadonlySet<DeliberateBug>;

  #term = 0;
  #vote: NodeId = '';
  #role: Role = 'follower';
  #leader: NodeId = '';
  #conf: ConfState;
  #now: number;
  /** When this node last heard from a leader (or, as leader, last confirmed a quorum). */
  #electionResetAt: number;
  #electionDeadline = 0;
  #heartbeatDeadline = 0;
  #checkQuorumDeadline = 0;
  #votes = new Map<NodeId, boolean>();
  #progress = new Map<NodeId, Progress>();
  #leadTransferee: NodeId = '';
  #transferDeadline = 0;
  #pendingConfIndex = 0;
  #uncommittedSize = 0;
  #reads: PendingRead[] = [];
  /** Reads waiting for the leader's first commit in its term. */
  #readsAwaitingCommit: { context: Uint8Array; from: NodeId }[] = [];
  #assembly: SnapshotAssembly | undefined;
  #snapshotSentAt = new Map<NodeId, number>();
  /** Heartbeat rounds: the latest one sent, when each recent one was sent, the latest each follower answered. */
  #round = 0;
  #roundSentAt = new Map<number, number>();
  #answeredRound = new Map<NodeId, number>();

  // Outputs gathered until the next ready().
  #early: Outbound<RaftMessage>[] = [];
  #messages: Outbound<RaftMessage>[] = [];
  /** Entries were appended at the leader since the last ready(): their appends go out with it, one per follower. */
  #appendPending = false;
  /** The last append built, with the log's last index then and its entries' bytes (see #appendMessage). */
  #lastAppend: { readonly message: Extract<RaftMessage, { type: 'append' }>; readonly lastIndex: number; readonly bytes: number } | undefined;
  #effects: RaftEffect[] = [];
  #pendingSnapshotRecord: Snapshot | undefined;
  #restoreEffect: Snapshot | undefined;
  /** The hard state last handed out for persistence. */
  #handedHard: HardState;
  #reportedSoft = { role: 'follower' as Role, term: 0, leader: '' };
  readonly #stampProposal: ((data: Uint8Array) => Uint8Array) | undefined;
  /** Handed out and not yet advanced, oldest first (more than one only when pipelined). */
  #inFlight: InFlightReady[] = [];
  /** See {@link RaftCoreOptions.asyncStorageWrites}. */
  readonly pipelined: boolean;

  constructor(options: RaftCoreOptions) {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('RaftCore needs an options object');
    assertNodeId(options.id);
    this.id = options.id;
    this.#bugs = new Set(options.deliberateBugs ?? []);
    this.#electionTimeout = positive('electionTimeoutMs', options.electionTimeoutMs, 1000);
    this.#heartbeatInterval = positive('heartbeatIntervalMs', options.heartbeatIntervalMs, 100);
    if (this.#heartbeatInterval >= this.#electionTimeout) {
      throw new InvalidArgumentError('heartbeatIntervalMs must be smaller than electionTimeoutMs');
    }
    this.#preVote = options.preVote ?? true;
    this.#checkQuorum = options.checkQuorum ?? true;
    this.#readOnly = options.readOnly ?? 'safe';
    if (this.#readOnly !== 'safe' && this.#readOnly !== 'lease') throw new InvalidArgumentError(`readOnly must be 'safe' or 'lease'`);
    if (this.#readOnly === 'lease' && !this.#checkQuorum && !this.#bugs.has('lease-without-check-quorum')) throw new InvalidArgumentError('Lease reads need checkQuorum: without it a deposed leader could serve stale reads');
    this.#maxSizePerMsg = positive('maxSizePerMsg', options.maxSizePerMsg, 1 << 20);
    this.#maxInflight = positive('maxInflightMsgs', options.maxInflightMsgs, 256);
    this.#maxInflightBytes = positive('maxInflightBytes', options.maxInflightBytes, 0, 0);
    this.#maxUncommitted = positive('maxUncommittedSize', options.maxUncommittedSize, 0, 0);
    this.#forwarding = !(options.disableProposalForwarding ?? false);
    this.#stampProposal = options.stampProposal;
    this.#stepDownOnRemoval = options.stepDownOnRemoval ?? true;
    this.#chunkSize = positive('snapshotChunkSize', options.snapshotChunkSize, 512 * 1024);
    this.#maxApplyBatch = positive('maxApplyBatch', options.maxApplyBatch, 4096);
    this.#asyncWrites = options.asyncStorageWrites ?? true;
    this.pipelined = this.#asyncWrites;
    this.#maxClockDrift = options.maxClockDrift ?? 0.1;
    if (typeof this.#maxClockDrift !== 'number' || !(this.#maxClockDrift >= 0 && this.#maxClockDrift < 1)) {
      throw new InvalidArgumentError(`maxClockDrift must be a fraction in [0, 1), got ${String(options.maxClockDrift)}`);
    }
    this.#random = options.random ?? seededRandom(hashId(options.id));
    this.#now = options.now ?? 0;
    if (!Number.isFinite(this.#now)) throw new InvalidArgumentError('now must be finite');
    this.#electionResetAt = Number.NEGATIVE_INFINITY;

    const stored = options.stored ?? {};
    const voters = options.voters ?? [];
    const learners = options.learners ?? [];
    for (const node of [...voters, ...learners]) assertNodeId(node);
    this.#conf = stored.snapshot?.meta.conf ?? confOf(voters, learners);
    const hard = stored.hardState ?? { term: 0, vote: '', commit: 0 };
    this.#log.load(stored.snapshot, stored.entries ?? [], hard.commit);
    this.#term = hard.term;
    this.#vote = hard.vote;
    this.#handedHard = { term: hard.term, vote: hard.vote, commit: this.#log.committed };
    this.#reportedSoft = { role: 'follower', term: this.#term, leader: '' };
    // Config entries already in the log count as pending until applied (re-applied on restart).
    this.#resetElectionDeadline();
  }

  // ---------------------------------------------------------------- inputs

  step(from: NodeId, message: RaftMessage): void {
    checkMessage(from, message);
    if (from === this.id) return;
    const m = message;
    if (m.term > this.#term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        const inLease = this.#checkQuorum && this.#leader !== '' && this.#now - this.#electionResetAt < this.#electionTimeout;
        if (inLease && !m.transfer) return;
      }
      if (m.type === 'preVote') {
        // A pre-vote does not change our term.
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // Granted pre-votes are counted at the term we would campaign in.
      } else if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
        this.#becomeFollower(m.term, from);
      } else {
        this.#becomeFollower(m.term, '');
      }
    } else if (m.term < this.#term) {
      if ((this.#checkQuorum || this.#preVote) && (m.type === 'append' || m.type === 'heartbeat')) {
        // A stale leader learns of the newer term and steps down.
        this.#send(from, { type: 'appendResp', term: this.#term, index: 0, reject: false, hintIndex: 0, hintTerm: 0 });
      } else if (m.type === 'preVote') {
        this.#send(from, { type: 'preVoteResp', term: this.#term, reject: true });
      }
      return;
    }

    if (m.type === 'vote' || m.type === 'preVote') {
      this.#handleVoteRequest(from, m);
      return;
    }
    switch (this.#role) {
      case 'leader':
        this.#stepLeader(from, m);
        break;
      case 'candidate':
      case 'pre-candidate':
        this.#stepCandidate(from, m);
        break;
      case 'follower':
        this.#stepFollower(from, m);
        break;
    }
  }

  tick(now: number): void {
    if (!Number.isFinite(now)) throw new InvalidArgumentError('tick(now) needs a finite time');
    if (now < this.#now) return;
    this.#now = now;
    if (this.#role === 'leader') {
      if (now >= this.#heartbeatDeadline) {
        this.#heartbeatDeadline = now + this.#heartbeatInterval;
        this.#broadcastHeartbeat(EMPTY);
      }
      if (now >= this.#checkQuorumDeadline) {
        this.#checkQuorumDeadline = now + this.#electionTimeout;
        if (this.#checkQuorum && !this.#quorumActive()) {
          this.#becomeFollower(this.#term, '');
          return;
        }
        this.#electionResetAt = now;
        for (const [node, pr] of this.#progress) if (node !== this.id) pr.recentActive = false;
      }
      if (this.#leadTransferee !== '' && now >= this.#transferDeadline) this.#leadTransferee = '';
      for (const [node, at] of this.#snapshotSentAt) {
        const pr = this.#progress.get(node);
        if (pr?.state === 'snapshot' && now - at >= this.#electionTimeout) {
          // The snapshot (or its answer) was lost: probe again, which resends it if still needed.
          this.#snapshotSentAt.delete(node);
          pr.toProbe();
          this.#sendAppend(node);
        }
      }
      return;
    }
    if (now >= this.#electionDeadline) {
      this.#resetElectionDeadline();
      if (this.#promotable()) this.#campaign(false);
    }
  }

  wakeAt(): number | undefined {
    if (this.#role === 'leader') {
      let at = Math.min(this.#heartbeatDeadline, this.#checkQuorumDeadline);
      if (this.#leadTransferee !== '') at = Math.min(at, this.#transferDeadline);
      for (const sentAt of this.#snapshotSentAt.values()) at = Math.min(at, sentAt + this.#electionTimeout);
      return at;
    }
    return this.#promotable() ? this.#electionDeadline : undefined;
  }

  // ---------------------------------------------------------------- local requests

  /**
   * Proposes a command. At the leader returns where it was appended; at a follower it is
   * forwarded to the leader and `undefined` is returned. Throws `ProposalDroppedError` when it
   * cannot be taken (no leader, forwarding disabled, a transfer under way, the uncommitted limit).
   */
  propose(data: Uint8Array): { index: number; term: number } | undefined {
    if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('propose(data) needs a Uint8Array');
    return this.#proposeEntry('normal', data);
  }

  /** Proposes a membership change (see {@link ConfChange}); same results as {@link RaftCore.propose}. */
  proposeConfChange(change: ConfChange): { index: number; term: number } | undefined {
    const checked = checkConfChange(change);
    if (this.#role === 'leader') {
      if (this.#pendingConfIndex > this.#log.applied) {
        throw new ConfChangeError(`A membership change (index ${this.#pendingConfIndex}) is still being applied`);
      }
      applyConfChange(this.#conf, checked); // validates against the current configuration
    }
    return this.#proposeEntry('config', encodeConfChange(checked));
  }

  /**
   * Asks for a linearizable read point: once it is confirmed a `readState` effect carries
   * `context` and the index the state machine must have applied before serving the read.
   * At a follower the request is forwarded to the leader (follower reads).
   */
  readIndex(context: Uint8Array): void {
    if (!(context instanceof Uint8Array) || context.byteLength === 0) throw new InvalidArgumentError('readIndex(context) needs a non-empty Uint8Array');
    if (this.#role === 'leader') {
      this.#leaderRead(context, this.id);
      return;
    }
    if (this.#leader === '') {
      this.#effects.push({ type: 'readDropped', context });
      return;
    }
    this.#send(this.#leader, { type: 'readIndex', term: this.#term, context });
  }

  /**
   * With `readOnly: 'lease'`: the index a linearizable read may be served at right now, without
   * a round trip — the commit index, when this node leads, an entry of its term has committed and
   * its lease holds — or undefined (then use {@link RaftCore.readIndex}). Tick the current time in
   * first: the lease is judged at the core's time.
   */
  leaseReadIndex(): number | undefined {
    if (this.#role !== 'leader' || this.#readOnly !== 'lease') return undefined;
    if (this.#log.term(this.#log.committed) !== this.#term || !this.#leaseValid()) return undefined;
    return this.#log.committed;
  }

  /** Hands leadership to `to` (a voter): brings its log up to date, then tells it to campaign at once. */
  transferLeadership(to: NodeId): void {
    assertNodeId(to);
    if (this.#role !== 'leader') throw new NotLeaderError(this.#leader);
    if (to === this.id) return;
    if (!isVoter(this.#conf, to)) throw new InvalidArgumentError(`Cannot transfer leadership to "${to}": not a voter`);
    this.#leadTransferee = to;
    this.#transferDeadline = this.#now + this.#electionTimeout;
    const pr = this.#progress.get(to)!;
    if (pr.match === this.#log.lastIndex) this.#send(to, { type: 'timeoutNow', term: this.#term });
    else this.#sendAppend(to);
  }

  /** Starts an election now (a voter only). */
  campaign(): void {
    if (this.#role === 'leader' || !this.#promotable()) return;
    this.#campaign(false);
  }

  /** A follower forgets its leader, so the next election is not held back by its lease. */
  forgetLeader(): void {
    if (this.#role !== 'follower' || this.#leader === '') return;
    this.#leader = '';
    this.#electionResetAt = Number.NEGATIVE_INFINITY;
  }

  /**
   * Takes the application's snapshot of its state as of entry `index` (default: the last entry
   * handed to the application) and drops the log before it (log compaction). The index may be
   * one the application is applying in the current `Ready`. Returns the snapshot's metadata.
   */
  compact(data: Uint8Array, index: number = this.#log.applying): Snapshot['meta'] {
    if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('compact(data) needs a Uint8Array');
    if (!Number.isSafeInteger(index) || index > this.#log.applying || index < this.#log.snapshotIndex) {
      throw new InvalidArgumentError(`compact index must be between ${this.#log.snapshotIndex} and ${this.#log.applying}, got ${String(index)}`);
    }
    const term = this.#log.term(index);
    if (term === undefined) throw new InvalidArgumentError('Nothing to compact');
    // The membership as of `index`: changes in entries not yet advanced count too.
    let conf = this.#conf;
    for (let i = this.#log.applied + 1; i <= index; i++) {
      const entry = this.#log.entry(i);
      if (entry?.type !== 'config') continue;
      try {
        conf = applyConfChange(conf, decodeConfChange(entry.data));
      } catch {
        // A refused change is a no-op when applied, too.
      }
    }
    const snapshot: Snapshot = { meta: { index, term, conf }, data };
    if (index > this.#log.snapshotIndex) {
      this.#log.compact(snapshot);
      this.#pendingSnapshotRecord = snapshot;
    }
    return snapshot.meta;
  }

  // ---------------------------------------------------------------- outputs

  hasReady(): boolean {
    if (this.#inFlight.length > 0 && !this.pipelined) return false;
    return (
      this.#appendPending ||
      this.#early.length > 0 ||
      this.#messages.length > 0 ||
      this.#effects.length > 0 ||
      this.#pendingSnapshotRecord !== undefined ||
      this.#restoreEffect !== undefined ||
      this.#log.unstableFrom <= this.#log.lastIndex ||
      this.#hardChanged() ||
      this.#softChanged() ||
      this.#applicable() > this.#log.applying
    );
  }

  ready(): RaftReady {
    if (this.#appendPending) {
      this.#appendPending = false;
      // Followers an append already reached (a commit broadcast in advance) get no empty one.
      if (this.#role === 'leader') for (const node of this.#progress.keys()) if (node !== this.id) this.#sendAppend(node, false);
    }
    const persist: RaftRecord[] = [];
    let mustSync = false;
    const snapshot = this.#pendingSnapshotRecord;
    if (snapshot !== undefined) {
      persist.push({ type: 'snapshot', snapshot });
      mustSync = true;
    }
    const entries = this.#log.unstable();
    if (entries.length > 0) {
      persist.push({ type: 'entries', entries });
      mustSync = true;
      this.#log.handedOut(entries[entries.length - 1]!.index);
    }
    const hard: HardState = { term: this.#term, vote: this.#vote, commit: this.#log.committed };
    if (this.#hardChanged()) {
      persist.push({ type: 'hardState', hardState: hard });
      const voteChanged = hard.term !== this.#handedHard.term || hard.vote !== this.#handedHard.vote;
      if (voteChanged && !this.#bugs.has('vote-without-sync')) mustSync = true;
      this.#handedHard = hard;
    }
    const effects: RaftEffect[] = [];
    if (this.#softChanged()) {
      this.#reportedSoft = { role: this.#role, term: this.#term, leader: this.#leader };
      effects.push({ type: 'role', role: this.#role, term: this.#term, leader: this.#leader });
    }
    if (this.#restoreEffect !== undefined) effects.push({ type: 'restore', snapshot: this.#restoreEffect });
    effects.push(...this.#effects);
    const toApply = this.#log.nextToApply(this.#maxApplyBatch, this.#applicable());
    if (toApply.length > 0) {
      effects.push({ type: 'apply', entries: toApply });
      this.#log.applying = toApply[toApply.length - 1]!.index;
    }
    const ready: RaftReady = { sendEarly: this.#early, persist, mustSync, messages: this.#messages, effects };
    this.#inFlight.push({ ready, lastEntry: entries[entries.length - 1], applied: this.#log.applying });
    this.#early = [];
    this.#messages = [];
    this.#effects = [];
    this.#pendingSnapshotRecord = undefined;
    this.#restoreEffect = undefined;
    return ready;
  }

  advance(ready: RaftReady): void {
    const done = this.#inFlight[0];
    if (done === undefined) throw new RaftInvariantError('advance() without a ready()');
    if (done.ready !== ready) throw new RaftInvariantError('advance() of a Ready other than the oldest one handed out');
    this.#inFlight.shift();
    if (done.lastEntry !== undefined) this.#log.stableTo(done.lastEntry.index, done.lastEntry.term);
    // Apply membership changes in log order, as the application applies the entries.
    for (let index = this.#log.applied + 1; index <= done.applied; index++) {
      const entry = this.#log.entry(index);
      if (entry?.type === 'config') this.#applyConfEntry(entry);
      if (this.#role === 'leader' && entry !== undefined) this.#uncommittedSize = Math.max(0, this.#uncommittedSize - entry.data.byteLength);
    }
    this.#log.applied = Math.max(this.#log.applied, done.applied);
    if (this.#role === 'leader' && isJoint(this.#conf) && this.#conf.autoLeave && this.#pendingConfIndex <= this.#log.applied) {
      // Leave the joint configuration once it is applied (also for a leader elected while joint).
      this.#appendEntries([{ type: 'config', data: encodeConfChange({ steps: [] }) }]);
    }
    if (this.#role === 'leader') {
      const self = this.#progress.get(this.id);
      if (self?.acknowledge(this.#log.stabled) && this.#maybeCommit()) this.#broadcastAppend();
    }
  }

  // ---------------------------------------------------------------- state

  get role(): Role {
    return this.#role;
  }

  get term(): number {
    return this.#term;
  }

  get leader(): NodeId {
    return this.#leader;
  }

  get conf(): ConfState {
    return this.#conf;
  }

  /** The log's entry at `index` (for invariant checks and tests). */
  entry(index: number): Entry | undefined {
    return this.#log.entry(index);
  }

  status(): RaftStatus {
    const progress = new Map<NodeId, FollowerStatus>();
    if (this.#role === 'leader') {
      for (const [node, pr] of this.#progress) {
        progress.set(node, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          inflight: pr.inflight,
          recentActive: pr.recentActive,
          isLearner: !isVoter(this.#conf, node),
        });
      }
    }
    return {
      id: this.id,
      role: this.#role,
      term: this.#term,
      vote: this.#vote,
      leader: this.#leader,
      commit: this.#log.committed,
      applied: this.#log.applied,
      lastIndex: this.#log.lastIndex,
      firstIndex: this.#log.firstIndex,
      conf: this.#conf,
      progress,
      leadTransferee: this.#leadTransferee,
    };
  }

  // ---------------------------------------------------------------- roles

  #becomeFollower(term: number, leader: NodeId): void {
    const wasLeader = this.#role === 'leader';
    if (term !== this.#term) {
      this.#term = term;
      this.#vote = '';
    }
    this.#role = 'follower';
    this.#leader = leader;
    this.#votes.clear();
    this.#leadTransferee = '';
    this.#progress.clear();
    this.#snapshotSentAt.clear();
    if (leader !== '') this.#electionResetAt = this.#now;
    this.#resetElectionDeadline();
    if (wasLeader) this.#dropReads();
  }

  #becomeLeader(): void {
    this.#role = 'leader';
    this.#leader = this.id;
    this.#votes.clear();
    this.#leadTransferee = '';
    this.#electionResetAt = this.#now;
    this.#heartbeatDeadline = this.#now + this.#heartbeatInterval;
    this.#checkQuorumDeadline = this.#now + this.#electionTimeout;
    this.#uncommittedSize = 0;
    this.#progress.clear();
    this.#answeredRound.clear();
    for (const node of allMembers(this.#conf)) {
      const pr = new Progress(this.#log.lastIndex + 1, !isVoter(this.#conf, node));
      if (node === this.id) {
        pr.match = this.#log.stabled;
        pr.toReplicate();
      }
      this.#progress.set(node, pr);
    }
    // Conf changes already in the log must be applied before another is accepted.
    this.#pendingConfIndex = this.#log.lastIndex;
    // An entry of the new term: committing it commits everything before (Raft §5.4.2).
    this.#appendEntries([{ type: 'normal', data: EMPTY }]);
  }

  #campaign(transfer: boolean): void {
    if (this.#preVote && !transfer) {
      this.#role = 'pre-candidate';
      this.#leader = '';
      this.#votes = new Map([[this.id, true]]);
      if (this.#tally() === 'won') {
        this.#campaign(true);
        return;
      }
      for (const node of allVoters(this.#conf)) {
        if (node === this.id) continue;
        this.#send(node, { type: 'preVote', term: this.#term + 1, lastIndex: this.#log.lastIndex, lastTerm: this.#log.lastTerm, transfer: false });
      }
      return;
    }
    this.#term += 1;
    this.#vote = this.id;
    this.#role = 'candidate';
    this.#leader = '';
    this.#votes = new Map([[this.id, true]]);
    this.#resetElectionDeadline();
    if (this.#tally() === 'won') {
      this.#becomeLeader();
      return;
    }
    for (const node of allVoters(this.#conf)) {
      if (node === this.id) continue;
      this.#send(node, { type: 'vote', term: this.#term, lastIndex: this.#log.lastIndex, lastTerm: this.#log.lastTerm, transfer });
    }
  }

  #tally(): 'won' | 'lost' | 'pending' {
    return voteResult(this.#conf, this.#votes);
  }

  /** Only voters that are members campaign, and not while a committed membership change waits to be applied. */
  #promotable(): boolean {
    if (!isVoter(this.#conf, this.id)) return false;
    for (let index = this.#log.applied + 1; index <= this.#log.committed; index++) {
      if (this.#log.entry(index)?.type === 'config') return false;
    }
    return true;
  }

  #resetElectionDeadline(): void {
    this.#electionDeadline = this.#now + this.#electionTimeout + Math.floor(this.#random.next() * this.#electionTimeout);
  }

  // ---------------------------------------------------------------- votes

  #handleVoteRequest(from: NodeId, m: Extract<RaftMessage, { type: 'vote' | 'preVote' }>): void {
    const preVote = m.type === 'preVote';
    const canVote = this.#vote === from || (this.#vote === '' && this.#leader === '') || (preVote && m.term > this.#term);
    const responseType = preVote ? 'preVoteResp' : 'voteResp';
    if (canVote && this.#log.isUpToDate(m.lastIndex, m.lastTerm)) {
      this.#send(from, { type: responseType, term: m.term, reject: false });
      if (!preVote) {
        this.#vote = from;
        this.#electionResetAt = this.#now;
        this.#resetElectionDeadline();
      }
    } else {
      this.#send(from, { type: responseType, term: this.#term, reject: true });
    }
  }

  // ---------------------------------------------------------------- by role

  #stepCandidate(from: NodeId, m: RaftMessage): void {
    switch (m.type) {
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        this.#becomeFollower(m.term, from);
        this.#stepFollower(from, m);
        return;
      case 'voteResp':
      case 'preVoteResp': {
        if ((m.type === 'voteResp') !== (this.#role === 'candidate')) return;
        if (!isVoter(this.#conf, from)) return;
        this.#votes.set(from, !m.reject);
        const result = this.#tally();
        if (result === 'won') {
          if (this.#role === 'pre-candidate') this.#campaign(true);
          else this.#becomeLeader();
        } else if (result === 'lost') {
          this.#becomeFollower(this.#term, '');
        }
        return;
      }
      case 'timeoutNow':
        return;
      default:
        return;
    }
  }

  #stepFollower(from: NodeId, m: RaftMessage): void {
    switch (m.type) {
      case 'append':
        this.#heardFromLeader(from);
        this.#handleAppend(from, m);
        return;
      case 'heartbeat':
        this.#heardFromLeader(from);
        if (m.commit <= this.#log.lastIndex) this.#log.commitTo(m.commit);
        this.#send(from, { type: 'heartbeatResp', term: this.#term, round: m.round, context: m.context });
        return;
      case 'snapshot':
        this.#heardFromLeader(from);
        this.#handleSnapshotChunk(from, m);
        return;
      case 'timeoutNow':
        if (this.#promotable()) this.#campaign(true);
        return;
      case 'propose':
        if (this.#leader !== '' && this.#forwarding) this.#send(this.#leader, m);
        return;
      case 'readIndexResp':
        this.#effects.push({ type: 'readState', readState: { index: m.index, context: m.context } });
        return;
      default:
        return;
    }
  }

  #heardFromLeader(from: NodeId): void {
    this.#leader = from;
    this.#electionResetAt = this.#now;
    this.#resetElectionDeadline();
  }

  #stepLeader(from: NodeId, m: RaftMessage): void {
    const pr = this.#progress.get(from);
    switch (m.type) {
      case 'propose':
        if (this.#leadTransferee !== '') return;
        try {
          for (const entry of m.entries) {
            if (entry.type === 'config') {
              if (this.#pendingConfIndex > this.#log.applied) return;
              applyConfChange(this.#conf, decodeConfChange(entry.data));
            }
            this.#appendEntries([{ type: entry.type, data: entry.type === 'normal' ? this.#stamped(entry.data) : entry.data }]);
          }
        } catch {
          // An invalid forwarded proposal is dropped, as a local one would be refused.
        }
        return;
      case 'readIndex':
        this.#leaderRead(m.context, from);
        return;
      case 'appendResp':
        if (pr === undefined) return;
        pr.recentActive = true;
        if (m.reject) {
          const next = m.hintTerm > 0 ? this.#findConflictByTerm(m.hintIndex, m.hintTerm) : m.hintIndex;
          if (pr.backOff(m.index, next)) {
            if (pr.state === 'replicate') pr.toProbe();
            this.#sendAppend(from);
          }
          return;
        }
        {
          const wasPaused = pr.isPaused(this.#maxInflight, this.#maxInflightBytes);
          if (!pr.acknowledge(m.index)) {
            if (wasPaused) this.#sendAppend(from);
            return;
          }
          if (pr.state === 'probe') pr.toReplicate();
          else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
            this.#snapshotSentAt.delete(from);
            pr.toProbe();
            pr.toReplicate();
          }
          if (this.#maybeCommit()) this.#broadcastAppend();
          else while (this.#sendAppend(from, false)) {}
          if (from === this.#leadTransferee && pr.match === this.#log.lastIndex) {
            this.#send(from, { type: 'timeoutNow', term: this.#term });
          }
        }
        return;
      case 'heartbeatResp':
        if (pr === undefined) return;
        pr.recentActive = true;
        if (pr.state === 'probe') pr.probeSent = false;
        if (pr.match < this.#log.lastIndex) this.#sendAppend(from);
        if (m.round > (this.#answeredRound.get(from) ?? 0) && m.round <= this.#round) this.#answeredRound.set(from, m.round);
        if (m.context.byteLength > 0) this.#ackRead(from, m.context);
        return;
      default:
        return;
    }
  }

  // ---------------------------------------------------------------- replication

  #proposeEntry(type: Entry['type'], data: Uint8Array): { index: number; term: number } | undefined {
    if (this.#role === 'leader') {
      if (this.#leadTransferee !== '') throw new ProposalDroppedError(`Leadership is being transferred to "${this.#leadTransferee}"`);
      if (this.#maxUncommitted > 0 && this.#uncommittedSize > 0 && this.#uncommittedSize + data.byteLength > this.#maxUncommitted) {
        throw new ProposalDroppedError(`The uncommitted log is at its limit of ${this.#maxUncommitted} bytes`);
      }
      const entry = this.#appendEntries([{ type, data: type === 'normal' ? this.#stamped(data) : data }]);
      return { index: entry.index, term: entry.term };
    }
    if (this.#leader === '') throw new ProposalDroppedError('No leader is known');
    if (!this.#forwarding) throw new ProposalDroppedError('This node does not forward proposals; send them to the leader', { cause: new NotLeaderError(this.#leader) });
    this.#send(this.#leader, { type: 'propose', term: this.#term, entries: [{ term: 0, index: 0, type, data }] });
    return undefined;
  }

  #stamped(data: Uint8Array): Uint8Array {
    return this.#stampProposal === undefined ? data : this.#stampProposal(data);
  }

  #appendEntries(items: readonly { type: Entry['type']; data: Uint8Array }[]): Entry {
    let last: Entry | undefined;
    for (const { type, data } of items) {
      last = { term: this.#term, index: this.#log.lastIndex + 1, type, data };
      this.#log.appendLocal([last]);
      this.#uncommittedSize += data.byteLength;
      if (type === 'config') this.#pendingConfIndex = last.index;
    }
    if (this.#bugs.has('leader-counts-unsynced-entry')) this.#progress.get(this.id)?.acknowledge(last!.index);
    // Sent by the next ready(), so the proposals of one turn share an append per follower
    // rather than one each. A single voter commits once its own write is durable (see advance).
    this.#appendPending = true;
    return last!;
  }

  #maybeCommit(): boolean {
    const index = committedIndex(this.#conf, (node) => this.#progress.get(node)?.match ?? 0);
    // Only an entry of the current term is committed by counting replicas (Raft §5.4.2, Figure 8).
    if (index > this.#log.committed && (this.#log.term(index) === this.#term || this.#bugs.has('commit-previous-term'))) {
      this.#log.commitTo(index);
      this.#releaseReadsAwaitingCommit();
      return true;
    }
    return false;
  }

  #broadcastAppend(): void {
    for (const node of this.#progress.keys()) if (node !== this.id) this.#sendAppend(node);
  }

  /** Sends the next append (or snapshot) to `to` if its progress allows; returns true if entries left. */
  #sendAppend(to: NodeId, sendIfEmpty = true): boolean {
    const pr = this.#progress.get(to);
    if (pr === undefined || pr.isPaused(this.#maxInflight, this.#maxInflightBytes)) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.#log.term(prevIndex);
    if (prevTerm === undefined || pr.next < this.#log.firstIndex) {
      this.#sendSnapshot(to, pr);
      return false;
    }
    const message = this.#appendMessage(prevIndex, prevTerm);
    const { entries } = message;
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.#send(to, message);
    if (entries.length > 0) pr.sent(entries[entries.length - 1]!.index, this.#lastAppend!.bytes);
    else if (pr.state === 'probe') pr.probeSent = true;
    return entries.length > 0;
  }

  /**
   * The append that follows `prevIndex`: the same object for every follower at the same point
   * while nothing changed (a leader's log only grows within its term), so the driver encodes
   * it once for all of them.
   */
  #appendMessage(prevIndex: number, prevTerm: number): Extract<RaftMessage, { type: 'append' }> {
    const last = this.#lastAppend;
    const commit = this.#log.committed;
    if (last !== undefined && last.message.prevIndex === prevIndex && last.message.term === this.#term && last.message.commit === commit && last.lastIndex === this.#log.lastIndex) {
      return last.message;
    }
    const entries = this.#log.slice(prevIndex + 1, this.#log.lastIndex, this.#maxSizePerMsg);
    let bytes = 0;
    for (const entry of entries) bytes += entry.data.byteLength;
    const message = { type: 'append' as const, term: this.#term, prevIndex, prevTerm, entries, commit };
    this.#lastAppend = { message, lastIndex: this.#log.lastIndex, bytes };
    return message;
  }

  #sendSnapshot(to: NodeId, pr: Progress): void {
    const snapshot = this.#log.snapshot;
    if (snapshot === undefined) throw new RaftInvariantError(`Follower "${to}" needs compacted entries but there is no snapshot`);
    const { data } = snapshot;
    for (let offset = 0; offset < data.byteLength || offset === 0; offset += this.#chunkSize) {
      this.#send(to, {
        type: 'snapshot',
        term: this.#term,
        meta: snapshot.meta,
        offset,
        chunk: data.subarray(offset, Math.min(data.byteLength, offset + this.#chunkSize)),
        size: data.byteLength,
      });
      if (data.byteLength === 0) break;
    }
    pr.toSnapshot(snapshot.meta.index);
    this.#snapshotSentAt.set(to, this.#now);
  }

  #broadcastHeartbeat(context: Uint8Array): void {
    const round = ++this.#round;
    this.#roundSentAt.set(round, this.#now);
    this.#roundSentAt.delete(round - 1024);
    for (const [node, pr] of this.#progress) {
      if (node === this.id) continue;
      this.#send(node, { type: 'heartbeat', term: this.#term, commit: Math.min(pr.match, this.#log.committed), round, context });
    }
  }

  /**
   * True while no other leader can have been elected: a quorum answered a heartbeat round sent
   * less than `electionTimeout × (1 − maxClockDrift)` ago, and each of them then ignores votes
   * (check-quorum) and will not campaign for at least an election timeout after hearing it.
   * A transfer under way ends the lease (the transferee campaigns at once).
   */
  #leaseValid(): boolean {
    if (this.#leadTransferee !== '') return false;
    const sentAt = (node: NodeId): number => {
      if (node === this.id) return this.#now;
      return this.#roundSentAt.get(this.#answeredRound.get(node) ?? 0) ?? Number.NEGATIVE_INFINITY;
    };
    const start = committedIndex(this.#conf, sentAt);
    return this.#now < start + this.#electionTimeout * (1 - this.#maxClockDrift);
  }

  #quorumActive(): boolean {
    const active = new Map<NodeId, boolean>();
    for (const [node, pr] of this.#progress) active.set(node, node === this.id || pr.recentActive);
    return voteResult(this.#conf, active) === 'won';
  }

  /** The largest index ≤ `index` whose term is ≤ `term` (etcd-raft's fast backtracking). */
  #findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.#log.lastIndex);
    for (; i > this.#log.snapshotIndex; i--) {
      const t = this.#log.term(i);
      if (t !== undefined && t <= term) break;
    }
    return i;
  }

  #handleAppend(from: NodeId, m: Extract<RaftMessage, { type: 'append' }>): void {
    if (m.prevIndex < this.#log.committed) {
      this.#send(from, { type: 'appendResp', term: this.#term, index: this.#log.committed, reject: false, hintIndex: 0, hintTerm: 0 });
      return;
    }
    if (this.#log.matchTerm(m.prevIndex, m.prevTerm) || (this.#bugs.has('skip-log-matching') && m.prevIndex <= this.#log.lastIndex)) {
      const last = this.#log.appendFromLeader(m.prevIndex, m.entries);
      this.#log.commitTo(Math.min(m.commit, last));
      this.#send(from, { type: 'appendResp', term: this.#term, index: last, reject: false, hintIndex: 0, hintTerm: 0 });
      return;
    }
    // Reject, with a hint: the last index whose term is at most the leader's prevTerm.
    const hintIndex = this.#findConflictByTerm(Math.min(m.prevIndex, this.#log.lastIndex), m.prevTerm);
    const hintTerm = this.#log.term(hintIndex) ?? 0;
    this.#send(from, { type: 'appendResp', term: this.#term, index: m.prevIndex, reject: true, hintIndex, hintTerm });
  }

  #handleSnapshotChunk(from: NodeId, m: Extract<RaftMessage, { type: 'snapshot' }>): void {
    if (m.offset === 0) {
      this.#assembly = { from, term: m.term, meta: m.meta, size: m.size, chunks: [], received: 0 };
    }
    const assembly = this.#assembly;
    if (assembly === undefined || assembly.from !== from || assembly.term !== m.term || assembly.meta.index !== m.meta.index || m.offset !== assembly.received) {
      // A chunk out of order: drop what we have; the leader resends the whole snapshot.
      this.#assembly = undefined;
      return;
    }
    assembly.chunks.push(m.chunk);
    assembly.received += m.chunk.byteLength;
    if (assembly.received < assembly.size) return;
    this.#assembly = undefined;
    const data = new Uint8Array(assembly.size);
    let at = 0;
    for (const chunk of assembly.chunks) {
      data.set(chunk, at);
      at += chunk.byteLength;
    }
    const snapshot: Snapshot = { meta: assembly.meta, data };
    if (snapshot.meta.index <= this.#log.committed) {
      this.#send(from, { type: 'appendResp', term: this.#term, index: this.#log.committed, reject: false, hintIndex: 0, hintTerm: 0 });
      return;
    }
    this.#log.restore(snapshot);
    this.#conf = snapshot.meta.conf;
    this.#pendingSnapshotRecord = snapshot;
    this.#restoreEffect = snapshot;
    this.#effects.push({ type: 'conf', conf: this.#conf, index: snapshot.meta.index });
    this.#send(from, { type: 'appendResp', term: this.#term, index: this.#log.lastIndex, reject: false, hintIndex: 0, hintTerm: 0 });
  }

  // ---------------------------------------------------------------- membership

  #applyConfEntry(entry: Entry): void {
    let next: ConfState;
    let change: ConfChange;
    try {
      change = decodeConfChange(entry.data);
      next = applyConfChange(this.#conf, change);
    } catch {
      // Refused when proposed; one that slipped through (two conflicting proposals) is a no-op everywhere.
      return;
    }
    this.#conf = next;
    this.#effects.push({ type: 'conf', conf: next, index: entry.index });
    if (this.#role !== 'leader') return;
    const members = new Set(allMembers(next));
    for (const node of [...this.#progress.keys()]) if (!members.has(node)) this.#progress.delete(node);
    for (const node of members) {
      if (!this.#progress.has(node)) this.#progress.set(node, new Progress(this.#log.lastIndex + 1, !isVoter(next, node)));
    }
    if (!isVoter(next, this.id) && this.#stepDownOnRemoval) {
      this.#becomeFollower(this.#term, '');
      return;
    }
    if (this.#maybeCommit()) this.#broadcastAppend();
  }

  // ---------------------------------------------------------------- reads

  #leaderRead(context: Uint8Array, from: NodeId): void {
    if (this.#log.term(this.#log.committed) !== this.#term) {
      // Until an entry of this term commits, the leader does not know the cluster's commit index.
      this.#readsAwaitingCommit.push({ context, from });
      return;
    }
    const index = this.#log.committed;
    const leaseRead = this.#readOnly === 'lease' && (this.#bugs.has('lease-without-check-quorum') || this.#leaseValid());
    if (leaseRead || allVoters(this.#conf).length === 1) {
      this.#releaseRead({ context, from, index });
      return;
    }
    const key = contextKey(context);
    this.#reads.push({ context, key, index, from, acks: new Set([this.id]) });
    this.#broadcastHeartbeat(context);
  }

  #ackRead(from: NodeId, context: Uint8Array): void {
    const key = contextKey(context);
    const at = this.#reads.findIndex((read) => read.key === key);
    if (at < 0) return;
    const read = this.#reads[at]!;
    read.acks.add(from);
    const votes = new Map<NodeId, boolean>();
    for (const node of read.acks) votes.set(node, true);
    if (voteResult(this.#conf, votes) !== 'won') return;
    // Leadership is confirmed for this read and every one queued before it.
    for (const done of this.#reads.splice(0, at + 1)) this.#releaseRead(done);
  }

  #releaseRead(read: { context: Uint8Array; from: NodeId; index: number }): void {
    if (read.from === this.id) this.#effects.push({ type: 'readState', readState: { index: read.index, context: read.context } });
    else this.#send(read.from, { type: 'readIndexResp', term: this.#term, index: read.index, context: read.context });
  }

  #releaseReadsAwaitingCommit(): void {
    if (this.#readsAwaitingCommit.length === 0 || this.#log.term(this.#log.committed) !== this.#term) return;
    const waiting = this.#readsAwaitingCommit;
    this.#readsAwaitingCommit = [];
    for (const { context, from } of waiting) this.#leaderRead(context, from);
  }

  #dropReads(): void {
    for (const read of [...this.#reads, ...this.#readsAwaitingCommit]) {
      if (read.from === this.id) this.#effects.push({ type: 'readDropped', context: read.context });
    }
    this.#reads = [];
    this.#readsAwaitingCommit = [];
  }

  // ---------------------------------------------------------------- plumbing

  #send(to: NodeId, message: RaftMessage): void {
    const outbound = { to, message };
    const early = this.#asyncWrites && (EARLY_ANY_ROLE.has(message.type) || (this.#role === 'leader' && EARLY_TYPES.has(message.type)));
    if (early) this.#early.push(outbound);
    else this.#messages.push(outbound);
  }

  /** Committed entries up to here may be applied: when pipelined, only those already durable here. */
  #applicable(): number {
    return this.pipelined ? Math.min(this.#log.committed, this.#log.stabled) : this.#log.committed;
  }

  #hardChanged(): boolean {
    const h = this.#handedHard;
    return h.term !== this.#term || h.vote !== this.#vote || h.commit !== this.#log.committed;
  }

  #softChanged(): boolean {
    const s = this.#reportedSoft;
    return s.role !== this.#role || s.term !== this.#term || s.leader !== this.#leader;
  }
}

function hashId(id: string): number {
  let hash = 2166136261;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 16777619);
  return hash >>> 0;
}
