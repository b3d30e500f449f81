import { type Endpoint, jsonCodec, sleep, systemTimers } from '@lattice/core';
import { ShivizLog, type VectorClockJson } from '@lattice/clocks';
import { HandshakeError, TcpTransport } from '@lattice/transport/tcp';

/** A message of the demo: text plus the sender's vector clock (for the ShiViz log). */
interface Note {
  text: string;
  clock: VectorClockJson;
}

/** What {@link runTcpClusterDemo} reports, for the test and the summary line. */
export interface TcpClusterDemoReport {
  delivered: number;
  rejectedIntruders: number;
  queuedWhileDown: number;
  deliveredAfterRestart: number;
  shiviz: string;
}

const NODES = ['alpha', 'beta', 'gamma'] as const;

/**
 * Three nodes on loopback TCP exchange messages; an intruder without the cluster secret is
 * refused; gamma crashes, the others keep sending to it, and when it restarts at the same
 * address the messages that waited in their send queues arrive. Every send and receive is
 * recorded in a ShiViz log (paste it into the ShiViz visualiser to see the space-time diagram).
 */
export async function runTcpClusterDemo(log: (line: string) => void = console.log): Promise<TcpClusterDemoReport> {
  const codec = jsonCodec<Note>();
  const secret = 'lattice-demo-cluster-secret';
  const transport = new TcpTransport({ secret, reconnect: { initialDelayMs: 25, maxDelayMs: 200 } });
  const shiviz = new ShivizLog();
  const processes = new Map(NODES.map((id) => [id, shiviz.process(id)]));
  const endpoints = new Map<string, Endpoint>();
  const inbox: string[] = [];
  let delivered = 0;
  let rejectedIntruders = 0;

  const attach = (endpoint: Endpoint): void => {
    endpoints.set(endpoint.id, endpoint);
    endpoint.onMessage((message) => {
      const note = codec.decode(message.payload);
      processes.get(endpoint.id as (typeof NODES)[number])!.receive(note.clock, `${endpoint.id} received "${note.text}" from ${message.from}`);
      delivered++;
      inbox.push(`${message.from}->${endpoint.id}: ${note.text}`);
      log(`  ${endpoint.id.padEnd(5)} <- ${message.from.padEnd(5)} "${note.text}"`);
    });
    endpoint.onError((error) => {
      if (error.code === HandshakeError.code && endpoint.id === 'alpha') rejectedIntruders++;
      log(`  ${endpoint.id.padEnd(5)} !! ${error.code}: ${error.message}`);
    });
  };
  const send = async (from: string, to: string, text: string): Promise<void> => {
    const clock = processes.get(from as (typeof NODES)[number])!.send(`${from} sends "${text}" to ${to}`);
    await endpoints.get(from)!.send(to, codec.encode({ text, clock }));
  };
  const waitFor = async (what: string, condition: () => boolean): Promise<void> => {
    for (let waited = 0; !condition(); waited += 10) {
      if (waited > 10_000) throw new Error(`demo: timed out waiting for ${what}`);
      await sleep(systemTimers, 10);
    }
  };

  try {
    log('1. Three nodes start on loopback TCP and greet each other');
    for (const id of NODES) attach(await transport.open(id));
    for (const id of NODES) log(`  ${id.padEnd(5)} listens on ${transport.addressOf(id)!.host}:${transport.addressOf(id)!.port}`);
    for (const from of NODES) for (const to of NODES) if (from !== to) await send(from, to, `hello from ${from}`);
    await waitFor('greetings', () => delivered === 6);

    log('2. Fault: an intruder without the cluster secret connects to alpha');
    const intruder = new TcpTransport({ secret: 'guessed-secret-0000000000', peers: { alpha: transport.addressOf('alpha')! } });
    const mallory = await intruder.open('mallory');
    mallory.onError((error) => log(`  mallory !! ${error.code}: ${error.message}`));
    await mallory.send('alpha', codec.encode({ text: 'let me in', clock: {} }));
    await waitFor('the intruder to be refused', () => rejectedIntruders > 0);
    await intruder.close();

    log('3. Fault: gamma crashes; alpha and beta keep sending to it');
    const gammaAddress = transport.addressOf('gamma')!;
    await endpoints.get('gamma')!.close();
    await sleep(systemTimers, 50); // let the peers notice the dead connections
    const before = delivered;
    for (let i = 1; i <= 3; i++) {
      await send('alpha', 'gamma', `update ${i} while gamma is down`);
      await send('beta', 'gamma', `update ${i} while gamma is down`);
    }
    await send('alpha', 'beta', 'gamma is down, carrying on');
    await waitFor('alpha -> beta while gamma is down', () => delivered === before + 1);
    const queuedWhileDown = 6;

    log('4. Recovery: gamma restarts at the same address; queued messages arrive');
    attach(await transport.open('gamma', { listen: { port: gammaAddress.port } }));
    await waitFor('the queued messages', () => delivered === before + 1 + queuedWhileDown);
    const deliveredAfterRestart = inbox.filter((line) => line.endsWith('while gamma is down')).length;
    await send('gamma', 'alpha', 'back, and caught up');
    await waitFor('gamma -> alpha', () => inbox.some((line) => line.startsWith('gamma->alpha: back')));

    log(`Done: ${delivered} messages delivered, ${rejectedIntruders} intruder refused, ${deliveredAfterRestart}/${queuedWhileDown} queued messages delivered after the restart.`);
    return { delivered, rejectedIntruders, queuedWhileDown, deliveredAfterRestart, shiviz: shiviz.toString() };
  } finally {
    await transport.close();
  }
}
