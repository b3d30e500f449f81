/**
 * The pieces behind INFO's Raft fields, the cluster page and the demo's client: the node flags the
 * launcher writes and the node reads, the status recorder, the page's HTTP server, and the RESP client.
 */
import { createServer, type Server } from 'node:net';
import { InvalidArgumentError } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import type { RaftNode, RaftNodeEvents } from '@lattice/raft';
import { codeOf, freePort } from '@lattice/test-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ClusterPageState, startClusterPage } from '../src/lattice-kv/cluster-page.js';
import { KvStateMachine } from '../src/lattice-kv/kv-state-machine.js';
import { kvNodeFlagArgs, parseKvNodeFlags } from '../src/lattice-kv/node-flags.js';
import { NodeStatusRecorder } from '../src/lattice-kv/node-status.js';
import { RespClient, RespConnectionError } from '../src/lattice-kv/resp-client.js';

describe('node flags', () => {
  const id = fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/);
  const address = fc.tuple(fc.constantFrom('127.0.0.1', 'localhost'), fc.integer({ min: 1, max: 65_535 })).map(([host, port]) => `${host}:${port}`);
  it('reads back what the launcher writes', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            snapshotEvery: fc.nat(100_000),
            httpPort: fc.integer({ min: 0, max: 65_535 }),
            httpPeers: fc.dictionary(id, address, { minKeys: 1, maxKeys: 5 }),
            nats: fc.record({ url: address.map((a) => `nats://${a}`), cluster: id }),
          },
          { requiredKeys: [] },
        ),
        (flags) => {
          expect(parseKvNodeFlags(['a', '/tmp/a', '0', 'a=127.0.0.1:1', ...kvNodeFlagArgs(flags), '--lease-reads'])).toEqual(flags);
        },
      ),
    );
  });

  it('refuses malformed flags with InvalidArgumentError', () => {
    expect(codeOf(() => parseKvNodeFlags(['--snapshot-every=ten']))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => parseKvNodeFlags(['--snapshot-every=-1']))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => parseKvNodeFlags(['--http=1.5']))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => parseKvNodeFlags(['--http-peers=a=127.0.0.1:1,b']))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => parseKvNodeFlags(['--http-peers==x']))).toBe(InvalidArgumentError.code);
  });
});

/** Enough of a RaftNode for the recorder: a status to read and events to fire. */
function fakeRaft(initial: { firstIndex: number; lastIndex: number; applied: number }) {
  const listeners = new Map<string, ((value: never) => void)[]>();
  const state = { role: 'follower', term: 1, leader: '', commit: initial.applied, progress: new Map(), ...initial };
  const raft = {
    status: () => state,
    on: (event: string, listener: (value: never) => void) => {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
      return () => {};
    },
  } as unknown as Pick<RaftNode, 'status' | 'on'>;
  const emit = <K extends keyof RaftNodeEvents>(event: K, value: RaftNodeEvents[K]) => {
    for (const listener of listeners.get(event) ?? []) (listener as (v: RaftNodeEvents[K]) => void)(value);
  };
  return { raft, state, emit };
}

