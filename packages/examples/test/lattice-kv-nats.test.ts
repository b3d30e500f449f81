/**
 * lattice-kv with Raft over NATS (`--transport nats`): three node processes whose Raft messages
 * go through a real nats-server, driven over the Redis protocol.
 */
import { describeWithService } from '@lattice/test-kit/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KvCluster } from '../src/lattice-kv/cluster.js';
import { RespClient } from '../src/lattice-kv/resp-client.js';

describeWithService('nats', 'lattice-kv over NATS', (nats) => {
  let cluster: KvCluster;
  const clients = new Map<string, RespClient>();

  beforeAll(async () => {
    cluster = await KvCluster.start({ nats: { url: nats().url } });
    for (const node of cluster.nodes.values()) clients.set(node.id, await RespClient.connect(node.respPort));
  }, 60_000);
  afterAll(async () => {
    for (const client of clients.values()) client.close();
    await cluster?.stop();
  });

  it('elects a leader over NATS and serves SET/GET through every node', async () => {
    for (const id of cluster.nodes.keys()) expect((await cluster.info(id))['raft_transport']).toBe('nats');
    const a = clients.get('a')!;
    const b = clients.get('b')!;
    const c = clients.get('c')!;
    expect(await a.send('SET', 'greeting', 'hello over nats')).toBe('OK');
    expect(await b.send('GET', 'greeting')).toBe('hello over nats');
    expect(await c.send('GET', 'greeting')).toBe('hello over nats');
    expect(await c.send('INCRBY', 'visits', 41)).toBe(41);
    expect(await b.send('INCR', 'visits')).toBe(42);
    expect(await a.send('MGET', 'greeting', 'visits', 'nothing')).toEqual(['hello over nats', '42', null]);
  }, 30_000);

  it('elects a new leader over NATS when the leader is SIGKILLed, with the acknowledged writes intact', async () => {
    const leader = await cluster.waitForLeader();
    const survivor = [...cluster.nodes.keys()].find((id) => id !== leader)!;
    for (let i = 0; i < 20; i++) expect(await clients.get(survivor)!.send('SET', `before:${i}`, String(i))).toBe('OK');
    await cluster.kill(leader);
    const newLeader = await cluster.waitForLeader(15_000, leader);
    expect(newLeader).not.toBe(leader);
    const values = await clients.get(survivor)!.send('MGET', ...Array.from({ length: 20 }, (_, i) => `before:${i}`));
    expect(values).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(await clients.get(newLeader)!.send('SET', 'after', 'kill')).toBe('OK');
    expect(await clients.get(survivor)!.send('GET', 'after')).toBe('kill');
  }, 40_000);
});
