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
