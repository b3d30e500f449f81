import { InvalidArgumentError } from '@lattice/core';
import { describe, expect, it } from 'vitest';
import { GCounter, ORSet, type Outgoing, SyncProtocol } from '../src/index.js';
import { canonical } from './specs.js';

function deliver<C extends ORSet | GCounter>(nodes: Record<string, SyncProtocol<C>>, from: string, outgoing: Outgoing<C>[]): Outgoing<C>[] {
  const replies: Outgoing<C>[] = [];
  for (const { to, message } of outgoing) {
    for (const reply of nodes[to]!.handle(from, message).outgoing) replies.push(reply);
  }
  return replies;
}

describe('SyncProtocol', () => {
  it('pushes committed deltas to every peer and ignores duplicates', () => {
    const a = new SyncProtocol({ replica: new GCounter('a'), peers: ['b', 'c'] });
    const b = new SyncProtocol({ replica: new GCounter('b') });
    const pushes = a.commit(a.replica.increment(3));
    expect(pushes.map((p) => p.to)).toEqual(['b', 'c']);
    expect(b.handle('a', pushes[0]!.message).changed).toBe(true);
    expect(b.handle('a', pushes[0]!.message).changed).toBe(false);
    expect(b.replica.value()).toBe(3);
    expect(b.peers).toEqual(['a']);
  });

  it('answers a digest with exactly the deltas the sender lacks, and asks back for what it lacks', () => {
    const a = new SyncProtocol({ replica: new ORSet<string>('a'), peers: ['b'] });
    const b = new SyncProtocol({ replica: new ORSet<string>('b'), peers: ['a'] });
    a.commit(a.replica.add('x'));
    a.commit(a.replica.add('y'));
    b.commit(b.replica.add('z'));
    const [digest] = b.tick();
    const answer = a.handle('b', digest!.message).outgoing;
    expect(answer.map((o) => o.message.type)).toEqual(['deltas', 'digest']);
    const deltas = answer[0]!.message;
    expect(deltas.type === 'deltas' && deltas.entries.map((e) => `${e.origin}:${e.seq}`)).toEqual(['a:1', 'a:2']);
    const nodes = { a, b };
    const replies = deliver(nodes, 'a', answer);
    expect(replies.map((o) => o.message.type)).toEqual(['deltas']);
    deliver(nodes, 'b', replies);
    expect(canonical(a.replica)).toBe(canonical(b.replica));
    expect([...a.replica.value()].sort()).toEqual(['x', 'y', 'z']);
    // In sync: a digest now produces nothing.
    expect(a.handle('b', b.tick()[0]!.message).outgoing).toEqual([]);
  });

  it('remembers deltas that arrive with gaps and requests only the missing one', () => {
    const a = new SyncProtocol({ replica: new ORSet<string>('a'), peers: ['b'] });
    const b = new SyncProtocol({ replica: new ORSet<string>('b'), peers: ['a'] });
    const pushes = ['p', 'q', 'r'].map((e) => a.commit(a.replica.add(e))[0]!);
    b.handle('a', pushes[0]!.message);
    b.handle('a', pushes[2]!.message); // seq 2 lost
    expect(b.have.has('a', 3)).toBe(true);
    expect(b.have.has('a', 2)).toBe(false);
    const answer = a.handle('b', b.tick()[0]!.message).outgoing;
    expect(answer).toHaveLength(1);
    const message = answer[0]!.message;
    expect(message.type === 'deltas' && message.entries.map((e) => e.seq)).toEqual([2]);
    b.handle('a', message);
    expect(b.have.contiguous('a')).toBe(3);
    expect(canonical(b.replica)).toBe(canonical(a.replica));
  });

  it('falls back to the full state when the log no longer holds what a peer lacks', () => {
    const a = new SyncProtocol({ replica: new ORSet<number>('a'), peers: ['b'], maxLogEntries: 4 });
    const b = new SyncProtocol({ replica: new ORSet<number>('b'), peers: ['a'] });
    for (let i = 0; i < 10; i++) a.commit(a.replica.add(i));
    a.commit(a.replica.remove(3));
    expect(a.logSize).toBe(4);
    const answer = a.handle('b', b.tick()[0]!.message).outgoing;
    expect(answer.map((o) => o.message.type)).toEqual(['state']);
    expect(b.handle('a', answer[0]!.message).changed).toBe(true);
    expect(canonical(b.replica)).toBe(canonical(a.replica));
    expect(b.have.includes(a.have)).toBe(true);
    // b can now serve a third replica from its own state, although its log is empty.
    const c = new SyncProtocol({ replica: new ORSet<number>('c'), peers: ['b'] });
    const forC = b.handle('c', c.tick()[0]!.message).outgoing;
    expect(forC.map((o) => o.message.type)).toEqual(['state']);
    c.handle('b', forC[0]!.message);
    expect([...c.replica.value()].sort()).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9]);
  });

  it('splits large answers into bounded messages', () => {
    const a = new SyncProtocol({ replica: new GCounter('a'), peers: ['b'], maxDeltasPerMessage: 3 });
    const b = new SyncProtocol({ replica: new GCounter('b'), peers: ['a'] });
    for (let i = 0; i < 7; i++) a.commit(a.replica.increment());
    const answer = a.handle('b', b.tick()[0]!.message).outgoing;
    expect(answer.map((o) => (o.message.type === 'deltas' ? o.message.entries.length : -1))).toEqual([3, 3, 1]);
  });

  it('rejects a replica without a node id unless given an origin', () => {
    expect(() => new SyncProtocol({ replica: new GCounter() })).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
    expect(new SyncProtocol({ replica: new GCounter(), origin: 'x' }).origin).toBe('x');
  });
});
