import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createConnection } from 'node:net';
import { systemTimers } from '@lattice/core';

const PROBE_TIMEOUT_MS = 1000;

/**
 * Connects to 127.0.0.1:`port`, writes `send` (if any) and resolves with what arrived once
 * `done(received)` holds; rejects on error, close or after a second.
 */
export function tcpExchange(port: number, send: string | undefined, done: (received: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let received = '';
    const finish = (error?: Error): void => {
      systemTimers.clearTimeout(timer);
      socket.destroy();
      if (error === undefined) resolve(received);
      else reject(error);
    };
    const timer = systemTimers.setTimeout(() => finish(new Error(`no answer on port ${port} within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
    socket.once('error', (error) => finish(error));
    socket.once('close', () => finish(new Error(`port ${port} closed the connection after ${JSON.stringify(received)}`)));
    socket.once('connect', () => {
      if (send !== undefined) socket.write(send);
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      if (done(received)) finish();
    });
  });
}

/** A Redis `PING` over a raw socket (inline command): true on `+PONG`. */
export async function redisPing(port: number): Promise<boolean> {
  const answer = await tcpExchange(port, 'PING\r\n', (received) => received.includes('\r\n'));
  return answer.startsWith('+PONG');
}

/** The `INFO {…}` line a NATS server sends first on every connection, parsed. */
export async function natsInfo(port: number): Promise<Record<string, unknown>> {
  const line = await tcpExchange(port, undefined, (received) => received.includes('\r\n'));
  if (!line.startsWith('INFO ')) throw new Error(`not a NATS INFO line: ${JSON.stringify(line)}`);
  return JSON.parse(line.slice(5, line.indexOf('\r\n'))) as Record<string, unknown>;
}

/** GETs http://127.0.0.1:`port``path`; resolves with status and body. */
export function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', timeout: PROBE_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} on port ${port} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** etcd's `/health`: true when the member answers `"health":"true"` (it has a leader). */
export async function etcdHealthy(clientPort: number): Promise<boolean> {
  const { status, body } = await httpGet(clientPort, '/health');
  return status === 200 && (JSON.parse(body) as { health?: unknown }).health === 'true';
}

/** Runs a program to completion; resolves with its exit code and output. */
export function run(command: string, args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.once('error', (error) => resolve({ code: null, output: output + error.message }));
    child.once('close', (code) => resolve({ code, output }));
  });
}
