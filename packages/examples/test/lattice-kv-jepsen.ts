/**
 * A Jepsen-style harness for lattice-kv: real node processes, clients issuing GET/SET/INCR over
 * RESP at random nodes, and a nemesis that SIGKILLs and restarts nodes and partitions them
 * (`LATTICE.NEMESIS`, on nodes started with `--nemesis`). Every operation is recorded with its
 * invocation and completion time; a timeout or a failed write is indeterminate (it may or may
 * not have happened). The history is checked with `@lattice/linearizability`, per key.
 *
 * Used by `lattice-kv-jepsen.test.ts` (a few rounds) and `lattice-kv-jepsen-soak.ts` (many).
 */
import { type Random, seededRandom } from '@lattice/core';
import { type CheckResult, check, type Model, type Operation } from '@lattice/linearizability';
import type { KvCluster } from '../src/lattice-kv/cluster.js';
import { isErrorReply, RespClient, type RespValue } from '../src/lattice-kv/resp-client.js';

/** What a client asks of a key. */
export type JepsenInput = { op: 'get'; key: string } | { op: 'set'; key: string; value: number } | { op: 'incr'; key: string };
/** A GET's value (null: missing) or an INCR's result; SET answers nothing. */
export type JepsenOutput = number | null;
export type JepsenOperation = Operation<JepsenInput, JepsenOutput>;

/**
 * The sequential specification: one integer register per key (missing until set), with INCR
 * returning the new value. States are `number | null` per key; the history is split by key.
 */
export const registerIncrModel: Model<number | null, JepsenInput, JepsenOutput> = {
  init: () => null,
  step(state, input, output) {
    switch (input.op) {
      case 'get':
        return { ok: output === undefined || output === state, state };
      case 'set':
        return { ok: true, state: input.value };
      case 'incr': {
        const next = (state ?? 0) + 1;
        return { ok: output === undefined || output === next, state: next };
      }
    }
  },
  isReadOnly: (input) => input.op === 'get',
  partition(history) {
    const byKey = new Map<string, JepsenOperation[]>();
    for (const operation of history) {
      const list = byKey.get(operation.input.key) ?? [];
      list.push(operation);
      byKey.set(operation.input.key, list);
    }
    return [...byKey.values()];
  },
  describeOperation: (input, output) => (input.op === 'set' ? `set ${input.key} ${input.value}` : `${input.op} ${input.key} -> ${output === undefined ? '?' : String(output)}`),
  describeState: (state) => String(state),
};

/**
 * Drops the indeterminate SETs whose value no completed operation could have seen: each SET
 * writes a value of its own, so a SET that took effect shows in a GET of that value or in an
 * INCR's result up to (number of INCRs on the key) above it. One that shows nowhere can be
 * linearized as never having happened, and an open write the search may place anywhere is
 * what makes it slow. Dropping an operation only constrains the history more, so this never
 * hides a violation.
 */
export function pruneUnobservedWrites(history: readonly JepsenOperation[]): JepsenOperation[] {
  const seen = new Map<string, number[]>();
  const incrs = new Map<string, number>();
  for (const operation of history) {
    const { key } = operation.input;
    if (operation.input.op === 'incr') incrs.set(key, (incrs.get(key) ?? 0) + 1);
    if (operation.return !== undefined && typeof operation.output === 'number') {
      const list = seen.get(key) ?? [];
      list.push(operation.output);
      seen.set(key, list);
    }
  }
  return history.filter((operation) => {
    if (operation.return !== undefined || operation.input.op !== 'set') return true;
    const value = operation.input.value;
    const reach = incrs.get(operation.input.key) ?? 0;
    return (seen.get(operation.input.key) ?? []).some((output) => output >= value && output <= value + reach);
  });
}

/** Options of {@link runJepsenRound}. */
export interface JepsenRoundOptions {
  /** A cluster started with `nemesis: true`. */
  cluster: KvCluster;
  seed: number;
  durationMs: number;
  /** Concurrent client processes. Default 6. */
  clients?: number;
  /** Keys per round (few keys: much contention). Default 4. */
  keys?: number;
  /** Prefix of this round's keys, so rounds on one cluster are independent histories. */
  keyPrefix: string;
  /** How clients read: `linearizable` (the default) or `follower` (stale on purpose, to show the checker catches it). */
  readMode?: 'linearizable' | 'follower';
  /** Which faults the nemesis injects. Default both. */
  faults?: readonly ('kill' | 'partition')[];
  /** Client timeout per operation: past it the operation is indeterminate. Default 1,500 ms. */
  timeoutMs?: number;
  /** The checker's time budget; past it the verdict is `unknown`. Default 30 s. */
  checkTimeoutMs?: number;
}

