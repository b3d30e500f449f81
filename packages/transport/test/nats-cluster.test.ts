import { type Envelope, isLatticeError, type LatticeError, sleep, systemClock, systemTimers } from '@lattice/core';
import { type NatsCluster, startNatsCluster } from '@lattice/test-kit';
import { serviceSkipReason } from '@lattice/test-kit/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsConnectionError, type NatsEndpoint, NatsTransport } from '../src/nats/index.js';

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = systemClock.monotonic() + timeoutMs;
  while (!(await condition())) {
    if (systemClock.monotonic() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(systemTimers, 20);
  }
}

/** Sends until one copy arrives: right after a subscription or a reconnect, the cluster's routes may not know it yet. */
async function deliverEventually(from: NatsEndpoint, to: NatsEndpoint, text: string, timeoutMs: number): Promise<void> {
  let got = false;
  const off = to.onMessage((m) => {
    if (decode(m.payload) === text) got = true;
  });
  try {
    await eventually(
      async () => {
        if (!got) await from.send(to.id, encode(text)).catch(() => undefined);
        return got;
      },
      timeoutMs,
      `"${text}" from ${from.id} to ${to.id}`,
    );
  } finally {
    off();
  }
}

/** Counts the numbered messages an endpoint receives from `from`, and how many arrived twice. */
function counter(endpoint: NatsEndpoint, from: string): { received: () => number; duplicates: () => number } {
  const seen = new Set<number>();
  let duplicates = 0;
  endpoint.onMessage((m: Envelope) => {
    if (m.from !== from) return;
    const text = decode(m.payload);
    if (!text.startsWith('load ')) return;
    const seq = Number(text.slice(5));
    if (seen.has(seq)) duplicates++;
    seen.add(seq);
  });
  return { received: () => seen.size, duplicates: () => duplicates };
}

const skip = serviceSkipReason('nats');
if (skip !== undefined) process.stderr.write(`[skip] NatsTransport on a 3-server NATS cluster: ${skip}\n`);

describe.skipIf(skip !== undefined)('NatsTransport on a 3-server NATS cluster', () => {
  let cluster: NatsCluster;
  const transports: NatsTransport[] = [];
  beforeAll(async () => {
    cluster = await startNatsCluster();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(transports.map((t) => t.close()));
    await cluster?.stop();
  }, 30_000);

  it('keeps messages flowing between endpoints on surviving servers when one server is killed under load, and the endpoint on it reconnects to another', { timeout: 60_000 }, async () => {
    const urls = cluster.urls;
    // Each transport is connected first to its own server, and knows all three to fail over to.
    for (let i = 0; i < 3; i++) {
      transports.push(new NatsTransport({ cluster: 'ha', connect: { servers: [urls[i]!, ...urls.filter((_, j) => j !== i)], noRandomize: true, reconnectTimeWait: 50 } }));
    }
    const [a, b, c] = [await transports[0]!.open('a'), await transports[1]!.open('b'), await transports[2]!.open('c')];
    for (const [from, to] of [[a, b], [b, a], [c, a], [a, c]] as const) await deliverEventually(from, to, `hello ${to.id}`, 10_000);

    const atB = counter(b, 'a');
    const atA = counter(a, 'b');
    const cErrors: LatticeError[] = [];
    c.onError((e) => cErrors.push(e));
    let running = true;
    const load = async (from: NatsEndpoint, to: string): Promise<number> => {
      let sent = 0;
      const until = systemClock.monotonic() + 20_000; // bounded even if the test fails early
      while (running && systemClock.monotonic() < until) {
        await from.send(to, encode(`load ${sent++}`));
        if (sent % 50 === 0) await sleep(systemTimers, 1);
      }
      return sent;
    };
    const loads = [load(a, 'b'), load(b, 'a')];
    await eventually(() => atB.received() > 200 && atA.received() > 200, 10_000, 'load to flow');

    await cluster.servers[2]!.kill();
    const [bAtKill, aAtKill] = [atB.received(), atA.received()];
    await eventually(() => cErrors.some((e) => isLatticeError(e, NatsConnectionError.code) && (e as NatsConnectionError).event === 'disconnect'), 10_000, 'c to report the disconnect');
    await eventually(() => atB.received() > bAtKill + 1_000 && atA.received() > aAtKill + 1_000, 10_000, 'a and b to keep exchanging after the kill');

    // c's server stays dead: delivery both ways proves c moved to one of the other two.
    await deliverEventually(c, a, 'c is back', 20_000);
    await deliverEventually(a, c, 'welcome back, c', 20_000);

    running = false;
    const [sentToB, sentToA] = (await Promise.all(loads)) as [number, number];
    await eventually(() => atB.received() >= sentToB && atA.received() >= sentToA, 10_000, 'the last messages in flight').catch(() => undefined);
    expect(atB.duplicates() + atA.duplicates()).toBe(0);
    // a and b never lost their servers: nothing between them is lost either.
    expect(atB.received()).toBe(sentToB);
    expect(atA.received()).toBe(sentToA);
    expect(a.closed || b.closed || c.closed).toBe(false);
  });
});
