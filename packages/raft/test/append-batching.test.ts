import { describe, expect, it } from 'vitest';
import type { RaftMessage } from '../src/index.js';
import { Cluster } from './cluster.js';

const ids = ['a', 'b', 'c'];
const text = (s: string) => new TextEncoder().encode(s);

describe('RaftCore: appends of proposals made together', () => {
  it('proposals made before one ready() leave as one append per follower, and all commit', () => {
    const cluster = new Cluster({ ids, seed: 11 });
    const leader = cluster.elect();
    cluster.run(500);
    cluster.queue = [];
    for (let i = 0; i < 50; i++) leader.propose(text(`x${i}`));
    cluster.process(leader.id);
    const appends = cluster.queue.filter((m) => m.from === leader.id && m.message.type === 'append');
    expect(appends.map((m) => m.to).sort()).toEqual(ids.filter((id) => id !== leader.id).sort());
    for (const { message } of appends) expect((message as Extract<RaftMessage, { type: 'append' }>).entries).toHaveLength(50);
    // Followers at the same point get the same message object: the driver encodes it once.
    expect(appends[0]!.message).toBe(appends[1]!.message);
    cluster.run(500);
    for (const id of ids) expect(cluster.texts(id)).toEqual(Array.from({ length: 50 }, (_, i) => `x${i}`));
  });
});
