/**
 * One node of the benchmark's Raft KV cluster, as its own process: `RaftNode` over TCP on
 * loopback with an fsync'd WAL (`openWal`), serving clients over a small binary protocol on a
 * persistent TCP socket (see `kv-protocol.ts`), pipelined like etcd's gRPC over HTTP/2.
 *
 *   node --conditions=@lattice/source --import tsx kv-node.ts <id> <dataDir> <clientPort> <id=host:port,...>
 *
 * Prints "ready <id>" once it serves. SIGTERM exits cleanly (so `--cpu-prof` writes its profile).
 */
import { createServer, type Socket } from 'node:net';
import { isLatticeError } from '@lattice/core';
import { TcpTransport } from '@lattice/transport/tcp';
import { openWal } from '@lattice/wal';
import { RaftNode } from '../src/index.js';
import { BinaryKv } from './binary-kv.js';
import { FrameReader, Op, Status, writeResponse } from './kv-protocol.js';

const [id, dataDir, clientPort, peerList] = process.argv.slice(2);
if (id === undefined || dataDir === undefined || clientPort === undefined || peerList === undefined) {
  console.error('usage: kv-node <id> <dataDir> <clientPort> <id=host:port,...>');
  process.exit(2);
}
const peers = Object.fromEntries(peerList.split(',').map((pair) => pair.split('=') as [string, string]));
const [host, port] = peers[id]!.split(':') as [string, string];

const transport = new TcpTransport({ secret: 'raft-bench-cluster-secret-0123456789', peers });
const endpoint = await transport.open(id, { listen: { host, port: Number(port) } });
const log = await openWal(dataDir);
const machine = new BinaryKv();
// etcd's defaults: 100 ms heartbeats, 1 s election timeout, a snapshot every 100,000 entries (--snapshot-count).
const node = await RaftNode.start({
  endpoint,
  log,
  stateMachine: machine,
  voters: Object.keys(peers),
  electionTimeoutMs: 1000,
  heartbeatIntervalMs: 100,
  snapshotEvery: 100_000,
});
node.on('error', (error) => {
  if (process.env.RAFT_DEBUG) console.error(`[${id}] ${error.code}: ${error.message}`);
});
node.on('leader', ({ role, term, leader }) => {
  if (process.env.RAFT_DEBUG) console.error(`[${id}] ${new Date().toISOString()} ${role} in term ${term}, leader "${leader}"`);
});

const encoder = new TextEncoder();
const server = createServer((socket: Socket) => {
  socket.setNoDelay(true);
  const reader = new FrameReader();
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    for (const frame of reader.push(chunk)) {
      if (frame.op === Op.Put) {
        node.propose(frame.body).then(
          (index) => writeResponse(socket, frame.id, Status.Ok, index),
          (error: unknown) => writeResponse(socket, frame.id, Status.Failed, 0, encoder.encode(isLatticeError(error) ? error.code : String(error))),
        );
      } else if (frame.op === Op.Status) {
        writeResponse(socket, frame.id, Status.Ok, 0, encoder.encode(JSON.stringify({ role: node.role, leader: node.leader })));
      } else {
        writeResponse(socket, frame.id, Status.Failed, 0, encoder.encode('unknown op'));
      }
    }
  });
});
server.listen(Number(clientPort), '127.0.0.1', () => console.log(`ready ${id}`));

const shutdown = () => {
  server.close();
  void node
    .stop()
    .then(() => log.close())
    .finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
