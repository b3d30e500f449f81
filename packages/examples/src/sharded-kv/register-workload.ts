/**
 * `@lattice/isolation`'s generated rw-register workload on the sharded KV in `@lattice/sim`:
 * clients take transactions from `createWorkload` (reads and writes of registers over a few
 * keys, a key retiring after a number of writes), run each as one sharded-KV transaction (2PC
 * when its keys are on several shards; a read-only one as a snapshot read), record it with
 * `HistoryRecorder` at the simulator's virtual time, and the history is checked by `check`.
 *
 * Unlike the bank, the generated transactions read keys they do not write: the first committer
 * wins only on written keys, so the store promises snapshot isolation for them, not
 * serializability (see README.md, "Guarantees"), and the checker is asked exactly that.
 */
import { type CheckResult, check, createWorkload, HistoryRecorder, type MicroOp, type Transaction } from '@lattice/isolation';
import { isLatticeError, seededRandom } from '@lattice/core';
import { type ClientContext, type FaultKind, type NodeContext, OperationFailedError, Simulation } from '@lattice/sim';
import { NotLeaderError, ProposalDroppedError } from '@lattice/raft';
import { worldClocksAndFaults } from './bank.js';
import { KvProcess, NotServedError, type TransactionOutput } from './kv-process.js';
import type { ShardDeliberateBugs } from './shard-machine.js';

export interface RegisterWorkloadOptions {
  readonly seed: number;
  /** Virtual ms of client load. Default 2,000 (faults stop 500 ms before). */
  readonly duration?: number;
  /** Inject faults. Default true. */
  readonly faults?: boolean;
  /** Which faults. Default crashes, partitions, isolation, loss, delay, reordering and clock jumps. */
  readonly faultKinds?: readonly FaultKind[];
  readonly clients?: number;
  /** Keys in play at once (the workload's `keys`). Default 6. */
  readonly keys?: number;
  /** Writes a key takes before it retires (the workload's `maxWritesPerKey`). Default 8. */
  readonly maxWritesPerKey?: number;
  readonly bugs?: ShardDeliberateBugs;
}

export interface RegisterWorkloadResult {
  readonly seed: number;
  /** The recorded history, in `@lattice/isolation`'s rw-register format (keys are the workload's numbers). */
  readonly history: Transaction[];
  /** `check(history, { model: 'rw-register', consistency: 'snapshot-isolation', wfrKeys: true })`. */
  readonly verdict: CheckResult;
  readonly committed: number;
  readonly aborted: number;
  readonly unknown: number;
  /** Committed transactions that wrote keys on two or more shards (committed by 2PC). */
  readonly crossShard: number;
  /** Committed transactions that read a key they did not write: the ones where SI and serializability differ. */
  readonly readOnlyKeys: number;
  readonly crashes: number;
  /** What the processes reported as impossible (a shard refusing a decision, garbage). */
  readonly problems: string[];
}

type Op = { kind: 'txn'; ops: readonly MicroOp[] };

/** The store's string key of a workload key. */
const keyName = (key: number | string): string => `reg-${String(key)}`;

