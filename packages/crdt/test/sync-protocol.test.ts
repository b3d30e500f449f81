import { InvalidArgumentError } from '@lattice/core';
import { describe, expect, it } from 'vitest';
import { type Crdt, GCounter, ORSet, type Outgoing, type SyncMessage, SyncProtocol } from '../src/index.js';
import { canonical } from './specs.js';

/** Steps `message` into `core` and takes what it produced: the messages, and whether the replica changed. */
function handle<C extends Crdt>(core: SyncProtocol<C>, from: string, message: SyncMessage<C>): { outgoing: Outgoing<C>[]; changed: boolean } {
  core.step(from, message);
  const ready = core.ready();
  expect(ready.effects.every((effect) => effect.type === 'changed' && effect.from === from)).toBe(true);
  return { outgoing: [...ready.messages], changed: ready.effects.length > 0 };
}

/** Commits `delta` and takes the pushes it queued. */
function commit<C extends Crdt>(core: SyncProtocol<C>, delta: C): Outgoing<C>[] {
  core.commit(delta);
  return [...core.ready().messages];
}

/** Runs an anti-entropy round and takes its digests. */
function round<C extends Crdt>(core: SyncProtocol<C>): Outgoing<C>[] {
  core.round();
  return [...core.ready().messages];
}

function deliver<C extends Crdt>(nodes: Record<string, SyncProtocol<C>>, from: string, outgoing: Outgoing<C>[]): Outgoing<C>[] {
  const replies: Outgoing<C>[] = [];
  for (const { to, message } of outgoing) {
    for (const reply of handle(nodes[to]!, from, message).outgoing) replies.push(reply);
  }
  return replies;
}

