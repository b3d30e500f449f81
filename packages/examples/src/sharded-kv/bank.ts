/**
 * The bank workload on the sharded KV in `@lattice/sim`: accounts spread over the shard groups
 * by the ring, clients moving money between random accounts (mostly across shards, so through
 * two-phase commit) and taking snapshot reads of every balance, while the simulator crashes
 * processes, partitions and drops, delays and reorders messages, and skews and jumps clocks.
 *
 * Every run is checked three ways: each snapshot read (and the final one) adds up to the money
 * the bank started with; each snapshot read at `ts` returned, for every key, exactly the newest
 * version committed at or before `ts`; and the history, in `@lattice/isolation`'s rw-register
 * format, is serializable.
 */
import { check, type MicroOp, type Transaction } from '@lattice/isolation';
import { HashRing } from '@lattice/hashring';
import { type ClientContext, type FaultKind, type NodeContext, OperationFailedError, Simulation } from '@lattice/sim';
import { isLatticeError } from '@lattice/core';
import { NotLeaderError, ProposalDroppedError } from '@lattice/raft';
import { KvProcess, NotServedError, type TransactionOutput } from './kv-process.js';
import type { ShardDeliberateBugs, Timestamp, Version } from './shard-machine.js';

/**
 * The simulated world's clocks (skewed, drifting) and, unless `faults` is false, its faults until
 * half a second before the end: crashes of one process at a time, partitions, loss, delay,
 * reordering and clock jumps.
 */
export function worldClocksAndFaults(options: { readonly faults?: boolean; readonly faultKinds?: readonly FaultKind[] }, duration: number) {
  return {
    clocks: { maxSkewMs: 200, maxDriftPpm: 200 },
    ...(options.faults === false
      ? {}
      : {
          faults: {
            kinds: options.faultKinds ?? (['crash', 'partition', 'isolate', 'drop', 'delay', 'reorder', 'clock-jump'] as const),
            stop: duration - 500,
            maxCrashed: 1,
            maxClockJumpMs: 500,
            meanIntervalMs: 400,
          },
        }),
  };
}

export const INITIAL_BALANCE = 100;

export interface BankRunOptions {
  readonly seed: number;
  /** Number of accounts. Default 8. */
  readonly accounts?: number;
  /** Shard groups at the start. Default s1, s2, s3. */
  readonly shards?: readonly string[];
  /** Virtual ms of client load. Default 2,000 (faults stop 500 ms before). */
  readonly duration?: number;
  /** Inject faults. Default true. */
  readonly faults?: boolean;
  /** Which faults. Default crashes, partitions, isolation, loss, delay, reordering and clock jumps. */
  readonly faultKinds?: readonly FaultKind[];
  readonly clients?: number;
  readonly bugs?: ShardDeliberateBugs;
  /** Add this shard group at `at` ms and move the keys the ring gives it. */
  readonly addShard?: { readonly group: string; readonly at: number };
  /** Write every account once before the transfers start. Default false (an absent key reads as the initial balance). */
  readonly preload?: boolean;
  /** Record the simulator's event log. Default false. */
  readonly log?: boolean;
}

export interface BankRunResult {
  readonly seed: number;
  readonly committed: number;
  readonly aborted: number;
  readonly unknown: number;
  /** Committed transfers whose accounts were on two shards (committed by two-phase commit). */
  readonly crossShard: number;
  readonly snapshotReads: number;
  readonly crashes: number;
  /** What went wrong (empty for a correct run): conservation, exactness, isolation, protocol problems. */
  readonly problems: string[];
  /** The isolation checker's anomaly types. */
  readonly anomalies: string[];
  readonly finalTotal: number | undefined;
  readonly history: Transaction[];
  /** Set with `addShard`: which keys each shard held before and after the move, and the two rings' owners. */
  readonly rebalance?: { readonly before: Map<string, string>; readonly after: Map<string, string>; readonly oldOwner: Map<string, string>; readonly newOwner: Map<string, string> };
}

type Op = { kind: 'transfer'; gid: string; from: string; to: string; amount: number } | { kind: 'snapshot' };

const balanceOf = (value: string | null | undefined): number => (value == null ? INITIAL_BALANCE : Number(value.slice(0, value.indexOf('#'))));
const tagOf = (value: string): string => value.slice(value.indexOf('#') + 1);