/** What a round did and what the checker said. */
export interface JepsenRoundReport {
  seed: number;
  /** The history checked: every operation recorded but the indeterminate SETs nobody could have seen. */
  history: JepsenOperation[];
  /** Operations recorded. */
  recorded: number;
  ok: number;
  indeterminate: number;
  failedReads: number;
  nemesis: string[];
  result: CheckResult<JepsenInput, JepsenOutput>;
}

const now = () => performance.now();
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs clients and the nemesis for `durationMs`, heals and restarts everything, then checks the history. */
export async function runJepsenRound(options: JepsenRoundOptions): Promise<JepsenRoundReport> {
  const { cluster, seed, durationMs, keyPrefix } = options;
  const random = seededRandom(seed);
  const ids = [...cluster.nodes.keys()];
  const keys = Array.from({ length: options.keys ?? 4 }, (_, i) => `${keyPrefix}:k${i}`);
  const timeoutMs = options.timeoutMs ?? 1_500;
  const readMode = options.readMode ?? 'linearizable';
  const faults = options.faults ?? ['kill', 'partition'];
  const history: JepsenOperation[] = [];
  const nemesisLog: string[] = [];
  let failedReads = 0;
  let nextProcess = 0;
  const end = now() + durationMs;

  const client = async (clientRandom: Random) => {
    let process = nextProcess++;
    let connection: RespClient | undefined;
    let value = 0;
    while (now() < end) {
      if (connection === undefined || connection.broken) {
        connection?.close();
        const target = ids[clientRandom.int(ids.length)]!;
        try {
          connection = await RespClient.connect(cluster.nodes.get(target)!.respPort);
          if (readMode === 'follower') await connection.sendWithin(timeoutMs, 'LATTICE.READS', 'follower');
        } catch {
          connection?.close();
          connection = undefined;
          await pause(50);
          continue;
        }
      }
      const key = keys[clientRandom.int(keys.length)]!;
      const roll = clientRandom.next();
      const input: JepsenInput = roll < 0.5 ? { op: 'get', key } : roll < 0.8 ? { op: 'set', key, value: ++value * 1000 + process } : { op: 'incr', key };
      const args = input.op === 'get' ? ['GET', key] : input.op === 'set' ? ['SET', key, String(input.value)] : ['INCR', key];
      const call = now();
      let reply: RespValue | Error;
      try {
        reply = await connection.sendWithin(timeoutMs, ...args);
      } catch (error) {
        reply = error as Error;
      }
      const completed = now();
      if (reply instanceof Error || isErrorReply(reply)) {
        if (input.op === 'get') failedReads++; // a failed read changed nothing: leave it out
        else {
          // The write may take effect later: it stays open, so this client goes on as a new process.
          history.push({ process, call, return: undefined, input, output: undefined });
          process = nextProcess++;
        }
        if (reply instanceof Error) connection.close();
        else await pause(20);
        continue;
      }
      const output: JepsenOutput = input.op === 'get' ? (reply === null ? null : Number(reply)) : input.op === 'incr' ? Number(reply) : null;
      history.push({ process, call, return: completed, input, output: input.op === 'set' ? undefined : output });
    }
    connection?.close();
  };

  const admin = async (id: string, args: string[]): Promise<void> => {
    const node = cluster.nodes.get(id)!;
    if (node.child === undefined) return;
    let connection: RespClient | undefined;
    try {
      connection = await RespClient.connect(node.respPort);
      await connection.sendWithin(1_000, ...args);
    } catch {
      // A node that is down or stuck keeps its state; it is healed or restarted below.
    } finally {
      connection?.close();
    }
  };
  const heal = async () => {
    await Promise.all(ids.map((id) => admin(id, ['LATTICE.NEMESIS', 'HEAL'])));
  };

  const nemesis = async () => {
    await pause(300 + random.int(400));
    while (now() < end - 500) {
      const fault = faults[random.int(faults.length)]!;
      const victim = ids[random.int(ids.length)]!;
      const hold = 600 + random.int(1_200);
      if (fault === 'kill') {
        nemesisLog.push(`${Math.round(now())} kill ${victim}`);
        await cluster.kill(victim);
        await pause(hold);
        nemesisLog.push(`${Math.round(now())} restart ${victim}`);
        await cluster.startNode(victim).catch((error: unknown) => nemesisLog.push(`restart of ${victim} failed: ${String(error)}`));
      } else {
        const others = ids.filter((id) => id !== victim);
        nemesisLog.push(`${Math.round(now())} isolate ${victim}`);
        await Promise.all([admin(victim, ['LATTICE.NEMESIS', 'ISOLATE', ...others]), ...others.map((id) => admin(id, ['LATTICE.NEMESIS', 'ISOLATE', victim]))]);
        await pause(hold);
        nemesisLog.push(`${Math.round(now())} heal`);
        await heal();
      }
      await pause(200 + random.int(600));
    }
  };

  const clientCount = options.clients ?? 6;
  await Promise.all([nemesis(), ...Array.from({ length: clientCount }, (_, i) => client(seededRandom(seed * 31 + i + 1)))]);
  await heal();
  for (const [id, node] of cluster.nodes) if (node.child === undefined) await cluster.startNode(id);
  await cluster.waitForLeader();

  const checked = pruneUnobservedWrites(history);
  const result = check(registerIncrModel, checked, { timeoutMs: options.checkTimeoutMs ?? 30_000 });
  const ok = history.filter((operation) => operation.return !== undefined).length;
  return { seed, history: checked, recorded: history.length, ok, indeterminate: history.length - ok, failedReads, nemesis: nemesisLog, result };
}

