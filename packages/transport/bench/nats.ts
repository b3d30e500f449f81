// Throughput of the NATS transport between two endpoints (each on its own connection, as two
// processes would be) through a private nats-server on loopback, beside the bare NATS client
// publishing the same payloads on two connections: the floor, so the ratio shows our overhead
// (sender header, one copy, the Endpoint API). The TCP transport's figures are printed by index.ts.
import { join } from 'node:path';
import { type BenchResult, report, result } from '@lattice/bench-kit';
import { startNats } from '@lattice/test-kit';
import { connect } from '@nats-io/transport-node';
import { NatsTransport } from '../src/nats/index.js';

const PEER = '@nats-io/transport-node@3.4.0 (bare publish/subscribe)';
const WINDOW = 256; // messages in flight before the sender waits, for both sides alike
// The machine is shared: five rounds, alternating, and the median of each side.
const ROUNDS = 5;

function until(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (condition() ? resolve() : setImmediate(check));
    check();
  });
}

async function pump(sendOne: () => unknown, received: () => number, count: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    await sendOne();
    if (i - received() > WINDOW) await until(() => i - received() <= WINDOW / 2);
  }
  await until(() => received() >= count);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

let run = 0;

async function ours(url: string, size: number, count: number): Promise<number> {
  const cluster = `bench-${++run}`;
  const one = new NatsTransport({ cluster, connect: { servers: url } });
  const two = new NatsTransport({ cluster, connect: { servers: url } });
  const a = await one.open('a');
  const b = await two.open('b');
  let got = 0;
  b.onMessage(() => got++);
  const payload = new Uint8Array(size);
  await a.send('b', payload); // warm-up: the probe that finds b
  await until(() => got === 1);
  got = 0;
  const seconds = await pump(() => a.send('b', payload), () => got, count);
  await one.close();
  await two.close();
  return count / seconds;
}

async function bare(url: string, size: number, count: number): Promise<number> {
  const subject = `bench.bare.${++run}`;
  const publisher = await connect({ servers: url });
  const subscriber = await connect({ servers: url });
  let got = 0;
  subscriber.subscribe(subject, {
    callback: () => {
      got++;
    },
  });
  await subscriber.flush();
  const payload = new Uint8Array(size);
  publisher.publish(subject, payload);
  await until(() => got === 1);
  got = 0;
  const seconds = await pump(() => publisher.publish(subject, payload), () => got, count);
  await publisher.close();
  await subscriber.close();
  return count / seconds;
}

const median = (values: number[]): number => [...values].sort((x, y) => x - y)[values.length >> 1]!;

/** The NATS rows of the transport benchmark: a private nats-server, ROUNDS alternating rounds per size, medians. */
export async function natsResults(): Promise<BenchResult[]> {
  const server = await startNats();
  const results: BenchResult[] = [];
  try {
    for (const [label, size, count] of [['64 B', 64, 200_000], ['64 KiB', 65_536, 10_000]] as const) {
      const oursRates: number[] = [];
      const bareRates: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        oursRates.push(await ours(server.url, size, count));
        bareRates.push(await bare(server.url, size, count));
      }
      const [rate, floor] = [median(oursRates), median(bareRates)];
      results.push(result({ case: `nats ${label} messages`, unit: 'msg/s', betterIs: 'higher', ours: rate, peer: PEER, peerValue: floor }));
      results.push(result({ case: `nats ${label} bytes`, unit: 'MB/s', betterIs: 'higher', ours: (rate * size) / 1e6, peer: PEER, peerValue: (floor * size) / 1e6 }));
    }
  } finally {
    await server.stop();
  }
  return results;
}

// `node … bench/nats.ts` runs the NATS rows alone (and writes them to bench/results-nats.json).
if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) {
  report(join(import.meta.dirname, 'results-nats.json'), await natsResults());
}
