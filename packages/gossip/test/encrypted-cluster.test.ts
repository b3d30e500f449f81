import { DecodeError, type LatticeError, seededRandom } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import { MemoryNetwork } from '@lattice/transport';
import { describe, expect, it } from 'vitest';
import { encodeSwimMessage, encryptSwimPayload, Keyring, LOCAL_PROFILE, MessageAuthenticationError, Swim, type SwimEncryption, UnencryptedMessageError } from '../src/index.js';
import { nodeAesGcm } from '../src/node/index.js';

const key = (fill: number, size = 16) => new Uint8Array(size).fill(fill);
const profile = { ...LOCAL_PROFILE, pushPullIntervalMs: 2_000 };

async function cluster(ids: string[], encryption: (id: string) => SwimEncryption | undefined) {
  const clock = new ManualClock();
  const network = new MemoryNetwork({ timers: clock, clock });
  const nodes = new Map<string, Swim>();
  const errors = new Map<string, LatticeError[]>();
  for (const [i, id] of ids.entries()) {
    const endpoint = await network.open(id);
    const e = encryption(id);
    const swim = new Swim({ endpoint, profile, clock, timers: clock, random: seededRandom(i + 1), ...(e === undefined ? {} : { encryption: e }) });
    errors.set(id, []);
    swim.on('error', (error) => errors.get(id)!.push(error));
    nodes.set(id, swim);
  }
  const run = async (ms: number) => {
    for (let t = 0; t < ms; t += 50) await clock.advanceAsync(50);
  };
  const view = (id: string) => Object.fromEntries(nodes.get(id)!.members().map((m) => [m.id, m.state]));
  const stop = async () => {
    for (const swim of nodes.values()) await swim.stop();
    await network.close();
  };
  return { nodes, errors, run, view, stop };
}

describe('Swim with a keyring', () => {
  it('members converge encrypted; a key rotation (install everywhere, use, remove) loses no message', async () => {
    const ids = ['a', 'b', 'c', 'd'];
    const rings = new Map(ids.map((id) => [id, new Keyring(key(1))]));
    const c = await cluster(ids, (id) => ({ keyring: rings.get(id)!, cipher: nodeAesGcm }));
    for (const id of ids.slice(1)) c.nodes.get(id)!.join(['a']);
    await c.run(3_000);
    for (const id of ids) expect(c.view(id)).toEqual({ a: 'alive', b: 'alive', c: 'alive', d: 'alive' });

    const next = key(2, 32);
    for (const id of ids) rings.get(id)!.install(next);
    await c.run(500);
    // Members switch one at a time, with traffic in between: the others hold the new key already.
    for (const id of ids) {
      rings.get(id)!.use(next);
      await c.run(700);
    }
    for (const id of ids) rings.get(id)!.remove(key(1));
    await c.run(3_000);
    for (const id of ids) {
      expect(c.view(id)).toEqual({ a: 'alive', b: 'alive', c: 'alive', d: 'alive' });
      expect(c.errors.get(id)).toEqual([]);
      expect(c.nodes.get(id)!.stats().driver.rejected).toBe(0);
      expect(c.nodes.get(id)!.stats().suspicionsRaised).toBe(0);
    }
    await c.stop();
  });

  it('a member with the wrong key, or none, is refused with typed error events and changes nothing', async () => {
    const ids = ['a', 'b', 'c', 'intruder', 'plain'];
    const c = await cluster(ids, (id) => (id === 'plain' ? undefined : { keyring: new Keyring(id === 'intruder' ? key(9) : key(1)), cipher: nodeAesGcm }));
    c.nodes.get('b')!.join(['a']);
    c.nodes.get('c')!.join(['a']);
    await c.run(2_000);
    c.nodes.get('intruder')!.join(['a', 'b']);
    c.nodes.get('plain')!.join(['a', 'c']);
    await c.run(5_000);
    for (const id of ['a', 'b', 'c']) expect(c.view(id)).toEqual({ a: 'alive', b: 'alive', c: 'alive' });
    const codes = (id: string) => new Set(c.errors.get(id)!.map((e) => e.code));
    expect(codes('a')).toEqual(new Set([MessageAuthenticationError.code, UnencryptedMessageError.code]));
    expect(codes('b')).toEqual(new Set([MessageAuthenticationError.code]));
    expect(codes('c')).toEqual(new Set([UnencryptedMessageError.code]));
    expect(c.view('intruder')).toEqual({ intruder: 'alive' });
    expect(c.view('plain')).toEqual({ plain: 'alive' });
    await c.stop();
  });

  it('tampered, truncated and garbage envelopes are typed error events and change nothing; the intact one is heard', async () => {
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock, clock });
    const keyring = new Keyring(key(1));
    const swim = new Swim({ endpoint: await network.open('a'), profile, clock, timers: clock, random: seededRandom(1), encryption: { keyring, cipher: nodeAesGcm } });
    const errors: string[] = [];
    swim.on('error', (error) => errors.push(error.code));
    const raw = await network.open('evil');
    const join = encodeSwimMessage({ type: 'pushPull', join: true, reply: false, members: [{ id: 'evil', incarnation: 1, state: 'alive', meta: new Uint8Array(0) }] });
    const sealed = encryptSwimPayload(join, keyring, nodeAesGcm);
    const flipped = sealed.slice();
    flipped[20]! ^= 0x10;
    const bad = [flipped, sealed.subarray(0, sealed.length - 1), sealed.subarray(0, 10), Uint8Array.of(0x45, 1, 2, 3), encryptSwimPayload(join, new Keyring(key(2)), nodeAesGcm)];
    for (const payload of bad) await raw.send('a', payload);
    await clock.advanceAsync(10);
    expect(errors).toEqual([MessageAuthenticationError.code, MessageAuthenticationError.code, DecodeError.code, DecodeError.code, MessageAuthenticationError.code]);
    expect(swim.members().map((m) => m.id)).toEqual(['a']);
    expect(swim.stats().driver.rejected).toBe(5);
    await raw.send('a', sealed);
    await clock.advanceAsync(10);
    expect(swim.members().map((m) => m.id)).toEqual(['a', 'evil']);
    await swim.stop();
    await network.close();
  });

  it('encryption can be turned on in a running cluster (verifyOutgoing, then verifyIncoming)', async () => {
    const ids = ['a', 'b', 'c'];
    const c1 = await cluster(ids, (id) => (id === 'a' ? undefined : { keyring: new Keyring(key(1)), cipher: nodeAesGcm, verifyIncoming: false, verifyOutgoing: false }));
    c1.nodes.get('b')!.join(['a']);
    c1.nodes.get('c')!.join(['a']);
    await c1.run(3_000);
    for (const id of ids) expect(c1.view(id)).toEqual({ a: 'alive', b: 'alive', c: 'alive' });
    for (const id of ids) expect(c1.errors.get(id)).toEqual([]);
    await c1.stop();
    // Accepting both while sending encrypted: a lenient member and a strict one understand each other.
    const c2 = await cluster(ids, (id) => ({ keyring: new Keyring(key(1)), cipher: nodeAesGcm, verifyIncoming: id !== 'a', verifyOutgoing: true }));
    c2.nodes.get('b')!.join(['a']);
    c2.nodes.get('c')!.join(['a']);
    await c2.run(3_000);
    for (const id of ids) expect(c2.view(id)).toEqual({ a: 'alive', b: 'alive', c: 'alive' });
    for (const id of ids) expect(c2.errors.get(id)).toEqual([]);
    await c2.stop();
  });
});