/** Runs one seed of the bank and checks it. */
export async function runBank(options: BankRunOptions): Promise<BankRunResult> {
  const accounts = Array.from({ length: options.accounts ?? 8 }, (_, i) => `acct-${i}`);
  const duration = options.duration ?? 2_000;
  const processes = ['n1', 'n2', 'n3'];
  // The cluster's configuration (what a configuration group would hold): groups hosted, and the ring's members.
  const config = { groups: [...(options.shards ?? ['s1', 's2', 's3'])], ring: [...(options.shards ?? ['s1', 's2', 's3'])] };
  const problems: string[] = [];
  const history: Transaction[] = [];
  const committed = new Map<string, { commitTs: Timestamp; writes: [string, string][] }>();
  const attempted = new Map<string, [string, string][]>();
  const observed = new Map<string, Timestamp>();
  const reads: { ts: Timestamp; values: Record<string, Version | null>; process: number | string }[] = [];
  let crossShard = 0;
  let finalTotal: number | undefined;
  let rebalance: BankRunResult['rebalance'];

  let loaded = false;
  const preload = async (client: ClientContext<KvProcess, Op, unknown>, pick: () => KvProcess | undefined): Promise<void> => {
    const byShard = new Map<string, string[]>();
    const ring = new HashRing({ members: config.ring.map((id) => ({ id })) });
    for (const account of accounts) byShard.set(ring.lookup(account), [...(byShard.get(ring.lookup(account)) ?? []), account]);
    for (const [shard, keys] of byShard) {
      for (let attempt = 0; ; attempt++) {
        // A fresh gid per attempt: an attempt whose answer was lost may have committed too (it writes the same balances).
        const gid = `load-${shard}-${attempt}`;
        const writes: [string, string][] = keys.map((key) => [key, `${INITIAL_BALANCE}#${gid}`]);
        attempted.set(gid, writes);
        const target = pick();
        const call = client.clock.monotonic();
        const outcome = target === undefined ? undefined : await client.invoke({ kind: 'snapshot' }, () => target.transaction(gid, keys, () => Object.fromEntries(writes)));
        const output = outcome?.status === 'ok' ? (outcome.output as TransactionOutput) : undefined;
        const ops = writes.map(([key, value]) => ['w', key, value] as MicroOp);
        if (outcome?.status === 'info') history.push({ process: client.process, type: 'info', call, return: null, ops });
        if (output !== undefined) history.push({ process: client.process, type: output.outcome === 'committed' ? 'ok' : 'fail', call, return: client.clock.monotonic(), ops });
        if (output?.outcome === 'committed') {
          committed.set(gid, { commitTs: output.commitTs, writes });
          break;
        }
        await client.sleep(50);
      }
    }
    loaded = true;
  };

  const node = async (ctx: NodeContext): Promise<KvProcess> => {
    const process = await KvProcess.start({
      id: ctx.id,
      endpoint: ctx.endpoint,
      disk: ctx.disk,
      clock: ctx.clock,
      timers: ctx.timers,
      random: ctx.random,
      processes,
      shards: () => config.groups,
      ring: () => config.ring,
      ...(options.bugs === undefined ? {} : { bugs: options.bugs }),
      onProblem: (problem) => problems.push(`${ctx.id}: ${problem}`),
    });
    return process;
  };

  const sim = new Simulation<KvProcess, Op, unknown>({
    seed: options.seed,
    nodes: processes,
    node,
    ...worldClocksAndFaults(options, duration),
    replay: `BANK_SEED=${options.seed} npx vitest run test/sharded-kv-bank.test.ts`,
    settleTicks: 20,
    log: options.log ?? false,
    clients: {
      count: options.clients ?? 4,
      timeoutMs: 2_000,
      run: async (client) => {
        let i = 0;
        const pick = (): KvProcess | undefined => {
          const up = client.upNodes();
          return up.length === 0 ? undefined : client.node(up[client.random.int(up.length)]!);
        };
        if (options.preload === true) {
          // Every account written once before the transfers start (so every key exists on its shard).
          if (client.id === 'c1') await preload(client, pick);
          while (!loaded) await client.sleep(20);
        }
        while (client.clock.monotonic() < duration) {
          const target = pick();
          if (target === undefined) {
            await client.sleep(50);
            continue;
          }
          const call = client.clock.monotonic();
          const processId = client.process;
          if (client.random.next() < 0.35) {
            const outcome = await client.invoke({ kind: 'snapshot' }, async () => {
              try {
                return await target.snapshotRead(accounts);
              } catch (error) {
                throw definite(error);
              }
            });
            if (outcome.status === 'ok') {
              const { ts, values } = outcome.output as { ts: Timestamp; values: Record<string, Version | null> };
              reads.push({ ts, values, process: processId });
              history.push({ process: processId, type: 'ok', call, return: client.clock.monotonic(), ops: accounts.map((a) => ['r', a, values[a]?.value ?? null] as MicroOp) });
            }
            await client.sleep(outcome.status === 'ok' ? client.random.int(30) : 60);
            continue;
          }
          const from = accounts[client.random.int(accounts.length)]!;
          let to = accounts[client.random.int(accounts.length - 1)]!;
          if (to === from) to = accounts[accounts.length - 1]!;
          const amount = 1 + client.random.int(10);
          const gid = `${client.id}-${i++}`;
          // Cross-shard transfers need the coordinator: find the process that holds it, as a client library would.
          const coordinator = processes.map((id) => client.node(id)).find((p) => p?.coordinating) ?? target;
          let writes: [string, string][] = [];
          const outcome = await client.invoke({ kind: 'transfer', gid, from, to, amount }, async () => {
            try {
              return await coordinator.transaction(gid, [from, to], (read) => {
                writes = [
                  [from, `${balanceOf(read[from]) - amount}#${gid}`],
                  [to, `${balanceOf(read[to]) + amount}#${gid}`],
                ];
                attempted.set(gid, writes);
                return Object.fromEntries(writes);
              });
            } catch (error) {
              throw definite(error);
            }
          });
          const ret = client.clock.monotonic();
          if (outcome.status === 'ok') {
            const output = outcome.output as TransactionOutput;
            if (output.outcome === 'committed' && coordinator.owner(from) !== coordinator.owner(to)) crossShard++;
            const ops: MicroOp[] = [['r', from, output.read[from] ?? null], ['r', to, output.read[to] ?? null], ['w', from, writes[0]![1]], ['w', to, writes[1]![1]]];
            history.push({ process: processId, type: output.outcome === 'committed' ? 'ok' : 'fail', call, return: ret, ops });
            if (output.outcome === 'committed') committed.set(gid, { commitTs: output.commitTs, writes });
          } else if (outcome.status === 'info' && writes.length > 0) {
            history.push({ process: processId, type: 'info', call, return: null, ops: [['r', from, null], ['r', to, null], ['w', from, writes[0]![1]], ['w', to, writes[1]![1]]] });
          }
          await client.sleep(outcome.status === 'fail' ? 60 : client.random.int(20));
        }
        if (client.id !== 'c1') return;
        // After the faults: every transaction settles, and one last snapshot adds up.
        await client.sleep(1_000);
        for (let attempt = 0; attempt < 40 && finalTotal === undefined; attempt++) {
          const target = pick();
          if (target === undefined) {
            await client.sleep(100);
            continue;
          }
          const outcome = await client.invoke({ kind: 'snapshot' }, () => target.snapshotRead(accounts).catch((error: unknown) => Promise.reject(definite(error))));
          if (outcome.status === 'ok') {
            const { ts, values } = outcome.output as { ts: Timestamp; values: Record<string, Version | null> };
            reads.push({ ts, values, process: client.process });
            finalTotal = accounts.reduce((sum, a) => sum + balanceOf(values[a]?.value), 0);
          } else await client.sleep(100);
        }
      },
    },
  });

  if (options.addShard !== undefined) {
    const { group, at } = options.addShard;
    sim.at(at, () => {
      void (async () => {
        const oldRing = new HashRing({ members: config.ring.map((id) => ({ id })) });
        const newRing = new HashRing({ members: [...config.ring, group].map((id) => ({ id })) });
        const holders = (): Map<string, string> => {
          const held = new Map<string, string>();
          const up = processes.map((id) => sim.handle(id)).filter((p) => p !== undefined);
          for (const shard of config.groups) {
            // The leader's replica has applied the most; a partitioned follower may lag.
            const replica = up.find((p) => p.shard(shard)?.raft.role === 'leader') ?? up[0];
            for (const key of replica?.shard(shard)?.machine.keys() ?? []) {
              if (held.has(key)) problems.push(`rebalance: ${key} is held by ${held.get(key)} and ${shard}`);
              held.set(key, shard);
            }
          }
          return held;
        };
        const before = holders();
        await rebalanceTo(sim, processes, config, group, accounts);
        // Let the followers apply the last commands before the holders are read again.
        await new Promise<void>((resolve) => sim.at(sim.now() + 300, resolve));
        const owner = (ring: HashRing) => new Map(accounts.map((a) => [a, ring.lookup(a)]));
        rebalance = { before, after: holders(), oldOwner: owner(oldRing), newOwner: owner(newRing) };
      })().catch((error: unknown) => problems.push(`rebalance: ${String(error)}`));
    });
  }

  const result = await sim.run({ duration: duration + 6_000 });

  // Which transactions committed: those acknowledged, and those of unknown outcome some read saw.
  for (const read of reads) for (const version of Object.values(read.values)) if (version !== null) observed.set(tagOf(version.value), version.ts);
  for (const transaction of history) {
    for (const op of transaction.ops) if (op[0] === 'r' && typeof op[2] === 'string') observed.set(tagOf(op[2]), observed.get(tagOf(op[2])) ?? '');
  }
  const versionsByKey = new Map<string, { ts: Timestamp; gid: string }[]>();
  const known = new Map<string, Timestamp>();
  for (const [gid, c] of committed) known.set(gid, c.commitTs);
  for (const [gid, ts] of observed) if (ts !== '' && !known.has(gid)) known.set(gid, ts);
  for (const [gid, ts] of known) {
    for (const [key] of committed.get(gid)?.writes ?? attempted.get(gid) ?? []) {
      versionsByKey.set(key, [...(versionsByKey.get(key) ?? []), { ts, gid }]);
    }
  }

  const total = accounts.length * INITIAL_BALANCE;
  for (const read of reads) {
    const sum = accounts.reduce((s, a) => s + balanceOf(read.values[a]?.value), 0);
    if (sum !== total) problems.push(`conservation: the snapshot read at ${read.ts} adds up to ${sum}, not ${total}`);
    for (const key of accounts) {
      const version = read.values[key] ?? null;
      const newest = (versionsByKey.get(key) ?? []).filter((v) => v.ts <= read.ts).sort((a, b) => (a.ts < b.ts ? 1 : -1))[0];
      const got = version === null ? undefined : tagOf(version.value);
      if (got !== newest?.gid) {
        problems.push(`exactness: the snapshot read at ${read.ts} saw ${key} = ${version?.value ?? 'the initial balance'}, but the newest commit at or before it is ${newest?.gid ?? 'none'}`);
      }
    }
  }
  if (finalTotal === undefined) problems.push('no final snapshot read succeeded');
  else if (finalTotal !== total) problems.push(`conservation: the final snapshot adds up to ${finalTotal}, not ${total}`);
  for (const id of processes) {
    for (const shard of config.groups) {
      const doubt = sim.handle(id)?.shard(shard)?.machine.inDoubt() ?? [];
      if (doubt.length > 0) problems.push(`${id}/${shard} still holds ${doubt.join(', ')} prepared at the end`);
    }
  }

  const verdict = check(history, { model: 'rw-register', consistency: 'serializable', wfrKeys: true });
  if (!verdict.valid) problems.push(`isolation: ${verdict.anomalyTypes.join(', ')}: ${verdict.models.find((m) => m.model === 'serializable')?.counterexample?.explanation ?? ''}`);

  let aborted = 0;
  let unknown = 0;
  for (const t of history) {
    if (t.type === 'fail') aborted++;
    if (t.type === 'info') unknown++;
  }
  return {
    seed: options.seed,
    committed: committed.size,
    aborted,
    unknown,
    crossShard,
    snapshotReads: reads.length,
    crashes: result.stats.crashes,
    problems,
    anomalies: [...verdict.anomalyTypes],
    finalTotal,
    history,
    ...(rebalance === undefined ? {} : { rebalance }),
  };
}

