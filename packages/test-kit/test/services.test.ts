import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  chromiumSkipReason,
  findChromium,
  etcdHealthy,
  httpGet,
  natsInfo,
  redisPing,
  run,
  serviceMissing,
  servicesRequired,
  ServiceUnavailableError,
  startEtcdCluster,
  startNatsCluster,
  startService,
} from '../src/index.js';
import { findServiceBinary } from '../src/binaries.js';
import { processRunning } from '../src/server-process.js';
import { describeWithService, serviceSkipReason } from '../src/vitest.js';

/** Resolves true when something accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('finding servers and deciding to skip', () => {
  it('names what to install when a server is not on the machine', () => {
    const reason = serviceMissing('redis', { PATH: '/nonexistent' });
    // redis-server lives in /usr/bin on Debian, which is searched only through PATH.
    if (existsSync('/usr/sbin/redis-server') || existsSync('/usr/local/sbin/redis-server')) return;
    expect(reason).toBe('Redis is not installed (no redis-server found): install it with `sudo apt-get install redis-server` (macOS: `brew install redis`)');
    expect(reason!.includes('\n')).toBe(false);
  });

  it('is a failure, not a skip, under CI or LATTICE_REQUIRE_SERVICES=1', () => {
    const missing = { PATH: '/nonexistent' };
    expect(servicesRequired({})).toBe(false);
    expect(servicesRequired({ CI: 'true' })).toBe(true);
    expect(servicesRequired({ CI: '1' })).toBe(true);
    expect(servicesRequired({ CI: 'false' })).toBe(false);
    expect(servicesRequired({ LATTICE_REQUIRE_SERVICES: '1' })).toBe(true);
    expect(serviceSkipReason('nats', { ...missing, CI: 'true' })).toBeUndefined();
    if (findServiceBinary('nats', 'nats-server', missing) === undefined) expect(serviceSkipReason('nats', missing)).toContain('apt-get install nats-server');
  });

  it('takes PostgreSQL from its versioned directory, off PATH', () => {
    const initdb = findServiceBinary('postgres', 'initdb', { PATH: '/nonexistent' });
    if (existsSync('/usr/lib/postgresql/15/bin/initdb')) expect(initdb).toBe('/usr/lib/postgresql/15/bin/initdb');
  });

  it('starting a service that is not installed throws ServiceUnavailableError with the install line', async () => {
    const saved = process.env['PATH'];
    process.env['PATH'] = '/nonexistent';
    try {
      if (findServiceBinary('redis') !== undefined) return; // installed in an sbin dir as well
      const error = await startService('redis').catch((e: unknown) => e);
      expect((error as ServiceUnavailableError).code).toBe(ServiceUnavailableError.code);
      expect((error as Error).message).toContain('apt-get install redis-server');
    } finally {
      process.env['PATH'] = saved;
    }
  });
});

describeWithService('redis', 'startService("redis")', (redis) => {
  it('answers PING on loopback, in a private dir', async () => {
    const { port, dir, url } = redis();
    expect(url).toBe(`redis://127.0.0.1:${port}`);
    expect(await redisPing(port)).toBe(true);
    expect(existsSync(dir)).toBe(true);
  });

  it('turns on the append-only file with appendfsync always when asked', async () => {
    const durable = await startService('redis', { appendonly: true, appendfsync: 'always' });
    try {
      const { tcpExchange } = await import('../src/probes.js');
      const answer = await tcpExchange(durable.port, 'CONFIG GET appendfsync\r\n', (r) => r.split('\r\n').length >= 5);
      expect(answer).toContain('always');
    } finally {
      await durable.stop();
    }
    expect(existsSync(durable.dir)).toBe(false);
    expect(await listening(durable.port)).toBe(false);
  });
});

describeWithService('redis', 'restarting redis on its port', () => {
  it('starts a second server on the port of a killed one', async () => {
    const first = await startService('redis');
    await first.kill();
    expect(await listening(first.port)).toBe(false);
    const second = await startService('redis', { port: first.port });
    try {
      expect(second.port).toBe(first.port);
      expect(await redisPing(second.port)).toBe(true);
    } finally {
      await second.stop();
      await first.stop();
    }
  });
});

describeWithService('postgres', 'startService("postgres")', (postgres) => {
  it('is ready for pg_isready on loopback, with fsync on and prepared transactions enabled', async () => {
    const pg = postgres();
    expect(pg.connectionString).toBe(`postgresql://postgres@127.0.0.1:${pg.port}/postgres`);
    const isReady = findServiceBinary('postgres', 'pg_isready')!;
    expect((await run(isReady, ['-h', '127.0.0.1', '-p', String(pg.port), '-U', 'postgres'])).code).toBe(0);
    const psql = findServiceBinary('postgres', 'psql');
    if (psql !== undefined) {
      const show = await run(psql, [pg.connectionString, '-At', '-c', 'SHOW max_prepared_transactions', '-c', 'SHOW fsync']);
      expect(show.output.trim().split('\n')).toEqual(['64', 'on']);
    }
  });

  it('restarts after a SIGKILL on the same data dir and port, with committed and prepared transactions recovered', async () => {
    const psql = findServiceBinary('postgres', 'psql');
    if (psql === undefined) return; // psql ships with the server on Debian; nothing to ask the server with
    const own = await startService('postgres');
    try {
      const sql = async (...commands: string[]) => (await run(psql, [own.connectionString, '-qAt', ...commands.flatMap((c) => ['-c', c])])).output.trim();
      await sql('CREATE TABLE t (v integer)', 'INSERT INTO t VALUES (1)');
      await sql('BEGIN; INSERT INTO t VALUES (2); PREPARE TRANSACTION \'survives\'');
      // A backend busy with a client dies with the server (each backend leads its own process group).
      const sleeping = run(psql, [own.connectionString, '-qAt', '-c', 'SELECT pg_sleep(60)']);
      let backend = 0;
      const deadline = performance.now() + 10_000;
      while (backend === 0 && performance.now() < deadline) {
        backend = Number(await sql("SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'"));
        if (backend === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(backend).toBeGreaterThan(0);
      await own.kill();
      expect(await listening(own.port)).toBe(false);
      expect(processRunning(backend)).toBe(false);
      await sleeping;
      await own.restart();
      expect(await sql('SELECT gid FROM pg_prepared_xacts')).toBe('survives');
      await sql("COMMIT PREPARED 'survives'");
      expect(await sql('SELECT string_agg(v::text, \',\' ORDER BY v) FROM t')).toBe('1,2');
      await own.restart(); // while running: killed first, then started again
      expect(await sql('SELECT count(*) FROM t')).toBe('2');
    } finally {
      await own.stop();
    }
    expect(existsSync(own.dir)).toBe(false);
  });

  it('stops and removes its data dir', async () => {
    const own = await startService('postgres');
    expect(existsSync(own.dir)).toBe(true);
    await own.stop();
    expect(existsSync(own.dir)).toBe(false);
    expect(await listening(own.port)).toBe(false);
  });
});

describeWithService('etcd', 'startService("etcd")', (etcd) => {
  it('reports healthy on /health and serves the v3 API', async () => {
    const member = etcd();
    expect(await etcdHealthy(member.port)).toBe(true);
    const version = JSON.parse((await httpGet(member.port, '/version')).body) as { etcdserver: string };
    expect(version.etcdserver).toMatch(/^3\.4\./);
  });

  it('runs a 3-member cluster that keeps a leader when one member dies', async () => {
    const cluster = await startEtcdCluster();
    try {
      expect(cluster.endpoints).toHaveLength(3);
      for (const member of cluster.members) expect(await etcdHealthy(member.port)).toBe(true);
      await cluster.members[0]!.kill();
      // The two survivors still form a quorum. If the dead member led, /health is false until
      // they elect a new leader (one election timeout), so poll against a deadline, not a count.
      let healthy = false;
      const deadline = performance.now() + 15_000;
      while (!healthy && performance.now() < deadline) {
        healthy = await etcdHealthy(cluster.members[1]!.port).catch(() => false);
        if (!healthy) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(healthy).toBe(true);
    } finally {
      await cluster.stop();
    }
    expect(existsSync(cluster.dir)).toBe(false);
  });
});

describeWithService('nats', 'startService("nats")', (nats) => {
  it('greets with its INFO line', async () => {
    const server = nats();
    const info = await natsInfo(server.port);
    expect(info['port']).toBe(server.port);
    expect(info['host']).toBe('127.0.0.1');
  });

  it('runs a 3-server cluster with a route between every pair', async () => {
    const cluster = await startNatsCluster();
    try {
      expect(cluster.urls).toHaveLength(3);
      for (const server of cluster.servers) {
        const routes = JSON.parse((await httpGet(server.monitorPort, '/routez')).body) as { num_routes: number };
        expect(routes.num_routes).toBe(2);
      }
      await cluster.servers[2]!.kill();
      expect(await listening(cluster.servers[2]!.port)).toBe(false);
      expect(typeof (await natsInfo(cluster.servers[0]!.port))['server_id']).toBe('string');
    } finally {
      await cluster.stop();
    }
    expect(existsSync(cluster.dir)).toBe(false);
  });
});

describe('finding Chromium', () => {
  it('takes CHROMIUM_PATH first and skips with one line when there is none, unless required', () => {
    expect(findChromium({ CHROMIUM_PATH: process.execPath })).toBe(process.execPath);
    if (findChromium({ CHROMIUM_PATH: '/nonexistent' }) === undefined) {
      expect(chromiumSkipReason({ CHROMIUM_PATH: '/nonexistent' })).toContain('apt-get install chromium');
    }
    expect(chromiumSkipReason({ CHROMIUM_PATH: '/nonexistent', CI: 'true' })).toBeUndefined();
  });
});
