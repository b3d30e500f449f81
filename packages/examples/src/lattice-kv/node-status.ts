/**
 * What a lattice-kv node tells about itself — on INFO and on the cluster page: its Raft
 * position, how it came back after a restart (its own snapshot and log, or a snapshot the leader
 * sent), and a bounded history of elections and commits for the page's space-time strip.
 */
import type { Clock } from '@lattice/core';
import type { RaftNode, Role, StateMachine } from '@lattice/raft';

/** One mark on the space-time strip. */
export type NodeEvent =
  | { readonly seq: number; readonly at: number; readonly kind: 'start'; readonly lastIndex: number }
  | { readonly seq: number; readonly at: number; readonly kind: 'role'; readonly role: Role; readonly term: number; readonly leader: string }
  | { readonly seq: number; readonly at: number; readonly kind: 'commit'; readonly index: number; readonly entries: number }
  | { readonly seq: number; readonly at: number; readonly kind: 'snapshot-installed'; readonly index: number };

/** A node's status, as `/status.json` serves it. */
export interface KvNodeStatus {
  readonly id: string;
  readonly at: number;
  readonly role: Role;
  readonly term: number;
  readonly leader: string;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  /** When this node's role last changed (ms since the epoch). */
  readonly roleSince: number;
  /** Per follower, on the leader: how many entries it is behind the leader's last index. */
  readonly followerLag: Readonly<Record<string, number>>;
  /** The last log index found on disk when this process started (its snapshot's, if the log was compacted away). */
  readonly bootLastIndex: number;
  /** The index of the snapshot this process restored from its own disk at start (0: none). */
  readonly bootSnapshotIndex: number;
  /** Snapshots received from the leader since this process started. */
  readonly snapshotsInstalled: number;
  /** The index of the last snapshot received from the leader (0: none). */
  readonly installedSnapshotIndex: number;
  readonly keys: number;
  readonly transport: 'tcp' | 'nats';
  readonly events: readonly NodeEvent[];
}

const MAX_EVENTS = 400;
// Commits closer together than this share one mark on the strip (one per applied batch would be thousands a second).
const COMMIT_MARK_MS = 200;

type EventBody = NodeEvent extends infer E ? (E extends NodeEvent ? Omit<E, 'seq' | 'at'> : never) : never;

/** Collects a node's status; `noteRestore` is called from the state machine's `restore`. */
export class NodeStatusRecorder {
  readonly #id: string;
  readonly #clock: Clock;
  readonly #transport: 'tcp' | 'nats';
  #raft: Pick<RaftNode, 'status' | 'on'> | undefined;
  #events: NodeEvent[] = [];
  #seq = 0;
  #roleSince: number;
  #bootLastIndex = 0;
  #bootSnapshotIndex = 0;
  #snapshotsInstalled = 0;
  #installedSnapshotIndex = 0;
  #lastApplied = 0;
  #keys: () => number = () => 0;

  constructor(id: string, clock: Clock, transport: 'tcp' | 'nats') {
    this.#id = id;
    this.#clock = clock;
    this.#transport = transport;
    this.#roleSince = clock.now();
  }

  /** `machine`, telling this recorder of each snapshot it restores. */
  observe<Result>(machine: StateMachine<Result>): StateMachine<Result> {
    return {
      apply: (command, index) => machine.apply(command, index),
      snapshot: () => machine.snapshot(),
      restore: (snapshot) => {
        machine.restore(snapshot);
        this.#noteRestore();
      },
    };
  }

  // Restores while the node starts are its own snapshot (read in attach()); later ones were sent by the leader.
  #noteRestore(): void {
    if (this.#raft === undefined) return;
    const index = this.#raft.status().firstIndex - 1;
    this.#snapshotsInstalled++;
    this.#installedSnapshotIndex = index;
    this.#lastApplied = index;
    this.#push({ kind: 'snapshot-installed', index });
  }

  /** Starts following `raft`, once it has started (its log and snapshot read from disk). */
  attach(raft: Pick<RaftNode, 'status' | 'on'>, keys: () => number): void {
    this.#raft = raft;
    this.#keys = keys;
    const status = raft.status();
    this.#bootLastIndex = status.lastIndex;
    this.#bootSnapshotIndex = status.firstIndex - 1;
    this.#lastApplied = status.applied;
    this.#push({ kind: 'start', lastIndex: status.lastIndex });
    raft.on('leader', ({ role, term, leader }) => {
      this.#roleSince = this.#clock.now();
      this.#push({ kind: 'role', role, term, leader });
    });
    raft.on('applied', ({ index }) => this.#noteCommit(index));
  }

  #noteCommit(index: number): void {
    const entries = index - this.#lastApplied;
    this.#lastApplied = index;
    if (entries <= 0) return;
    const last = this.#events.at(-1);
    const now = this.#clock.now();
    if (last?.kind === 'commit' && now - last.at < COMMIT_MARK_MS) {
      this.#events[this.#events.length - 1] = { ...last, index, entries: last.entries + entries };
      return;
    }
    this.#push({ kind: 'commit', index, entries });
  }

  #push(body: EventBody): void {
    this.#events.push({ ...body, seq: ++this.#seq, at: this.#clock.now() } as NodeEvent);
    if (this.#events.length > MAX_EVENTS) this.#events.splice(0, this.#events.length - MAX_EVENTS);
  }

  /** The fields INFO adds to its `# Raft` section. */
  infoFields(): Record<string, string | number> {
    const status = this.status();
    return {
      raft_first_index: status.firstIndex,
      raft_last_index: status.lastIndex,
      raft_role_since_ms: status.roleSince,
      raft_transport: status.transport,
      boot_last_index: status.bootLastIndex,
      boot_snapshot_index: status.bootSnapshotIndex,
      snapshots_installed: status.snapshotsInstalled,
      installed_snapshot_index: status.installedSnapshotIndex,
    };
  }

  status(): KvNodeStatus {
    const raft = this.#raft?.status();
    const followerLag: Record<string, number> = {};
    if (raft !== undefined) for (const [node, progress] of raft.progress) if (node !== this.#id) followerLag[node] = Math.max(0, raft.lastIndex - progress.match);
    return {
      id: this.#id,
      at: this.#clock.now(),
      role: raft?.role ?? 'follower',
      term: raft?.term ?? 0,
      leader: raft?.leader ?? '',
      commit: raft?.commit ?? 0,
      applied: raft?.applied ?? 0,
      firstIndex: raft?.firstIndex ?? 0,
      lastIndex: raft?.lastIndex ?? 0,
      roleSince: this.#roleSince,
      followerLag,
      bootLastIndex: this.#bootLastIndex,
      bootSnapshotIndex: this.#bootSnapshotIndex,
      snapshotsInstalled: this.#snapshotsInstalled,
      installedSnapshotIndex: this.#installedSnapshotIndex,
      keys: this.#keys(),
      transport: this.#transport,
      events: [...this.#events],
    };
  }
}
