/**
 * The lattice-kv story, as `npm run demo` tells it: three node processes with fsync'd WALs, a
 * scripted Redis client writing through every node, the leader SIGKILLed mid-stream, a new
 * election, every acknowledged write read back, and the killed node restarted and brought up
 * to date by a snapshot (the leader has compacted its log past the point where it died).
 */
import { type Clock, sleep, systemClock, systemTimers, type Timers } from '@lattice/core';
import { KvCluster, KvClusterStartError } from './cluster.js';
import { isErrorReply, RespClient, type RespValue } from './resp-client.js';

/** What the demo found; `story` is what it printed. */
export interface KvDemoReport {
  readonly firstLeader: string;
  readonly firstTerm: number;
  readonly newLeader: string;
  readonly newTerm: number;
  /** From the SIGKILL to the moment the new leader took office (its own clock, same machine). */
  readonly electionMs: number;
  readonly acknowledged: number;
  /** Acknowledged writes not read back (the demo fails if this is not 0). */
  readonly lost: number;
  /** Writes with no acknowledgement (refused, or timed out during the election). */
  readonly unacknowledged: number;
  /** The killed node's last log index on its disk when it restarted. */
  readonly restartedFromIndex: number;
  /** The leader's snapshot the restarted node installed. */
  readonly installedSnapshotIndex: number;
  readonly catchUpMs: number;
  readonly totalMs: number;
  readonly story: readonly string[];
}

/** Options of {@link runKvDemo}. */
export interface KvDemoOptions {
  /** Where each line of the story goes; default nowhere (it is in the report). */
  log?: (line: string) => void;
  /** Applied entries between snapshots on each node. Default 100, so that the demo compacts the log several times. */
  snapshotEvery?: number;
  clock?: Clock;
  timers?: Timers;
}

