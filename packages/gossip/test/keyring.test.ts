import { DecodeError, InvalidArgumentError, isLatticeError, UnsupportedVersionError } from '@lattice/core';
import { codeOf } from '@lattice/test-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decryptSwimPayload,
  ENCRYPTION_OVERHEAD,
  encryptSwimPayload,
  KeyNotInstalledError,
  Keyring,
  MessageAuthenticationError,
  PrimaryKeyRemovalError,
  swimCodec,
  type SwimMessage,
  UnencryptedMessageError,
} from '../src/index.js';
import { nodeAesGcm } from '../src/node/index.js';

const key = (fill: number, size = 16) => new Uint8Array(size).fill(fill);
const anyKey = fc.constantFrom(16, 24, 32).chain((size) => fc.uint8Array({ minLength: size, maxLength: size }));
const ping: SwimMessage = { type: 'ping', seq: 7, target: 'b', updates: [{ kind: 'alive', id: 'c', incarnation: 3, meta: new Uint8Array([1, 2]) }] };

describe('Keyring (memberlist semantics)', () => {
  it('the primary key seals; install is idempotent; use moves a key to the front; keys are copies', () => {
    const a = key(1);
    const ring = new Keyring(a, [key(2, 24), key(2, 24)]);
    expect(ring.size).toBe(2);
    ring.install(key(3, 32));
    ring.install(key(3, 32));
    expect(ring.keys().map((k) => [k[0], k.length])).toEqual([[1, 16], [2, 24], [3, 32]]);
    ring.use(key(3, 32));
    expect(ring.primaryKey).toEqual(key(3, 32));
    expect(ring.keys().map((k) => k[0])).toEqual([3, 1, 2]);
    a.fill(9); // the caller's buffer: the ring holds its own copy
    ring.keys()[1]!.fill(9);
    expect(ring.has(key(1))).toBe(true);
    ring.remove(key(1));
    ring.remove(key(1)); // absent: nothing to do
    expect(ring.keys().map((k) => k[0])).toEqual([3, 2]);
  });

  it('refuses bad keys, an unknown key to use and removing the primary, with typed errors', () => {
    const ring = new Keyring(key(1));
    for (const bad of [new Uint8Array(15), new Uint8Array(33), new Uint8Array(0), 'secret', undefined]) {
      expect(codeOf(() => ring.install(bad as Uint8Array))).toBe(InvalidArgumentError.code);
      expect(codeOf(() => new Keyring(bad as Uint8Array))).toBe(InvalidArgumentError.code);
    }
    expect(codeOf(() => new Keyring(key(1), 'x' as never))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => ring.use(key(2)))).toBe(KeyNotInstalledError.code);
    expect(codeOf(() => ring.remove(key(1)))).toBe(PrimaryKeyRemovalError.code);
    expect(ring.keys()).toEqual([key(1)]);
  });
});