describe('SyncProtocol', () => {
  it('pushes committed deltas to every peer and ignores duplicates', () => {
    const a = new SyncProtocol({ replica: new GCounter('a'), peers: ['b', 'c'] });
    const b = new SyncProtocol({ replica: new GCounter('b') });
    const pushes = commit(a, a.replica.increment(3));
    expect(pushes.map((p) => p.to)).toEqual(['b', 'c']);
    expect(handle(b, 'a', pushes[0]!.message).changed).toBe(true);
    expect(handle(b, 'a', pushes[0]!.message).changed).toBe(false);
    expect(b.replica.value()).toBe(3);
    expect(b.peers).toEqual(['a']);
  });

  it('hands one message object to every peer for a push and for a round, so the driver encodes it once', () => {
    const a = new SyncProtocol({ replica: new GCounter('a'), peers: ['b', 'c', 'd'] });
    const pushes = commit(a, a.replica.increment(1));
    expect(pushes.map((p) => p.to)).toEqual(['b', 'c', 'd']);
    expect(new Set(pushes.map((p) => p.message)).size).toBe(1);
    const digests = round(a);
    expect(digests.map((p) => p.to)).toEqual(['b', 'c', 'd']);
    expect(new Set(digests.map((p) => p.message)).size).toBe(1);
    // The digest is a copy: later commits do not change what was handed out.
    const have = (digests[0]!.message as { have: { toJSON(): unknown } }).have.toJSON();
    a.commit(a.replica.increment(1));
    expect((digests[0]!.message as { have: { toJSON(): unknown } }).have.toJSON()).toEqual(have);
  });

  it('answers a digest with exactly the deltas the sender lacks, and asks back for what it lacks', () => {
    const a = new SyncProtocol({ replica: new ORSet<string>('a'), peers: ['b'] });
    const b = new SyncProtocol({ replica: new ORSet<string>('b'), peers: ['a'] });
    commit(a, a.replica.add('x'));
    commit(a, a.replica.add('y'));
    commit(b, b.replica.add('z'));
    const [digest] = round(b);
    const answer = handle(a, 'b', digest!.message).outgoing;
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
    expect(handle(a, 'b', round(b)[0]!.message).outgoing).toEqual([]);
  });

  it('remembers deltas that arrive with gaps and requests only the missing one', () => {
    const a = new SyncProtocol({ replica: new ORSet<string>('a'), peers: ['b'] });
    const b = new SyncProtocol({ replica: new ORSet<string>('b'), peers: ['a'] });
    const pushes = ['p', 'q', 'r'].map((e) => commit(a, a.replica.add(e))[0]!);
    handle(b, 'a', pushes[0]!.message);
    handle(b, 'a', pushes[2]!.message); // seq 2 lost
    expect(b.have.has('a', 3)).toBe(true);
    expect(b.have.has('a', 2)).toBe(false);
    const answer = handle(a, 'b', round(b)[0]!.message).outgoing;
    expect(answer).toHaveLength(1);
    const message = answer[0]!.message;
    expect(message.type === 'deltas' && message.entries.map((e) => e.seq)).toEqual([2]);
    handle(b, 'a', message);
    expect(b.have.contiguous('a')).toBe(3);
    expect(canonical(b.replica)).toBe(canonical(a.replica));
  });

  it('falls back to the full state when the log no longer holds what a peer lacks', () => {
    const a = new SyncProtocol({ replica: new ORSet<number>('a'), peers: ['b'], maxLogEntries: 4 });
    const b = new SyncProtocol({ replica: new ORSet<number>('b'), peers: ['a'] });
    for (let i = 0; i < 10; i++) commit(a, a.replica.add(i));
    commit(a, a.replica.remove(3));
    expect(a.logSize).toBe(4);
    const answer = handle(a, 'b', round(b)[0]!.message).outgoing;
    expect(answer.map((o) => o.message.type)).toEqual(['state']);
    expect(handle(b, 'a', answer[0]!.message).changed).toBe(true);
    expect(canonical(b.replica)).toBe(canonical(a.replica));
    expect(b.have.includes(a.have)).toBe(true);
    // b can now serve a third replica from its own state, although its log is empty.
    const c = new SyncProtocol({ replica: new ORSet<number>('c'), peers: ['b'] });
    const forC = handle(b, 'c', round(c)[0]!.message).outgoing;
    expect(forC.map((o) => o.message.type)).toEqual(['state']);
    handle(c, 'b', forC[0]!.message);
    expect([...c.replica.value()].sort()).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9]);
  });

  it('splits large answers into bounded messages', () => {
    const a = new SyncProtocol({ replica: new GCounter('a'), peers: ['b'], maxDeltasPerMessage: 3 });
    const b = new SyncProtocol({ replica: new GCounter('b'), peers: ['a'] });
    for (let i = 0; i < 7; i++) commit(a, a.replica.increment());
    const answer = handle(a, 'b', round(b)[0]!.message).outgoing;
    expect(answer.map((o) => (o.message.type === 'deltas' ? o.message.entries.length : -1))).toEqual([3, 3, 1]);
  });

  it('runs a round at the first tick and then every intervalMs of the time it is given', () => {
    const a = new SyncProtocol({ replica: new GCounter('a'), peers: ['b', 'c'], intervalMs: 100 });
    expect(a.hasReady()).toBe(false);
    expect(a.wakeAt()).toBe(Number.NEGATIVE_INFINITY);
    a.tick(5000);
    expect(a.ready().messages.map((o) => `${o.to}:${o.message.type}`)).toEqual(['b:digest', 'c:digest']);
    expect(a.wakeAt()).toBe(5100);
    a.tick(5099);
    expect(a.hasReady()).toBe(false);
    a.tick(5250);
    expect(a.ready().messages).toHaveLength(2);
    expect(a.wakeAt()).toBe(5350);
    // A round out of schedule leaves the schedule alone.
    a.round();
    expect(a.ready().messages).toHaveLength(2);
    expect(a.wakeAt()).toBe(5350);
    expect(() => a.tick(Number.NaN)).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
  });

  it('hands out a changed effect naming the peer only when a message taught the replica something', () => {
    const a = new SyncProtocol({ replica: new GCounter('a'), peers: ['b'] });
    const b = new SyncProtocol({ replica: new GCounter('b') });
    expect(a.commit(a.replica.increment(2))).toBe(1);
    expect(a.commit(a.replica.increment())).toBe(2);
    const ready = a.ready();
    expect(ready.effects).toEqual([]);
    expect(ready.persist).toEqual([]);
    expect(ready.mustSync).toBe(false);
    for (const { message } of ready.messages) b.step('a', message);
    expect(b.ready().effects).toEqual([
      { type: 'changed', from: 'a' },
      { type: 'changed', from: 'a' },
    ]);
    for (const { message } of ready.messages) b.step('a', message);
    expect(b.hasReady()).toBe(false);
    expect(b.replica.value()).toBe(3);
  });

  it('rejects a replica without a node id unless given an origin', () => {
    expect(() => new SyncProtocol({ replica: new GCounter() })).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
    expect(new SyncProtocol({ replica: new GCounter(), origin: 'x' }).origin).toBe('x');
  });
});
