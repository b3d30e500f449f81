/**
 * One Raft KV node as a real process: `RaftNode` over TCP on loopback with an fsync'd WAL,
 * and a small HTTP API for clients (PUT/append through Raft, GET after a linearizable read).
 *
 *   tsx --conditions=@lattice/source kv-server.ts <id> <dataDir> <httpPort> <id=host:port,...>
 *
 * Prints "ready <id>" once it serves. Answers: 200 with the value, 503 when this node cannot
 * take the request (no leader, dropped: not applied), 504 when the outcome is unknown.
 */
import { createServer } from 'node:http';
import { isLatticeError, TimeoutError } from '@lattice/core';
import { TcpTransport } from '@lattice/transport/tcp';
import { openWal } from '@lattice/wal';
import { RaftNode } from '../../src/index.js';
import { encodeKvCommand, KvStateMachine } from '../kv-state-machine.js';

const [id, dataDir, httpPort, peerList] = process.argv.slice(2);
if (id === undefined || dataDir === undefined || httpPort === undefined || peerList === undefined) {
  console.error('usage: kv-server <id> <dataDir> <httpPort> <id=host:port,...>');
  process.exit(2);
}
const peers = Object.fromEntries(peerList.split(',').map((pair) => pair.split('=') as [string, string]));
const own = peers[id]!;
const [host, port] = own.split(':') as [string, string];

const transport = new TcpTransport({ secret: 'raft-kill-test-cluster-secret', peers });
const endpoint = await transport.open(id, { listen: { host, port: Number(port) } });
const log = await openWal(dataDir);
const machine = new KvStateMachine();
const node = await RaftNode.start({
  endpoint,
  log,
  stateMachine: machine,
  voters: Object.keys(peers),
  electionTimeoutMs: 300,
  heartbeatIntervalMs: 50,
  snapshotEvery: 200,
  requestTimeoutMs: 1500,
});
node.on('error', (error) => {
  if (process.env.RAFT_DEBUG) console.error(`[${id}] ${error.code}: ${error.message}`);
});

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const key = url.searchParams.get('key') ?? '';
  const answer = (status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(body);
  };
  const failed = (error: unknown) => {
    if (isLatticeError(error, TimeoutError.code)) answer(504, error.message);
    else answer(503, isLatticeError(error) ? error.code : String(error));
  };
  if (url.pathname === '/status') {
    const s = node.status();
    answer(200, JSON.stringify({ role: s.role, term: s.term, leader: s.leader, commit: s.commit, applied: s.applied }));
  } else if (url.pathname === '/get') {
    node.read().then(() => answer(200, machine.get(key)), failed);
  } else if (url.pathname === '/put' || url.pathname === '/append') {
    const value = url.searchParams.get('value') ?? '';
    node.propose(encodeKvCommand({ op: url.pathname === '/put' ? 'put' : 'append', key, value })).then((v) => answer(200, v), failed);
  } else {
    answer(404, 'unknown path');
  }
});
server.keepAliveTimeout = 60_000;
server.listen(Number(httpPort), '127.0.0.1', () => console.log(`ready ${id}`));