/** Runs one seed of the generated workload and checks its history. */
export async function runRegisterWorkload(options: RegisterWorkloadOptions): Promise<RegisterWorkloadResult> {
  const duration = options.duration ?? 2_000;
  const processes = ['n1', 'n2', 'n3'];
  const shards = ['s1', 's2', 's3'];
  const problems: string[] = [];
  const recorder = new HistoryRecorder();
  let crossShard = 0;
  let readOnlyKeys = 0;

  const node = async (ctx: NodeContext): Promise<KvProcess> =>
    KvProcess.start({
      id: ctx.id,
      endpoint: ctx.endpoint,
      disk: ctx.disk,
      clock: ctx.clock,
      timers: ctx.timers,
      random: ctx.random,
      processes,
      shards: () => shards,
      ring: () => shards,
      ...(options.bugs === undefined ? {} : { bugs: options.bugs }),
      onProblem: (problem) => problems.push(`${ctx.id}: ${problem}`),
    });

  // One workload shared by every client, so each written value is unique per key; seeded from the run's seed.
  const workload = createWorkload({
    model: 'rw-register',
    random: seededRandom(options.seed * 2 + 1),
    keys: options.keys ?? 6,
    maxLength: 4,
    readFraction: 0.5,
    maxWritesPerKey: options.maxWritesPerKey ?? 8,
  });

  const run = async (client: ClientContext<KvProcess, Op, unknown>): Promise<void> => {
    const pick = (): KvProcess | undefined => {
      const up = client.upNodes();
      return up.length === 0 ? undefined : client.node(up[client.random.int(up.length)]!);
    };
    while (client.clock.monotonic() < duration) {
      const target = pick();
      if (target === undefined) {
        await client.sleep(50);
        continue;
      }
      const ops = workload.next();
      const keys = [...new Set(ops.map((op) => keyName(op[1])))];
      const handle = recorder.invoke(client.process, ops, client.clock.monotonic());
      let done: MicroOp[] = [];
      const outcome = await client.invoke({ kind: 'txn', ops }, async () => {
        try {
          if (ops.every((op) => op[0] === 'r')) {
            const { values } = await target.snapshotRead(keys);
            done = ops.map((op) => ['r', op[1], parse(values[keyName(op[1])]?.value ?? null)] as MicroOp);
            return { outcome: 'committed' } as Pick<TransactionOutput, 'outcome'>;
          }
          const coordinator = processes.map((id) => client.node(id)).find((p) => p?.coordinating) ?? target;
          return await coordinator.transaction(client.id + String(handle), keys, (read) => {
            // The micro-operations in order: a read sees the transaction's own earlier write, else the snapshot.
            const own = new Map<string, string>();
            done = ops.map((op): MicroOp => {
              const key = keyName(op[1]);
              if (op[0] === 'r') return ['r', op[1], parse(own.get(key) ?? read[key] ?? null)];
              own.set(key, String(op[2]));
              return op;
            });
            return Object.fromEntries(own);
          });
        } catch (error) {
          throw definite(error);
        }
      });
      const now = client.clock.monotonic();
      if (outcome.status === 'ok') {
        const output = outcome.output as Pick<TransactionOutput, 'outcome'>;
        if (output.outcome === 'committed') {
          recorder.complete(handle, 'ok', now, done);
          const written = new Set(ops.filter((op) => op[0] === 'w').map((op) => keyName(op[1])));
          if (new Set([...written].map((key) => target.owner(key))).size > 1) crossShard++;
          if (written.size > 0 && keys.some((key) => !written.has(key))) readOnlyKeys++;
        } else recorder.complete(handle, 'fail', now);
      } else if (outcome.status === 'fail') recorder.complete(handle, 'fail', now);
      // An 'info' stays open: the recorder reports it as info, and the simulator gives the client a new process.
      await client.sleep(outcome.status === 'fail' ? 60 : client.random.int(20));
    }
  };

  const sim = new Simulation<KvProcess, Op, unknown>({
    seed: options.seed,
    nodes: processes,
    node,
    ...worldClocksAndFaults(options, duration),
    replay: `REGISTER_SEED=${options.seed} npx vitest run test/sharded-kv-register-workload.test.ts`,
    settleTicks: 20,
    clients: { count: options.clients ?? 4, timeoutMs: 2_000, run },
  });
  const result = await sim.run({ duration: duration + 6_000 });

  const history = recorder.history('rw-register');
  const verdict = check(history, { model: 'rw-register', consistency: 'snapshot-isolation', wfrKeys: true });
  let committed = 0;
  let aborted = 0;
  let unknown = 0;
  for (const t of history) {
    if (t.type === 'ok') committed++;
    else if (t.type === 'fail') aborted++;
    else unknown++;
  }
  return { seed: options.seed, history, verdict, committed, aborted, unknown, crossShard, readOnlyKeys, crashes: result.stats.crashes, problems };
}

/** A register's value as the workload wrote it (a number), or null for the initial state. */
function parse(value: string | null): number | null {
  return value === null ? null : Number(value);
}

/** A request that was not taken (no coordinator here, a stale ring, no leader): the operation did not happen. */
function definite(error: unknown): unknown {
  if (isLatticeError(error) && NOT_TAKEN.has(error.code)) return new OperationFailedError(`not taken: ${error.code}`, { cause: error });
  return error;
}

const NOT_TAKEN = new Set<string>([NotServedError.code, NotLeaderError.code, ProposalDroppedError.code]);
