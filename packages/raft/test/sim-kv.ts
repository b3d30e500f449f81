/**
 * A replicated KV store on Raft in `@lattice/sim`: every node is a `RaftNode` whose log is the
 * real `FileWal` (`openWal` of `@lattice/wal`) on the simulator's crashing file system
 * (`SimFileSystem`: unsynced bytes and directory entries are lost in a crash, the last write may
 * be torn). Clients append and read while the simulator partitions, drops, delays, crashes and
 * restarts nodes and skews their clocks, and while the membership changes (a learner is added,
 * promoted, and a voter removed); the history is checked by `@lattice/linearizability`.
 */
import { InvalidArgumentError, isLatticeError, type NodeId } from '@lattice/core';
import { type KvInput, kvModel } from '@lattice/linearizability';
import { assertLinearizable, type NodeContext, OperationFailedError, SimFileSystem, Simulation, type SimulationResult } from '@lattice/sim';
import { openWal } from '@lattice/wal';
import { ConfChangeError, type DeliberateBug, NotLeaderError, ProposalDroppedError, RaftNode, ReadDroppedError } from '../src/index.js';
import { encodeKvCommand, KvStateMachine } from './kv-state-machine.js';

export interface KvHandle {
  readonly raft: RaftNode<string>;
  append(key: string, value: string): Promise<string>;
  get(key: string): Promise<string>;
}

export interface SimKvOptions {
  seed: number;
  /** Virtual ms of client load and faults. Default 4,000. */
  duration?: number;
  deliberateBugs?: readonly DeliberateBug[];
  /** Leave the membership alone. */
  fixedMembership?: boolean;
}

const NOT_TAKEN = new Set<string>([ProposalDroppedError.code, NotLeaderError.code, ReadDroppedError.code, ConfChangeError.code]);

/** Runs one seed; throws (with the seed and a counterexample) unless the history is linearizable. */
export async function simKvRun(options: SimKvOptions): Promise<SimulationResult<KvInput, string>> {
  const { seed } = options;
  const ids = ['n1', 'n2', 'n3', 'n4'];
  const disks = new Map<NodeId, SimFileSystem>();
  const node = async (ctx: NodeContext): Promise<KvHandle> => {
    let disk = disks.get(ctx.id);
    if (disk === undefined) {
      disk = new SimFileSystem(ctx.random, { tornWrites: true });
      disks.set(ctx.id, disk);
    } else {
      // The process died: what it had not synced is gone (its calls still in flight die with its view).
      disk.crash();
      disk.restart();
    }
    const log = await openWal(`/${ctx.id}`, { fs: disk.view(), segmentSize: 64 * 1024 });
    const machine = new KvStateMachine();
    const raft = await RaftNode.start({
      endpoint: ctx.endpoint,
      log,
      stateMachine: machine,
      voters: ['n1', 'n2', 'n3'],
      clock: ctx.clock,
      timers: ctx.timers,
      random: ctx.random,
      electionTimeoutMs: 300,
      heartbeatIntervalMs: 50,
      readOnly: 'safe',
      snapshotEvery: 40,
      requestTimeoutMs: 1_000,
      ...(options.deliberateBugs === undefined ? {} : { deliberateBugs: options.deliberateBugs }),
    });
    const definite = (error: unknown): never => {
      if (isLatticeError(error) && NOT_TAKEN.has(error.code)) throw new OperationFailedError(`not taken: ${error.code}`, { cause: error });
      throw error;
    };
    return {
      raft,
      append: (key, value) => raft.propose(encodeKvCommand({ op: 'append', key, value })).catch(definite),
      get: (key) => raft.read().then(() => machine.get(key), definite),
    };
  };

  const sim = new Simulation<KvHandle, KvInput, string>({
    seed,
    nodes: ids,
    node,
    clocks: { maxSkewMs: 200, maxDriftPpm: 200 },
    faults: { kinds: ['crash', 'partition', 'isolate', 'drop', 'delay', 'clock-jump'], stop: (options.duration ?? 4_000) - 500, maxCrashed: 1 },
    replay: `RAFT_SIM_SEED=${seed} npx vitest run test/sim-kv.test.ts`,
    // FileWal on the simulated file system is async code with long await chains: let it finish within the instant.
    settleTicks: 400,
    clients: {
      count: 3,
      timeoutMs: 1_500,
      run: async (client) => {
        const keys = ['x', 'y'];
        const until = options.duration ?? 4_000;
        let i = 0;
        while (client.clock.monotonic() < until) {
          const up = client.upNodes();
          const target = up.length === 0 ? undefined : client.node(up[client.random.int(up.length)]!);
          if (target === undefined) {
            await client.sleep(50);
            continue;
          }
          const key = keys[client.random.int(keys.length)]!;
          let outcome: { status: string };
          if (client.random.next() < 0.5) {
            const value = `${client.id}.${i++};`;
            outcome = await client.invoke({ op: 'append', key, value }, () => target.append(key, value));
          } else {
            outcome = await client.invoke({ op: 'get', key }, () => target.get(key));
          }
          // Not taken (no leader yet, an election): back off as a client library would.
          await client.sleep(outcome.status === 'fail' ? 100 : client.random.int(40));
        }
      },
    },
  });

  if (options.fixedMembership !== true) {
    // n4 joins as a learner, is promoted, then n3 is removed — through whoever leads at the time.
    const change = (at: number, what: (leader: KvHandle) => Promise<void>) =>
      sim.at(at, async () => {
        for (const id of ids) {
          const handle = sim.handle(id);
          if (handle?.raft.role !== 'leader') continue;
          await what(handle).catch(() => undefined); // refused or timed out: the run goes on
          return;
        }
      });
    change(800, (leader) => leader.raft.addLearner('n4'));
    change(1_600, (leader) => leader.raft.promote('n4'));
    change(2_400, (leader) => leader.raft.remove('n3'));
  }

  const result = await sim.run({ duration: (options.duration ?? 4_000) + 2_000 });
  assertLinearizable(result, kvModel);
  return result;
}

export function checkSeed(seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) throw new InvalidArgumentError('seed must be a safe integer');
  return seed;
}
