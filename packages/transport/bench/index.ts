// Loopback throughput of the TCP transport (and MemoryNetwork), beside a bare `node:net` pipe of
// length-prefixed frames: the floor any framing over TCP can reach, so the ratio shows our overhead.
// Then the NATS transport beside the bare NATS client (bench/nats.ts).
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { type BenchResult, report, result } from '@lattice/bench-kit';
import { serviceMissing } from '@lattice/test-kit';
import type { Endpoint } from '@lattice/core';
import { MemoryNetwork } from '../src/index.js';
import { TcpTransport } from '../src/tcp/index.js';
import { natsResults } from './nats.js';

const WINDOW = 256; // messages in flight before the sender waits, for both sides alike

async function pump(sendOne: (i: number) => unknown, received: () => number, count: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    await sendOne(i);
    if (i - received() > WINDOW) await until(() => i - received() <= WINDOW / 2);
  }
  await until(() => received() >= count);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function until(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (condition() ? resolve() : setImmediate(check));
    check();
  });
}

async function lattice(make: () => Promise<[Endpoint, Endpoint, () => Promise<void>]>, size: number, count: number): Promise<number> {
  const [a, b, close] = await make();
  let got = 0;
  b.onMessage(() => got++);
  const payload = new Uint8Array(size);
  // warm-up: establish the connection
  await a.send(b.id, payload);
  await until(() => got === 1);
  got = 0;
  const seconds = await pump(() => a.send(b.id, payload), () => got, count);
  await close();
  return count / seconds;
}

async function rawNet(size: number, count: number): Promise<number> {
  let got = 0;
  let pending: Buffer = Buffer.alloc(0);
  const server = createServer((socket) =>
    socket.on('data', (chunk: Buffer) => {
      pending = pending.byteLength ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.byteLength >= 4) {
        const length = pending.readUInt32BE(0);
        if (pending.byteLength < 4 + length) break;
        got++;
        pending = pending.subarray(4 + length);
      }
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const socket: Socket = connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise((resolve) => socket.once('connect', resolve));
  const frame = Buffer.alloc(4 + size);
  frame.writeUInt32BE(size, 0);
  const seconds = await pump(() => socket.write(frame), () => got, count);
  socket.destroy();
  await new Promise((resolve) => server.close(resolve));
  return count / seconds;
}

const tcp = async (): Promise<[Endpoint, Endpoint, () => Promise<void>]> => {
  const transport = new TcpTransport({ secret: 'benchmark-secret-0123456789' });
  return [await transport.open('a'), await transport.open('b'), () => transport.close()];
};
const memory = async (): Promise<[Endpoint, Endpoint, () => Promise<void>]> => {
  const network = new MemoryNetwork();
  return [await network.open('a'), await network.open('b'), () => network.close()];
};

const results: BenchResult[] = [];
for (const [label, size, count] of [['64 B', 64, 200_000], ['64 KiB', 65_536, 20_000]] as const) {
  const rounds = 3;
  const ours: number[] = [];
  const peer: number[] = [];
  for (let round = 0; round < rounds; round++) {
    ours.push(await lattice(tcp, size, count));
    peer.push(await rawNet(size, count));
  }
  const median = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1]!;
  const oursRate = median(ours);
  const peerRate = median(peer);
  results.push(result({ case: `tcp ${label} messages`, unit: 'msg/s', betterIs: 'higher', ours: oursRate, peer: 'raw node:net framing', peerValue: peerRate }));
  results.push(result({ case: `tcp ${label} bytes`, unit: 'MB/s', betterIs: 'higher', ours: (oursRate * size) / 1e6, peer: 'raw node:net framing', peerValue: (peerRate * size) / 1e6 }));
  results.push(result({ case: `memory ${label} messages`, unit: 'msg/s', betterIs: 'higher', ours: await lattice(memory, size, count), peer: null }));
}
// NATS rows beside the TCP ones: a private nats-server (skipped with a line when none is installed).
if (serviceMissing('nats') === undefined) results.push(...(await natsResults()));
else console.log(`nats rows skipped: ${serviceMissing('nats')}`);
report(join(import.meta.dirname, 'results.json'), results);
