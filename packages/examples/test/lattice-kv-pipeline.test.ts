/**
 * The RESP server's pipelining rules, over a backend whose writes and read barriers settle when
 * the test says: replies leave in order, a read never sees a later write of its connection, and
 * writes are proposed in their connection's order even when the node becomes leader meanwhile.
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { encodeKvCommand, type KvCommand, KvStateMachine } from '../src/lattice-kv/kv-state-machine.js';
import type { Reply } from '../src/lattice-kv/resp.js';
import { startRespServer } from '../src/lattice-kv/resp-server.js';

interface Held {
  command: KvCommand;
  release(): void;
}

async function withControlledServer(body: (io: { send(text: string): void; received(): string; proposed: Held[]; barriers: (() => void)[]; setLeader(leader: boolean): void; settle(): Promise<void> }) => Promise<void>) {
  const machine = new KvStateMachine();
  const proposed: Held[] = [];
  const barriers: (() => void)[] = [];
  let leader = false;
  let now = 1000;
  const server = await startRespServer(
    {
      machine,
      leaseReads: false,
      pipelineWrites: () => leader,
      propose: (command) =>
        new Promise<Reply>((resolve) => {
          proposed.push({ command, release: () => resolve(machine.apply(encodeKvCommand(now++, command))) });
        }),
      readBarrier: () => new Promise<void>((resolve) => barriers.push(resolve)),
      info: () => ({}),
    },
    0,
  );
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const socket: Socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk.toString('latin1');
  });
  await new Promise((resolve) => socket.once('connect', resolve));
  const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 50));
  try {
    await body({ send: (text) => socket.write(text), received: () => received, proposed, barriers, setLeader: (value) => (leader = value), settle });
  } finally {
    socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('lattice-kv RESP pipelining', () => {
  it('proposes a connection’s writes in order when the node becomes leader while one still waits its turn', async () => {
    await withControlledServer(async ({ send, received, proposed, setLeader, settle }) => {
      send('SET k 1\r\nSET k 2\r\n'); // a follower: SET k 2 waits for SET k 1
      await settle();
      expect(proposed.map((held) => held.command)).toEqual([{ op: 'set', key: 'k', value: '1' }]);
      setLeader(true);
      send('SET k 3\r\n'); // must not overtake SET k 2
      await settle();
      expect(proposed).toHaveLength(1);
      proposed[0]!.release();
      await settle();
      expect(proposed.map((held) => (held.command as { value: string }).value)).toEqual(['1', '2']);
      proposed[1]!.release();
      await settle();
      expect(proposed.map((held) => (held.command as { value: string }).value)).toEqual(['1', '2', '3']);
      proposed[2]!.release();
      await settle();
      expect(received()).toBe('+OK\r\n+OK\r\n+OK\r\n');
    });
  });

  it('at the leader proposes a pipeline’s writes at once, shares a barrier among its reads, and serves each read before later writes', async () => {
    await withControlledServer(async ({ send, received, proposed, barriers, setLeader, settle }) => {
      setLeader(true);
      send('SET k 1\r\nSET j 1\r\nGET k\r\nGET j\r\nSET k 2\r\nGET k\r\n');
      await settle();
      expect(proposed).toHaveLength(2); // SET k 2 waits: GET k before it must not see it
      for (const held of proposed) held.release();
      await settle();
      expect(barriers.length).toBeGreaterThanOrEqual(1);
      for (const release of barriers.splice(0)) release();
      await settle();
      expect(proposed).toHaveLength(3);
      proposed[2]!.release();
      await settle();
      for (const release of barriers.splice(0)) release();
      await settle();
      expect(received()).toBe('+OK\r\n+OK\r\n$1\r\n1\r\n$1\r\n1\r\n+OK\r\n$1\r\n2\r\n');
    });
  });
});
