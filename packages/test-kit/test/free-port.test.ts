import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../src/index.js';
import { freePorts } from '../src/server-process.js';

const ephemeralLow = (() => {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return 49152;
  }
})();

describe('freePort', () => {
  it('hands out listenable ports below the range outgoing connections draw from, never one twice', async () => {
    const ports = await freePorts(200);
    expect(new Set(ports).size).toBe(200);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(ephemeralLow);
    }
    const again = await freePort();
    expect(ports).not.toContain(again);
    // Each is free: a server binds it.
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(again, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