const SECONDS = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Runs the story against a fresh cluster in a temp dir; stops the cluster and removes its data whatever happens. */
export async function runKvDemo(options: KvDemoOptions = {}): Promise<KvDemoReport> {
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const story: string[] = [];
  const say = (line: string) => {
    story.push(line);
    options.log?.(line);
  };
  const snapshotEvery = options.snapshotEvery ?? 100;
  const started = clock.monotonic();
  const launchedAt = clock.now();
  say(`1. Three lattice-kv node processes start (a, b, c), each with its own fsync'd write-ahead log, Raft over loopback TCP, a snapshot every ${snapshotEvery} entries.`);
  const cluster = await KvCluster.start({ snapshotEvery });
  const clients = new Map<string, RespClient>();
  try {
    const firstLeader = await cluster.waitForLeader();
    const leaderInfo = await cluster.info(firstLeader);
    const firstTerm = Number(leaderInfo['raft_term']);
    say(`2. Node ${firstLeader} won the first election (term ${firstTerm}), ${SECONDS(Number(leaderInfo['raft_role_since_ms']) - launchedAt)} after launch (process start-up included).`);

    for (const node of cluster.nodes.values()) clients.set(node.id, await RespClient.connect(node.respPort));
    const acknowledged = new Map<string, string>();
    let unacknowledged = 0;
    let sequence = 0;
    let writing = true;
    // One client per node, each writing in turn: followers forward to the leader, so every node takes writes.
    const writers = [...clients].map(async ([id, client]) => {
      while (writing) {
        const key = `user:${++sequence}`;
        const value = `v${sequence}@${id}`;
        let reply: RespValue;
        try {
          reply = await client.send('SET', key, value);
        } catch {
          unacknowledged++;
          return; // this node's connection is gone (it was killed)
        }
        if (reply === 'OK') acknowledged.set(key, value);
        else unacknowledged++;
      }
    });
    const waitFor = async (what: string, done: () => boolean | Promise<boolean>, timeoutMs = 15_000) => {
      const deadline = clock.monotonic() + timeoutMs;
      while (!(await done())) {
        if (clock.monotonic() > deadline) throw new KvClusterStartError(`the demo waited ${timeoutMs} ms for ${what}`);
        await sleep(timers, 20);
      }
    };

    await waitFor('200 acknowledged writes', () => acknowledged.size >= 200);
    const before = await cluster.info(firstLeader);
    say(`3. A scripted Redis client writes SET user:<n> through all three nodes: ${acknowledged.size} writes acknowledged so far (leader ${firstLeader} at commit index ${before['raft_commit']}, its log compacted up to index ${Number(before['raft_first_index']) - 1}).`);

    const ackedBeforeKill = acknowledged.size;
    const killedAt = clock.now();
    await cluster.kill(firstLeader);
    say(`4. SIGKILL to node ${firstLeader}, the leader, while the writes go on (${ackedBeforeKill} acknowledged at that instant).`);
    const survivors = [...cluster.nodes.keys()].filter((id) => id !== firstLeader);
    const newLeader = await cluster.waitForLeader(15_000, firstLeader);
    const newInfo = await cluster.info(newLeader);
    const newTerm = Number(newInfo['raft_term']);
    const electionMs = Math.max(0, Number(newInfo['raft_role_since_ms']) - killedAt);
    const killIndex = Number(newInfo['raft_last_index']);
    say(`5. Node ${newLeader} was elected leader in term ${newTerm}, ${electionMs} ms after the kill (election timeout 300–600 ms; node ${survivors.find((id) => id !== newLeader)} follows it).`);

    // Enough writes that the new leader snapshots and drops the log entries the killed node never got.
    await waitFor('the new leader to compact its log past the kill', async () => Number((await cluster.info(newLeader))['raft_first_index']) - 1 > killIndex + snapshotEvery);
    writing = false;
    await Promise.all(writers);
    const compacted = await cluster.info(newLeader);
    say(
      `6. Writing on through ${survivors.join(' and ')}: ${acknowledged.size} writes acknowledged in all, ${unacknowledged} refused or timed out around the election (not counted). The leader's log now starts at index ${compacted['raft_first_index']}: everything before is in its snapshot.`,
    );

    const lost = await countMissing(clients.get(newLeader)!, acknowledged);
    say(`7. Reading every acknowledged key back through node ${newLeader} (linearizable reads): ${acknowledged.size - lost}/${acknowledged.size} present with the acknowledged value — ${lost === 0 ? 'no acknowledged write was lost' : `${lost} LOST`}.`);

    const restartAt = clock.monotonic();
    await cluster.startNode(firstLeader);
    const target = Number((await cluster.info(newLeader))['raft_commit']);
    let restarted: Record<string, string> = {};
    await waitFor(`node ${firstLeader} to catch up to index ${target}`, async () => {
      restarted = await cluster.info(firstLeader);
      return Number(restarted['raft_applied']) >= target;
    });
    const catchUpMs = Math.round(clock.monotonic() - restartAt);
    const restartedFromIndex = Number(restarted['boot_last_index']);
    const installedSnapshotIndex = Number(restarted['installed_snapshot_index']);
    const installed = Number(restarted['snapshots_installed']);
    if (installed < 1) throw new KvClusterStartError(`node ${firstLeader} caught up without a snapshot from the leader (INFO snapshots_installed:${installed})`);
    say(
      `8. Node ${firstLeader} restarts on its data directory: its own snapshot (index ${restarted['boot_snapshot_index']}) and log (up to index ${restartedFromIndex}). The leader no longer has the entries after that, so it sends a snapshot: ${firstLeader} installed the snapshot at index ${installedSnapshotIndex} and caught up to index ${restarted['raft_applied']}, ${catchUpMs} ms after it was started (process start-up included).`,
    );

    const reconnected = await RespClient.connect(cluster.nodes.get(firstLeader)!.respPort);
    clients.set(firstLeader, reconnected);
    await reconnected.send('LATTICE.READS', 'follower');
    const missingThere = await countMissing(reconnected, acknowledged);
    const keys = Number(await reconnected.send('DBSIZE'));
    const extra = keys - acknowledged.size;
    say(
      `9. Node ${firstLeader}, read locally (LATTICE.READS follower): ${acknowledged.size - missingThere}/${acknowledged.size} acknowledged writes there, ${keys} keys in all${extra > 0 ? ` (${extra} from ${extra === 1 ? 'a write' : 'writes'} that timed out but took effect: a timeout's outcome is unknown)` : ''}.`,
    );
    if (lost > 0 || missingThere > 0) throw new KvClusterStartError(`acknowledged writes missing: ${lost} at the leader, ${missingThere} at the restarted node`);
    const totalMs = Math.round(clock.monotonic() - started);
    say(`Done in ${SECONDS(totalMs)}: leader killed, new leader in ${electionMs} ms, ${acknowledged.size} acknowledged writes, none lost, the restarted node caught up from a snapshot.`);
    return {
      firstLeader,
      firstTerm,
      newLeader,
      newTerm,
      electionMs,
      acknowledged: acknowledged.size,
      lost,
      unacknowledged,
      restartedFromIndex,
      installedSnapshotIndex,
      catchUpMs,
      totalMs,
      story,
    };
  } finally {
    for (const client of clients.values()) client.close();
    await cluster.stop();
  }
}

/** How many of `expected` are absent or different on the node behind `client`, read in MGET batches. */
async function countMissing(client: RespClient, expected: ReadonlyMap<string, string>): Promise<number> {
  const keys = [...expected.keys()];
  let missing = 0;
  for (let i = 0; i < keys.length; i += 200) {
    const batch = keys.slice(i, i + 200);
    const reply = await client.send('MGET', ...batch);
    if (!Array.isArray(reply)) throw new KvClusterStartError(`MGET answered ${isErrorReply(reply) ? reply.error : String(reply)}`);
    batch.forEach((key, j) => {
      if (reply[j] !== expected.get(key)) missing++;
    });
  }
  return missing;
}