describe('NodeStatusRecorder', () => {
  it('tells its own snapshot at start from one the leader sends later, and coalesces commits on the strip', () => {
    const clock = new ManualClock();
    const recorder = new NodeStatusRecorder('b', clock, 'tcp');
    const machine = recorder.observe(new KvStateMachine());
    const donor = new KvStateMachine();
    machine.restore(donor.snapshot()); // RaftNode.start restores the node's own snapshot before attach
    const { raft, state, emit } = fakeRaft({ firstIndex: 101, lastIndex: 130, applied: 100 });
    recorder.attach(raft, () => 0);
    expect(recorder.infoFields()).toMatchObject({ boot_snapshot_index: 100, boot_last_index: 130, snapshots_installed: 0, installed_snapshot_index: 0 });

    emit('leader', { role: 'follower', term: 2, leader: 'a' });
    emit('applied', { index: 110 });
    clock.advance(50);
    emit('applied', { index: 130 }); // within one mark's span: the same mark
    clock.advance(500);
    Object.assign(state, { firstIndex: 401, lastIndex: 400, applied: 400, commit: 400 });
    machine.restore(donor.snapshot()); // a snapshot the leader sent
    emit('applied', { index: 405 });
    const status = recorder.status();
    expect(status).toMatchObject({ snapshotsInstalled: 1, installedSnapshotIndex: 400, bootLastIndex: 130 });
    expect(status.events.map((event) => event.kind)).toEqual(['start', 'role', 'commit', 'snapshot-installed', 'commit']);
    expect(status.events[2]).toMatchObject({ kind: 'commit', index: 130, entries: 30 });
    expect(status.events[4]).toMatchObject({ kind: 'commit', index: 405, entries: 5 });
  });

  it('keeps a bounded history', () => {
    const clock = new ManualClock();
    const recorder = new NodeStatusRecorder('a', clock, 'nats');
    const { raft, emit } = fakeRaft({ firstIndex: 1, lastIndex: 0, applied: 0 });
    recorder.attach(raft, () => 0);
    for (let i = 1; i <= 2000; i++) {
      clock.advance(1000);
      emit('applied', { index: i });
    }
    const events = recorder.status().events;
    expect(events.length).toBe(400);
    expect(events.at(-1)).toMatchObject({ kind: 'commit', index: 2000 });
    expect(recorder.status().transport).toBe('nats');
  });
});

describe('the cluster page server', () => {
  it('serves the page and marks a node that does not answer as down', async () => {
    const clock = new ManualClock();
    const recorder = new NodeStatusRecorder('a', clock, 'tcp');
    const nobody = await freePort();
    const port = await freePort();
    const server = await startClusterPage({ id: 'a', status: () => recorder.status(), peers: { a: `127.0.0.1:${port}`, b: `127.0.0.1:${nobody}` }, port });
    try {
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<tbody id="nodes">');
      const state = (await (await fetch(`http://127.0.0.1:${port}/cluster.json`)).json()) as ClusterPageState;
      expect(state.servedBy).toBe('a');
      expect(state.nodes.map((node) => [node.id, node.up])).toEqual([
        ['a', true],
        ['b', false],
      ]);
      expect((await fetch(`http://127.0.0.1:${port}/nothing`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/`, { method: 'POST' })).status).toBe(405);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('RespClient', () => {
  async function serve(reply: (socket: import('node:net').Socket) => void): Promise<{ server: Server; port: number }> {
    const server = createServer(reply);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    return { server, port: typeof address === 'object' && address !== null ? address.port : 0 };
  }

  it('parses replies split anywhere, in order', async () => {
    const replies = '+OK\r\n-ERR no\r\n:42\r\n$5\r\nhello\r\n$-1\r\n*3\r\n$1\r\na\r\n*1\r\n:1\r\n$-1\r\n';
    const { server, port } = await serve((socket) => {
      let sent = false;
      socket.on('data', () => {
        if (sent) return;
        sent = true;
        for (let i = 0; i < replies.length; i += 3) socket.write(replies.slice(i, i + 3));
      });
    });
    const client = await RespClient.connect(port);
    try {
      const results = await Promise.all([client.send('A'), client.send('B'), client.send('C'), client.send('D'), client.send('E'), client.send('F')]);
      expect(results).toEqual(['OK', { error: 'ERR no' }, 42, 'hello', null, ['a', [1], null]]);
    } finally {
      client.close();
      server.close();
    }
  });

  it('fails pending commands with RespConnectionError on garbage or a closed connection', async () => {
    const { server, port } = await serve((socket) => socket.on('data', () => socket.write('?what\r\n')));
    const client = await RespClient.connect(port);
    try {
      const error = await client.send('PING').catch((e: unknown) => e);
      expect((error as RespConnectionError).code).toBe(RespConnectionError.code);
      const after = await client.send('PING').catch((e: unknown) => e);
      expect((after as RespConnectionError).code).toBe(RespConnectionError.code);
    } finally {
      client.close();
      server.close();
    }
    const refused = await RespClient.connect(await freePort()).catch((e: unknown) => e);
    expect((refused as RespConnectionError).code).toBe(RespConnectionError.code);
  });
});
