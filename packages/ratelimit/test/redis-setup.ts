/**
 * vitest globalSetup: starts a throwaway redis-server on loopback for the Redis tests (or uses
 * REDIS_URL when set) and stops it afterwards. When redis-server is missing it does not throw
 * (the memory tests still run) but hands the reason to the Redis tests, which then fail with it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    redisError: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fromEnv = process.env['REDIS_URL'];
  if (fromEnv !== undefined && fromEnv !== '') {
    project.provide('redisUrl', fromEnv);
    project.provide('redisError', '');
    return async () => undefined;
  }
  const which = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (which.error !== undefined || which.status !== 0) {
    project.provide('redisUrl', '');
    project.provide('redisError', 'redis-server is not installed: install it (apt-get install -y redis-server) or set REDIS_URL; the Redis tests cannot run without a real Redis');
    return async () => undefined;
  }
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  try {
    await waitForPing(port, child, 10_000);
  } catch (error) {
    child.kill('SIGKILL');
    project.provide('redisUrl', '');
    project.provide('redisError', `redis-server did not start: ${(error as Error).message}\n${output.slice(-2000)}`);
    return async () => undefined;
  }
  project.provide('redisUrl', `redis://127.0.0.1:${port}`);
  project.provide('redisError', '');
  return async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPing(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    try {
      if (await ping(port)) return;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no PONG on port ${port} within ${timeoutMs} ms (${lastError})`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('PING timed out'));
    }, 1000);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
  });
}
