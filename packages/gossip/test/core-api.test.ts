import { InvalidArgumentError, seededRandom } from '@lattice/core';
import { describe, expect, it } from 'vitest';
import { MemberLeftError, SwimCore, WAN_PROFILE } from '../src/index.js';

const core = (extra: object = {}) => new SwimCore({ id: 'a', now: 0, random: seededRandom(1), ...extra });

describe('SwimCore arguments', () => {
  it('refuses bad options with InvalidArgumentError', () => {
    for (const bad of [{ id: '' }, { now: Number.NaN }, { random: {} }, { profile: { probeIntervalMs: -1 } }, { profile: { probeTimeoutMs: 2_000 } }, { meta: new Uint8Array(513) }, { meta: 'zone' }]) {
      expect(() => core(bad), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
    }
    expect(() => new SwimCore(undefined as never)).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
  });

  it('takes a profile and overrides', () => {
    expect(core({ profile: { ...WAN_PROFILE, gossipNodes: 5 } }).profile).toMatchObject({ probeIntervalMs: 5_000, gossipNodes: 5 });
  });

  it('refuses bad seeds and metadata', () => {
    const c = core();
    expect(() => c.join('b' as never)).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
    expect(() => c.join([''])).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
    expect(() => c.updateMetadata(new Uint8Array(600))).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
    expect(c.stats().incarnation).toBe(0);
  });

  it('after leave, join and updateMetadata throw MemberLeftError; leave alone completes at once', () => {
    const c = core();
    c.leave();
    expect(c.ready().effects).toEqual([{ type: 'leaveComplete' }]);
    expect(() => c.join(['b'])).toThrow(expect.objectContaining({ code: MemberLeftError.code }));
    expect(() => c.updateMetadata(new Uint8Array(1))).toThrow(expect.objectContaining({ code: MemberLeftError.code }));
    expect(c.members()[0]!.state).toBe('left');
  });

  it('a suspicion of itself is refuted with a higher incarnation', () => {
    const c = core();
    c.step('b', { type: 'gossip', updates: [{ kind: 'suspect', id: 'a', incarnation: 0, from: 'b' }] });
    expect(c.stats()).toMatchObject({ incarnation: 1, refutations: 1, health: 1 });
    c.step('b', { type: 'gossip', updates: [{ kind: 'suspect', id: 'a', incarnation: 0, from: 'c' }] });
    expect(c.stats().incarnation).toBe(1); // an old suspicion is already refuted
  });
});

describe('SwimCore dissemination details', () => {
  const alive = (id: string) => ({ kind: 'alive' as const, id, incarnation: 0, meta: new Uint8Array() });

  function withMembers(count: number, lifeguard = true): SwimCore {
    const c = new SwimCore({ id: 'a', now: 0, random: seededRandom(3), lifeguard });
    c.step('x', { type: 'gossip', updates: Array.from({ length: count }, (_, i) => alive(`m${i}`)) });
    return c;
  }

  it('an update is piggybacked retransmitMult · ceil(log10(n + 1)) times, then no more', () => {
    const c = withMembers(9); // n = 10 with itself: 4 · ceil(log10 11) = 8
    c.advance(c.ready());
    c.step('m0', { type: 'gossip', updates: [{ kind: 'alive', id: 'm1', incarnation: 5, meta: new Uint8Array([1]) }] });
    let sent = 0;
    for (let i = 0; i < 40; i++) {
      c.step('m2', { type: 'ping', seq: i, target: 'a', updates: [] });
      const ready = c.ready();
      for (const { message } of ready.messages) if (message.type === 'ack') sent += message.updates.filter((u) => u.id === 'm1' && u.incarnation === 5).length;
      c.advance(ready);
    }
    expect(sent).toBe(8);
  });

  it('buddy system: a ping to a suspect carries its suspicion first', () => {
    const c = withMembers(30);
    c.step('m1', { type: 'gossip', updates: [{ kind: 'suspect', id: 'm7', incarnation: 0, from: 'm1' }] });
    c.advance(c.ready());
    let ping: { updates: readonly { kind: string; id: string }[] } | undefined;
    for (let now = 0; now < 200_000 && ping === undefined; now += 100) {
      c.tick(now);
      const ready = c.ready();
      const acks: { to: string; seq: number }[] = [];
      for (const { to, message } of ready.messages) {
        if (to === 'm7' && message.type === 'ping') ping = message;
        else if (message.type === 'ping') acks.push({ to, seq: message.seq });
      }
      c.advance(ready);
      // Everyone else acks promptly: local health stays good, so probes keep their 1 s pace and m7 is reached within one pass.
      for (const { to, seq } of acks) c.step(to, { type: 'ack', seq, updates: [] });
      if (c.member('m7')?.state !== 'suspect') break;
    }
    expect(ping?.updates[0]).toMatchObject({ kind: 'suspect', id: 'm7' });
  });

  it('dogpile: independent confirmations bring the dead verdict forward', () => {
    const deadAt = (confirmers: string[]) => {
      const c = withMembers(30);
      c.step('m1', { type: 'gossip', updates: [{ kind: 'suspect', id: 'm7', incarnation: 0, from: 'm1' }] });
      for (const from of confirmers) c.step(from, { type: 'gossip', updates: [{ kind: 'suspect', id: 'm7', incarnation: 0, from }] });
      for (let now = 0; now < 200_000; now += 250) {
        c.tick(now);
        c.advance(c.ready());
        if (c.member('m7')?.state === 'dead') return now;
      }
      return Number.POSITIVE_INFINITY;
    };
    const alone = deadAt([]);
    const two = deadAt(['m2', 'm3']);
    // n = 31: min = floor(4 · 1.491 · 1000) ms = 5.96 s, max = 6 · min; k = 2
    expect(alone).toBeGreaterThanOrEqual(35_000);
    expect(two).toBeLessThan(7_000);
  });
});