/** A request that was not taken (no coordinator here, a stale ring, no leader): the operation did not happen. */
function definite(error: unknown): unknown {
  if (isLatticeError(error) && NOT_TAKEN.has(error.code)) return new OperationFailedError(`not taken: ${error.code}`, { cause: error });
  return error;
}

const NOT_TAKEN = new Set<string>([NotServedError.code, NotLeaderError.code, ProposalDroppedError.code]);

/**
 * Adds `group` and moves to it the keys the ring gives it: start the group on every process,
 * then for each old shard export the moving keys (it refuses them from then on, and waits for
 * their locks) and ingest them into the new group, then switch the ring.
 */
async function rebalanceTo(sim: Simulation<KvProcess, Op, unknown>, processes: readonly string[], config: { groups: string[]; ring: string[] }, group: string, keys: readonly string[]): Promise<void> {
  const wait = (ms: number) => new Promise<void>((resolve) => sim.at(sim.now() + ms, resolve));
  config.groups.push(group);
  for (const id of processes) await sim.handle(id)?.addShard(group);
  const oldRing = new HashRing({ members: config.ring.map((id) => ({ id })) });
  const newRing = new HashRing({ members: [...config.ring, group].map((id) => ({ id })) });
  const via = (): KvProcess => processes.map((id) => sim.handle(id)).find((p) => p !== undefined)!;
  for (const shard of config.ring) {
    // Keys never written move too: the old shard must refuse them from now on.
    const all = keys.filter((key) => oldRing.lookup(key) === shard && newRing.lookup(key) === group);
    if (all.length === 0) continue;
    for (;;) {
      const result = await via()
        .propose(shard, { t: 'export', keys: all, to: group })
        .catch(() => undefined);
      if (result?.type === 'exported') {
        for (;;) {
          const ingested = await via()
            .propose(group, { t: 'ingest', versions: result.versions, marks: result.marks })
            .catch(() => undefined);
          if (ingested?.type === 'done') break;
          await wait(50);
        }
        break;
      }
      await wait(50);
    }
  }
  config.ring.push(group);
}
