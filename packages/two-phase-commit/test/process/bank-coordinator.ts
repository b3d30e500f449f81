/**
 * The bank's coordinator as a real process: a `Coordinator` on an fsync'd write-ahead log, over
 * TCP to the bank participants, and a small HTTP API for the client.
 *
 *   tsx --conditions=@lattice/source bank-coordinator.ts <dataDir> <httpPort> <coordinator=host:port,bank-0=host:port,...>
 *
 * Prints "ready" once it serves. `POST /transfer?id=&from=<bank>&fromAccount=&to=<bank>&toAccount=&amount=`
 * answers 200 with "committed" or "aborted" once the outcome is final (a commit: durable in the
 * log); `GET /status` the transactions it still holds.
 */
import { createServer } from 'node:http';
import { isLatticeError, type Timers } from '@lattice/core';
import { TcpTransport } from '@lattice/transport/tcp';
import { openWal } from '@lattice/wal';
import { Coordinator } from '../../src/index.js';
import { encodeLeg } from './bank-schema.js';

const [dataDir, httpPort, peerList] = process.argv.slice(2);
if (dataDir === undefined || httpPort === undefined || peerList === undefined) {
  console.error('usage: bank-coordinator <dataDir> <httpPort> <id=host:port,...>');
  process.exit(2);
}
const peers = Object.fromEntries(peerList.split(',').map((pair) => pair.split('=') as [string, string]));
const [host, port] = peers['coordinator']!.split(':') as [string, string];
// Timers that keep the process alive (the default ones are unref'd).
const timers: Timers = { setTimeout: (run, ms) => setTimeout(run, ms), clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout) };

const transport = new TcpTransport({ secret: 'two-phase-bank-test-secret', peers, timers, reconnect: { initialDelayMs: 20, maxDelayMs: 200 } });
const endpoint = await transport.open('coordinator', { listen: { host, port: Number(port) } });
const log = await openWal(dataDir, { segmentSize: 1024 * 1024 });
const coordinator = await Coordinator.open({
  endpoint,
  log,
  timers,
  voteTimeoutMs: 2000,
  retry: { initialMs: 50, maxMs: 500 },
  announceForgotten: process.env['BANK_COMPACTION'] === '1',
});
coordinator.on('error', (error) => {
  if (process.env['TWO_PHASE_DEBUG']) console.error(`[coordinator] ${error.code}: ${error.message}`);
});

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const answer = (status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(body);
  };
  if (url.pathname === '/status') {
    answer(200, JSON.stringify({ active: coordinator.core.activeCount, inDoubt: coordinator.core.inDoubt() }));
    return;
  }
  if (url.pathname !== '/transfer' || req.method !== 'POST') {
    answer(404, 'unknown path');
    return;
  }
  const q = (name: string) => url.searchParams.get(name) ?? '';
  const id = q('id');
  const amount = Number(q('amount'));
  const work = new Map([
    [q('from'), encodeLeg({ transfer: id, account: q('fromAccount'), delta: -amount })],
    [q('to'), encodeLeg({ transfer: id, account: q('toAccount'), delta: amount })],
  ]);
  coordinator.transaction(work, { gid: id }).then(
    (result) => answer(200, result.outcome),
    (error: unknown) => answer(isLatticeError(error) ? 400 : 500, isLatticeError(error) ? error.code : String(error)),
  );
});
server.keepAliveTimeout = 60_000;
server.listen(Number(httpPort), '127.0.0.1', () => console.log('ready'));
