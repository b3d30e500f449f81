/**
 * The distributed limiter's row: N nodes on one `MemoryNetwork` driven by a `ManualClock` (so
 * gossip rounds and deliveries happen as the loop advances time), every node deciding on a
 * rotating set of keys. Reports decisions per second of wall time (gossip work included) and
 * the gossip messages sent per second of wall time alongside. There is no npm peer with a
 * gossip-based limiter, so the row has none.
 */
import { type BenchResult, median, result } from '@lattice/bench-kit';
import type { Endpoint } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import { MemoryNetwork } from '@lattice/transport';
import { DistributedLimiter } from '../src/index.js';

const NODE_COUNT = 5;
const KEY_COUNT = 1000;
const DECISIONS_PER_NODE_PER_MS = 10;

/** An endpoint that counts what it sends (the same count on any version of the limiter). */
function counting(endpoint: Endpoint, counter: { sent: number }): Endpoint {
  return {
    id: endpoint.id,
    maxMessageSize: endpoint.maxMessageSize,
    send: (to, payload, options) => {
      counter.sent++;
      return endpoint.send(to, payload, options);
    },
    onMessage: (handler) => endpoint.onMessage(handler),
  } as Endpoint;
}

export async function distributed(rows: BenchResult[]): Promise<void> {
  const clock = new ManualClock();
  const network = new MemoryNetwork({ timers: clock, seed: 7, faults: { latency: { min: 1, max: 3 } } });
  const nodes = Array.from({ length: NODE_COUNT }, (_, i) => `n${i}`);
  const counter = { sent: 0 };
  const limiters: DistributedLimiter[] = [];
  for (const id of nodes) {
    const endpoint = counting(await network.open(id), counter);
    limiters.push(new DistributedLimiter({ endpoint, nodes, limit: 2000, windowMs: 1000, syncIntervalMs: 10, clock, timers: clock }));
  }
  const keys = Array.from({ length: KEY_COUNT }, (_, i) => `user:${i}`);
  let k = 0;
  let admitted = 0;
  const run = (decisions: number): void => {
    const perMs = NODE_COUNT * DECISIONS_PER_NODE_PER_MS;
    for (let done = 0; done < decisions; done += perMs) {
      for (let d = 0; d < DECISIONS_PER_NODE_PER_MS; d++) {
        const key = keys[k++ % KEY_COUNT]!;
        for (let n = 0; n < NODE_COUNT; n++) if (limiters[n]!.decide(key).allowed) admitted++;
      }
      clock.advance(1);
    }
  };
  const iterations = 200_000;
  run(iterations);
  run(iterations);
  const decisionRates: number[] = [];
  const messageRates: number[] = [];
  for (let round = 0; round < 5; round++) {
    const sentBefore = counter.sent;
    const start = process.hrtime.bigint();
    run(iterations);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    decisionRates.push(iterations / seconds);
    messageRates.push((counter.sent - sentBefore) / seconds);
  }
  for (const limiter of limiters) await limiter.close();
  await network.close();
  if (admitted === 0) throw new Error('the distributed bench admitted nothing');
  const note = `${NODE_COUNT} nodes on MemoryNetwork (ManualClock, 1–3 ms latency), ${KEY_COUNT} keys, syncIntervalMs 10, ${DECISIONS_PER_NODE_PER_MS} decisions per node per simulated ms`;
  rows.push(result({ case: `distributed decide, ${NODE_COUNT} nodes`, unit: 'ops/s', betterIs: 'higher', ours: median(decisionRates), peer: null, note }));
  rows.push(result({ case: `distributed gossip messages, ${NODE_COUNT} nodes`, unit: 'msgs/s', betterIs: 'higher', ours: median(messageRates), peer: null, note: 'gossip messages sent per second of wall time during the decide row' }));
}
