import { seededRandom } from '@lattice/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSwimMessage, encodeSwimMessage, type Member, type SwimMessage, SwimCore, swimMessageCodec } from '../src/index.js';

const pushPullsIn = (core: SwimCore): Extract<SwimMessage, { type: 'pushPull' }>[] => {
  const ready = core.ready();
  core.advance(ready);
  return ready.messages.map((m) => m.message).filter((m): m is Extract<SwimMessage, { type: 'pushPull' }> => m.type === 'pushPull');
};

describe('hot paths (what a 1,000-member simulation leans on)', () => {
  it('the codec\'s reused push/pull encoding is byte for byte the plain one, for every flag', () => {
    const member = fc.record({ id: fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s)), incarnation: fc.nat(), state: fc.constantFrom('alive', 'suspect', 'dead', 'left'), meta: fc.uint8Array({ maxLength: 4 }) }) as fc.Arbitrary<Member>;
    fc.assert(
      fc.property(fc.uniqueArray(member, { selector: (m) => m.id, maxLength: 20 }), fc.boolean(), fc.boolean(), (members, join, reply) => {
        const codec = swimMessageCodec();
        const frozen = Object.freeze(members.map((m) => Object.freeze(m)));
        for (const flags of [{ join, reply }, { join: !join, reply }]) {
          const message: SwimMessage = { type: 'pushPull', ...flags, members: frozen };
          expect(codec.encode(message)).toEqual(encodeSwimMessage(message));
          expect(codec.decode(codec.encode(message))).toEqual(decodeSwimMessage(encodeSwimMessage(message)));
        }
      }),
    );
  });

  it('a push/pull sent after a change carries the change (the cached full state is dropped)', () => {
    const a = new SwimCore({ id: 'a', now: 0, random: seededRandom(3) });
    a.step('b', { type: 'pushPull', join: true, reply: false, members: [{ id: 'b', incarnation: 1, state: 'alive', meta: new Uint8Array(0) }] });
    const [first] = pushPullsIn(a);
    expect(first!.members.map((m) => m.id)).toEqual(['a', 'b']);
    a.step('c', { type: 'pushPull', join: true, reply: false, members: [{ id: 'c', incarnation: 1, state: 'alive', meta: new Uint8Array(0) }] });
    a.step('b', { type: 'gossip', updates: [{ kind: 'suspect', id: 'b', incarnation: 1, from: 'c' }] });
    a.step('d', { type: 'pushPull', join: true, reply: false, members: [{ id: 'd', incarnation: 0, state: 'alive', meta: new Uint8Array(0) }] });
    const replies = pushPullsIn(a);
    const last = replies.at(-1)!;
    expect(last.members.map((m) => `${m.id}:${m.state}`)).toEqual(['a:alive', 'b:suspect', 'c:alive', 'd:alive']);
    // Unchanged since: the same frozen array, which is what lets the codec reuse its bytes.
    a.step('e', { type: 'pushPull', join: false, reply: true, members: last.members });
    a.step('b', { type: 'pushPull', join: false, reply: false, members: [] });
    expect(pushPullsIn(a).at(-1)!.members).toBe(last.members);
  });

  it('live counts, random picks and the probe list stay right through joins, deaths, leaves and reaping', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 29 }), fc.constantFrom('alive', 'dead', 'leave')), { maxLength: 120 }), (seed, script) => {
        const a = new SwimCore({ id: 'a', now: 0, random: seededRandom(seed), profile: { gossipToTheDeadMs: 1_000 } });
        const incarnations = new Map<string, number>();
        let now = 0;
        for (const [i, what] of script) {
          const id = `m${i}`;
          const inc = (incarnations.get(id) ?? 0) + 1;
          incarnations.set(id, inc);
          const update = what === 'alive' ? { kind: 'alive' as const, id, incarnation: inc, meta: new Uint8Array(0) } : { kind: 'dead' as const, id, incarnation: inc, from: what === 'leave' ? id : 'a' };
          a.step('x', { type: 'gossip', updates: [update] });
          now += 400;
          a.tick(now);
          a.advance(a.ready());
        }
        const members = a.members().slice(1);
        const stats = a.stats();
        expect(stats.alive + stats.suspect - 1).toBe(members.filter((m) => m.state === 'alive' || m.state === 'suspect').length);
        expect(new Set(members.map((m) => m.id)).size).toBe(members.length);
        // Every live member is probed within two passes (of up to 8 s each while local health recovers).
        const pinged = new Set<string>();
        for (let t = 0; t < 16 * (members.length + 1); t++) {
          now += 1_000;
          a.tick(now);
          const ready = a.ready();
          a.advance(ready);
          // Every member answers at once, so health stays good and probes keep a 1 s pace.
          for (const { to, message } of ready.messages) {
            if (message.type !== 'ping') continue;
            pinged.add(to);
            a.step(to, { type: 'ack', seq: message.seq, updates: [] });
          }
        }
        // (A member suspected during the script may have died since: only those alive at the end count.)
        for (const m of a.members().slice(1)) if (m.state === 'alive') expect(pinged.has(m.id), m.id).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