/**
 * The harness's teeth, scripted so that the stale read happens every time: a follower is cut off
 * from its peers, a SET is acknowledged by the leader, and then the cut-off follower answers a
 * follower-mode GET from its own state, which has not seen the SET. Records that history as the
 * clients saw it and checks it with the same model as the rounds.
 */
export async function staleFollowerRead(cluster: KvCluster, key: string): Promise<{ history: JepsenOperation[]; result: CheckResult<JepsenInput, JepsenOutput> }> {
  const leader = await cluster.waitForLeader();
  const ids = [...cluster.nodes.keys()];
  const follower = ids.find((id) => id !== leader)!;
  const others = ids.filter((id) => id !== follower);
  const port = (id: string) => cluster.nodes.get(id)!.respPort;
  const admin = async (id: string, ...args: string[]) => {
    const connection = await RespClient.connect(port(id));
    try {
      await connection.sendWithin(2_000, ...args);
    } finally {
      connection.close();
    }
  };
  const history: JepsenOperation[] = [];
  const writer = await RespClient.connect(port(leader));
  const reader = await RespClient.connect(port(follower));
  try {
    await reader.sendWithin(2_000, 'LATTICE.READS', 'follower');
    let call = now();
    await writer.sendWithin(5_000, 'SET', key, '1000');
    history.push({ process: 0, call, return: now(), input: { op: 'set', key, value: 1000 }, output: undefined });
    // Wait until the follower has the first write, so that what it answers later is old, not absent.
    const deadline = now() + 5_000;
    while ((await reader.sendWithin(2_000, 'GET', key)) !== '1000' && now() < deadline) await pause(20);
    await Promise.all([admin(follower, 'LATTICE.NEMESIS', 'ISOLATE', ...others), ...others.map((id) => admin(id, 'LATTICE.NEMESIS', 'ISOLATE', follower))]);
    call = now();
    await writer.sendWithin(5_000, 'SET', key, '2000');
    history.push({ process: 0, call, return: now(), input: { op: 'set', key, value: 2000 }, output: undefined });
    call = now();
    const reply = await reader.sendWithin(2_000, 'GET', key);
    history.push({ process: 1, call, return: now(), input: { op: 'get', key }, output: reply === null ? null : Number(reply) });
  } finally {
    writer.close();
    reader.close();
    await Promise.all(ids.map((id) => admin(id, 'LATTICE.NEMESIS', 'HEAL').catch(() => undefined)));
  }
  return { history, result: check(registerIncrModel, history) };
}

/** One line per round, as the test and the soak script print it. */
export function describeRound(report: JepsenRoundReport): string {
  return `seed ${report.seed}: ${report.recorded} ops (${report.ok} ok, ${report.indeterminate} indeterminate of which ${report.recorded - report.history.length} unobserved SETs left out, ${report.failedReads} failed reads left out), nemesis: ${report.nemesis.length} events, verdict: ${report.result.verdict}`;
}
