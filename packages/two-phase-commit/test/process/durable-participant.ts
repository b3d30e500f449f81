/**
 * A participant as a real process, on PostgreSQL's durable prepare (`PostgresResource` with
 * `durablePrepare`: no "prepared" record of its own) and an fsync'd write-ahead log for outcomes,
 * over TCP. For `durable-kill.test.ts`, which SIGKILLs it while a transaction is in doubt.
 *
 *   tsx --conditions=@lattice/source durable-participant.ts <id> <postgres url> <dataDir> <id=host:port,...> [abortHeldWithoutRecord]
 *
 * Prints "ready" once it serves, and "applied <type> <gid>" for each effect its resource carried out.
 */
import type { Timers } from '@lattice/core';
import { TcpTransport } from '@lattice/transport/tcp';
import { openWal } from '@lattice/wal';
import pg from 'pg';
import { Participant, PostgresResource } from '../../src/index.js';
import { legStatement, lockTimeoutOption } from './bank-schema.js';

const [id, url, dataDir, peerList, bug] = process.argv.slice(2);
if (id === undefined || url === undefined || dataDir === undefined || peerList === undefined) {
  console.error('usage: durable-participant <id> <postgres url> <dataDir> <id=host:port,...> [abortHeldWithoutRecord]');
  process.exit(2);
}
const peers = Object.fromEntries(peerList.split(',').map((pair) => pair.split('=') as [string, string]));
const [host, port] = peers[id]!.split(':') as [string, string];
// Timers that keep the process alive (the default ones are unref'd).
const timers: Timers = { setTimeout: (run, ms) => setTimeout(run, ms), clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout) };

const pool = new pg.Pool({ connectionString: url, max: 4, options: lockTimeoutOption(300) });
pool.on('error', () => undefined);
const transport = new TcpTransport({ secret: 'two-phase-durable-test-secret', peers, timers, reconnect: { initialDelayMs: 20, maxDelayMs: 200 } });
const participant = await Participant.open({
  endpoint: await transport.open(id, { listen: { host, port: Number(port) } }),
  log: await openWal(dataDir, { segmentSize: 1024 * 1024 }),
  resource: new PostgresResource({ pool, statements: legStatement, durablePrepare: true }),
  timers,
  inquiry: { initialMs: 100, maxMs: 500 },
  ...(bug === 'abortHeldWithoutRecord' ? { deliberateBugs: { abortHeldWithoutRecord: true } } : {}),
});
participant.on('applied', (effect) => console.log(`applied ${effect.type} ${effect.gid}`));
participant.on('error', (error) => {
  if (process.env["TWO_PHASE_DEBUG"]) console.error(`[${id}] ${error.code}: ${error.message}`, (error as { cause?: unknown }).cause);
});
console.log('ready');
