/**
 * Jepsen-style rounds against three real lattice-kv processes: clients at random nodes, a
 * nemesis that SIGKILLs/restarts and partitions nodes, each round's history checked for
 * linearizability (ReadIndex reads, then lease reads). And the checker has teeth: a partitioned
 * follower answering follower reads from stale state is reported as a violation.
 */
import { check } from '@lattice/linearizability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvCluster } from '../src/lattice-kv/cluster.js';
import { describeRound, type JepsenOperation, pruneUnobservedWrites, registerIncrModel, runJepsenRound, staleFollowerRead } from './lattice-kv-jepsen.js';

describe('lattice-kv under a nemesis (Jepsen-style)', () => {
  let cluster: KvCluster;
  beforeAll(async () => {
    cluster = await KvCluster.start({ nemesis: true });
  }, 40_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('stays linearizable through kills, restarts and partitions (3 rounds)', async () => {
    for (const seed of [1, 2, 3]) {
      const report = await runJepsenRound({ cluster, seed, durationMs: 7_000, keyPrefix: `round${seed}` });
      console.log(describeRound(report));
      expect(report.result.verdict, `${describeRound(report)}\n${report.nemesis.join('\n')}`).toBe('linearizable');
      expect(report.ok).toBeGreaterThan(50);
      expect(report.nemesis.length).toBeGreaterThan(0);
    }
  }, 120_000);

  it('stays linearizable with lease reads (--lease-reads) through kills, restarts and partitions', async () => {
    const leased = await KvCluster.start({ nemesis: true, leaseReads: true });
    try {
      const report = await runJepsenRound({ cluster: leased, seed: 4, durationMs: 7_000, keyPrefix: 'lease' });
      console.log(`lease reads: ${describeRound(report)}`);
      expect(report.result.verdict, `${describeRound(report)}\n${report.nemesis.join('\n')}`).toBe('linearizable');
      expect(report.ok).toBeGreaterThan(50);
    } finally {
      await leased.stop();
    }
  }, 60_000);

  it('reports a violation when a partitioned follower answers follower reads from stale state', async () => {
    const { history, result } = await staleFollowerRead(cluster, 'stale:k');
    // The follower answered the value before the acknowledged SET: a read no order can place.
    expect(history.map((operation) => operation.output ?? operation.input.op)).toEqual(['set', 'set', 1000]);
    expect(result.verdict).toBe('not linearizable');
    expect(result.counterexample!.unplacedOperations.some((operation) => operation.input.op === 'get')).toBe(true);
  }, 60_000);
});

describe('pruneUnobservedWrites', () => {
  const set = (process: number, value: number, call: number): JepsenOperation => ({ process, call, return: undefined, input: { op: 'set', key: 'k', value }, output: undefined });
  const get = (process: number, output: number | null, call: number): JepsenOperation => ({ process, call, return: call + 1, input: { op: 'get', key: 'k' }, output });
  const incr = (process: number, output: number | undefined, call: number): JepsenOperation => ({ process, call, return: output === undefined ? undefined : call + 1, input: { op: 'incr', key: 'k' }, output });

  it('keeps an indeterminate SET whose value a GET or an INCR result shows, drops one nobody could have seen', () => {
    const history = [set(0, 1000, 0), set(1, 2000, 0), set(2, 3000, 0), get(3, 1000, 5), incr(4, undefined, 6), incr(5, 2002, 8)];
    expect(pruneUnobservedWrites(history).map((operation) => (operation.input.op === 'set' ? operation.input.value : operation.input.op))).toEqual([1000, 2000, 'get', 'incr', 'incr']);
  });

  it('never turns a violation into a pass: a stale read stays a violation after pruning', () => {
    const history: JepsenOperation[] = [
      { process: 0, call: 0, return: 1, input: { op: 'set', key: 'k', value: 1000 }, output: undefined },
      set(1, 5000, 2),
      { process: 2, call: 3, return: 4, input: { op: 'set', key: 'k', value: 2000 }, output: undefined },
      get(3, 1000, 5),
    ];
    expect(check(registerIncrModel, pruneUnobservedWrites(history)).verdict).toBe('not linearizable');
  });
});