describe('encrypted envelope (AES-GCM, node:crypto)', () => {
  it('round trip: any payload under any 16-, 24- or 32-byte key', () => {
    fc.assert(
      fc.property(anyKey, fc.uint8Array({ maxLength: 2_000 }), (k, payload) => {
        const ring = new Keyring(k);
        const sealed = encryptSwimPayload(payload, ring, nodeAesGcm);
        expect(sealed.length).toBe(payload.length + ENCRYPTION_OVERHEAD);
        expect(decryptSwimPayload(sealed, ring, nodeAesGcm)).toEqual(payload);
      }),
      { numRuns: 300 },
    );
  });

  it('two seals of one message differ (fresh nonce) and both open', () => {
    const ring = new Keyring(key(5));
    const payload = new TextEncoder().encode('same');
    const one = encryptSwimPayload(payload, ring, nodeAesGcm);
    const two = encryptSwimPayload(payload, ring, nodeAesGcm);
    expect(one).not.toEqual(two);
    expect(decryptSwimPayload(two, ring, nodeAesGcm)).toEqual(payload);
  });

  it('any single-bit flip is rejected: the header as undecodable, the rest as unauthenticated', () => {
    fc.assert(
      fc.property(anyKey, fc.uint8Array({ maxLength: 300 }), fc.nat(), (k, payload, at) => {
        const ring = new Keyring(k);
        const sealed = encryptSwimPayload(payload, ring, nodeAesGcm);
        const bit = at % (sealed.length * 8);
        const flipped = sealed.slice();
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        let error: unknown;
        try {
          decryptSwimPayload(flipped, ring, nodeAesGcm);
        } catch (e) {
          error = e;
        }
        const byte = bit >> 3;
        const expected = byte >= 2 ? [MessageAuthenticationError.code] : [DecodeError.code, UnsupportedVersionError.code];
        expect(isLatticeError(error) && expected.includes(error.code), `bit ${bit}: ${String(error)}`).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('any truncation is rejected, and so is the wrong key', () => {
    fc.assert(
      fc.property(anyKey, anyKey, fc.uint8Array({ maxLength: 200 }), fc.nat(), (k, other, payload, cut) => {
        fc.pre(!Buffer.from(k).equals(Buffer.from(other)));
        const sealed = encryptSwimPayload(payload, new Keyring(k), nodeAesGcm);
        const short = sealed.subarray(0, cut % sealed.length);
        const code = codeOf(() => decryptSwimPayload(short, new Keyring(k), nodeAesGcm));
        expect(code).toBe(short.length < ENCRYPTION_OVERHEAD ? DecodeError.code : MessageAuthenticationError.code);
        expect(codeOf(() => decryptSwimPayload(sealed, new Keyring(other), nodeAesGcm))).toBe(MessageAuthenticationError.code);
      }),
      { numRuns: 300 },
    );
  });

  it('garbage never escapes as anything but a typed error from the codec', () => {
    const codec = swimCodec({ keyring: new Keyring(key(1)), cipher: nodeAesGcm });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          codec.decode(bytes);
        } catch (error) {
          expect(isLatticeError(error)).toBe(true);
          return;
        }
        throw new Error('garbage decoded');
      }),
      { numRuns: 500 },
    );
    for (const notBytes of [undefined, 'x', [1, 2]]) expect(codeOf(() => codec.decode(notBytes as never))).toBe(DecodeError.code);
  });

  it('rotation never drops a message sealed with a key the receiver has installed', () => {
    // Keyrings of three members go through random install/use/remove steps while messages
    // sealed at one moment are opened at a later one: a message opens exactly when the key it
    // was sealed with is installed at the receiver when it arrives.
    const pool = [key(1), key(2, 24), key(3, 32), key(4)];
    const step = fc.oneof(
      fc.record({ op: fc.constantFrom('install', 'use', 'remove'), node: fc.nat(2), key: fc.nat(3) }),
      fc.record({ op: fc.constant('send'), node: fc.nat(2), key: fc.nat(2), delay: fc.nat(5) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const rings = [0, 1, 2].map(() => new Keyring(pool[0]!));
        const inFlight: { at: number; to: number; sealedWith: Uint8Array; bytes: Uint8Array; payload: Uint8Array }[] = [];
        steps.forEach((s, t) => {
          for (const m of inFlight.filter((m) => m.at === t)) {
            const ring = rings[m.to]!;
            if (ring.has(m.sealedWith)) expect(decryptSwimPayload(m.bytes, ring, nodeAesGcm)).toEqual(m.payload);
            else expect(codeOf(() => decryptSwimPayload(m.bytes, ring, nodeAesGcm))).toBe(MessageAuthenticationError.code);
          }
          const ring = rings[s.node]!;
          const k = pool[s.key]!;
          if (s.op === 'install') ring.install(k);
          else if (s.op === 'use' && ring.has(k)) ring.use(k);
          else if (s.op === 'remove' && ring.size > 1 && !Buffer.from(ring.primaryKey).equals(Buffer.from(k))) ring.remove(k);
          else if (s.op === 'send' && 'delay' in s) {
            const payload = new TextEncoder().encode(`message ${t}`);
            inFlight.push({ at: t + 1 + s.delay, to: (s.node + 1 + s.key) % 3, sealedWith: ring.primaryKey, bytes: encryptSwimPayload(payload, ring, nodeAesGcm), payload });
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('swimCodec', () => {
  it('seals SWIM messages and reads them back; plaintext is refused unless verifyIncoming is off', () => {
    const keyring = new Keyring(key(1));
    const codec = swimCodec({ keyring, cipher: nodeAesGcm });
    const plain = swimCodec();
    const sealed = codec.encode(ping);
    expect(codec.decode(sealed)).toEqual(ping);
    expect(codeOf(() => codec.decode(plain.encode(ping)))).toBe(UnencryptedMessageError.code);
    expect(codeOf(() => plain.decode(sealed))).toBe(DecodeError.code);
    const lenient = swimCodec({ keyring, cipher: nodeAesGcm, verifyIncoming: false, verifyOutgoing: false });
    expect(lenient.decode(plain.encode(ping))).toEqual(ping);
    expect(lenient.decode(sealed)).toEqual(ping);
    expect(lenient.encode(ping)).toEqual(plain.encode(ping));
  });

  it('an authentic envelope around garbage is still a DecodeError', () => {
    const keyring = new Keyring(key(1));
    const bytes = encryptSwimPayload(new Uint8Array([0x53, 1, 99]), keyring, nodeAesGcm);
    expect(codeOf(() => swimCodec({ keyring, cipher: nodeAesGcm }).decode(bytes))).toBe(DecodeError.code);
  });

  it('refuses bad encryption options with InvalidArgumentError', () => {
    const keyring = new Keyring(key(1));
    for (const bad of [null, 'x', {}, { keyring }, { keyring: {}, cipher: nodeAesGcm }, { keyring, cipher: {} }, { keyring, cipher: nodeAesGcm, verifyIncoming: 'no' }]) {
      expect(codeOf(() => swimCodec(bad as never))).toBe(InvalidArgumentError.code);
    }
  });
});
