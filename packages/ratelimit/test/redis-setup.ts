/**
 * vitest globalSetup: starts a throwaway redis-server on loopback for the Redis tests (or uses
 * REDIS_URL when set) and stops it afterwards. When redis-server is missing or does not start,
 * it does not throw (the memory tests still run) but hands the reason to the Redis tests, which
 * then fail with it — they are never skipped silently.
 */
import type { TestProject } from 'vitest/node';
import { startRedisServer } from './redis-server.js';

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
  try {
    const server = await startRedisServer();
    project.provide('redisUrl', server.url);
    project.provide('redisError', '');
    return () => server.stop();
  } catch (error) {
    project.provide('redisUrl', '');
    project.provide('redisError', (error as Error).message);
    return async () => undefined;
  }
}
